// The load session of Sink (sink.h): every order violation and argument check of
// Begin/Write/Commit/Abort, run against a sink that only records which of its
// steps the session called.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sink/sink.h"

namespace sluice {
namespace {

// A sink whose steps record their calls and return what the test sets.
class StepSink final : public Sink {
 public:
  ~StepSink() override { Abort(); }

  Status begin_result;
  Status write_result;
  Status commit_result;
  Status side_result;
  std::vector<size_t> side_loads;  // as WriteSideRows got them
  // Each side row WriteSideRows got, as "<string column values>/<line>".
  std::vector<std::string> side_rows;
  // "begin", "write <load>", "side <rows>", "commit", "abort"
  std::vector<std::string> calls;
  std::vector<RefusedRow> refuse;  // named by each failing Write and Commit
  // What BeginLoads saw of the session.
  std::string seen_table;
  std::string seen_side;  // the side table's name, or ""
  size_t seen_loads = 0;
  size_t seen_counts = 0;

  bool open() const { return in_load(); }

  Result<std::optional<TableDef>> DescribeTable(std::string_view) override {
    return std::optional<TableDef>();
  }
  Status EnsureTable(const TableDef&) override { return Status::Ok(); }
  Result<std::vector<ColumnDef>> AddColumns(const std::string&,
                                            const std::vector<ColumnDef>&) override {
    return std::vector<ColumnDef>();
  }
  Result<bool> IsCommitted(std::string_view) override { return false; }
  Status Ping() override { return Status::Ok(); }

 protected:
  Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) override {
    calls.push_back("begin");
    seen_table = this->table().name;
    seen_side = side_table() != nullptr ? side_table()->name : "";
    seen_loads = this->loads().size();
    seen_counts = counts().size();
    EXPECT_EQ(&table, &this->table());
    EXPECT_EQ(&loads, &this->loads());
    return begin_result;
  }
  Status WriteRows(const Batch& batch, size_t load) override {
    calls.push_back("write " + std::to_string(load));
    if (write_result.ok()) counts()[load].inserted += batch.rows();
    for (const RefusedRow& row : refuse) Refuse(row);
    return write_result;
  }
  Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) override {
    calls.push_back("side " + std::to_string(rows.rows()));
    EXPECT_EQ(loads.size(), rows.rows());
    side_loads = loads;
    side_rows.clear();
    for (size_t r = 0; r < rows.rows(); ++r) {
      std::string text;
      for (const Column& column : rows.columns()) {
        if (column.def.type == ColumnType::kString) text += std::string(column.strings[r]);
      }
      side_rows.push_back(text + "/" + std::to_string(rows.Line(r)));
    }
    for (const RefusedRow& row : refuse) Refuse(row);
    return side_result;
  }
  Status CommitLoads() override {
    calls.push_back("commit");
    for (const RefusedRow& row : refuse) Refuse(row);
    return commit_result;
  }
  void AbortLoads() noexcept override { calls.push_back("abort"); }
};

using Calls = std::vector<std::string>;

TableDef Table() {
  return {"t", {{"id", ColumnType::kInteger, false}, {"name", ColumnType::kString, true}}, {}};
}

std::vector<LoadId> Loads(size_t n) {
  std::vector<LoadId> loads;
  for (size_t i = 0; i < n; ++i) {
    loads.push_back({"h" + std::to_string(i), "/in/" + std::to_string(i)});
  }
  return loads;
}

// `rows` rows of Table().
Batch Rows(size_t rows) {
  Batch batch;
  batch.Reset(Table().columns);
  for (size_t i = 0; i < rows; ++i) {
    batch.columns()[0].AppendInt(static_cast<int64_t>(i));
    batch.columns()[1].AppendString("x");
    batch.FinishRow(2 + i);
  }
  return batch;
}

TEST(LoadSessionTest, OneLoadRunsEachStepAndReturnsItsCounts) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  EXPECT_TRUE(sink.open());
  EXPECT_EQ(sink.seen_table, "t");
  EXPECT_EQ(sink.seen_loads, 1u);
  EXPECT_EQ(sink.seen_counts, 1u);
  ASSERT_TRUE(sink.Write(Rows(2), 0).ok());
  ASSERT_TRUE(sink.Write(Rows(3), 0).ok());
  auto counts = sink.Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].inserted, 5u);
  EXPECT_FALSE(sink.open());
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "write 0", "commit"}));
}

TEST(LoadSessionTest, GroupCountsComeBackInBeginsOrderAndLoadsMaySkip) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(3)).ok());
  ASSERT_TRUE(sink.Write(Rows(2), 0).ok());
  ASSERT_TRUE(sink.Write(Rows(4), 2).ok());
  ASSERT_TRUE(sink.Write(Rows(0), 2).ok());
  auto counts = sink.Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].inserted, 2u);
  EXPECT_EQ((*counts)[1].inserted, 0u);
  EXPECT_EQ((*counts)[2].inserted, 4u);
  // The next session starts at load 0 with counts of zero.
  ASSERT_TRUE(sink.Begin(Table(), Loads(2)).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  counts = sink.Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 1u);
  EXPECT_EQ((*counts)[1].inserted, 0u);
}

TEST(LoadSessionTest, WriteCommitAndAbortWithoutBeginReachNoStep) {
  StepSink sink;
  EXPECT_EQ(sink.Write(Rows(1), 0).code(), StatusCode::kInternal);
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kInternal);
  sink.Abort();
  EXPECT_TRUE(sink.calls.empty());
}

TEST(LoadSessionTest, BeginDuringALoadIsInternalAndLeavesTheLoadAlone) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  EXPECT_EQ(sink.Begin(Table(), Loads(2)).code(), StatusCode::kInternal);
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  auto counts = sink.Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].inserted, 2u);
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "write 0", "commit"}));
}

TEST(LoadSessionTest, BeginRefusesBadLoadsAndTablesBeforeTheSinkSeesThem) {
  StepSink sink;
  EXPECT_EQ(sink.Begin(Table(), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sink.Begin(Table(), {{"h0", "/in/0"}, {"", "/in/1"}}).code(),
            StatusCode::kInvalidArgument);
  Status twice = sink.Begin(Table(), {{"a", "/in/a"}, {"b", "/in/b"}, {"a", "/in/a2"}});
  EXPECT_EQ(twice.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.message().find("load a"), std::string::npos) << twice.ToString();
  TableDef no_columns = Table();
  no_columns.columns.clear();
  EXPECT_EQ(sink.Begin(no_columns, Loads(1)).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(sink.calls.empty());
  EXPECT_FALSE(sink.open());
  EXPECT_TRUE(sink.Begin(Table(), Loads(1)).ok());
}

TEST(LoadSessionTest, WriteToALoadOutOfRangeIsInternalAndReachesNoStep) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(2)).ok());
  EXPECT_EQ(sink.Write(Rows(1), 2).code(), StatusCode::kInternal);
  // Refused, it changed nothing: the loads go on.
  ASSERT_TRUE(sink.Write(Rows(1), 1).ok());
  auto counts = sink.Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[1].inserted, 1u);
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 1", "commit"}));
}

TEST(LoadSessionTest, WriteToAnEarlierLoadIsInternalAndReachesNoStep) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(3)).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 1).ok());
  Status earlier = sink.Write(Rows(1), 0);
  EXPECT_EQ(earlier.code(), StatusCode::kInternal);
  EXPECT_NE(earlier.message().find("load 0 after load 1"), std::string::npos) << earlier.ToString();
  ASSERT_TRUE(sink.Write(Rows(1), 1).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 2).ok());
  // Load 2 is now the last one written: load 1 is earlier.
  EXPECT_EQ(sink.Write(Rows(1), 1).code(), StatusCode::kInternal);
  auto counts = sink.Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 0u);
  EXPECT_EQ((*counts)[1].inserted, 2u);
  EXPECT_EQ((*counts)[2].inserted, 1u);
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 1", "write 1", "write 2", "commit"}));
}

// Batches unlike `table` (of at least two columns) in each way
// CheckBatchFitsTable finds: fewer columns, a column renamed, one retyped, ragged.
std::vector<Batch> UnlikeBatches(const TableDef& table) {
  std::vector<Batch> unlike;
  Batch fewer;
  fewer.Reset({table.columns[0]});
  fewer.columns()[0].AppendNull();
  fewer.FinishRow(2);
  unlike.push_back(std::move(fewer));
  TableDef renamed = table;
  renamed.columns[1].name = "other";
  TableDef retyped = table;
  retyped.columns[0].type =
      table.columns[0].type == ColumnType::kString ? ColumnType::kInteger : ColumnType::kString;
  for (const TableDef* def : std::vector<const TableDef*>{&renamed, &retyped, &table}) {
    Batch batch;
    batch.Reset(def->columns);
    unlike.push_back(std::move(batch));
  }
  unlike.back().columns()[1].AppendNull();  // a value without its row
  return unlike;
}

TEST(LoadSessionTest, BatchUnlikeTheTableIsInternalAndReachesNoStep) {
  const std::vector<Batch> unlike = UnlikeBatches(Table());
  for (size_t i = 0; i < unlike.size(); ++i) {
    SCOPED_TRACE(i);
    StepSink sink;
    ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
    EXPECT_EQ(sink.Write(unlike[i], 0).code(), StatusCode::kInternal);
    EXPECT_TRUE(sink.Write(Rows(1), 0).ok());
    EXPECT_TRUE(sink.Commit().has_value());
    EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "commit"}));
  }
}

TEST(LoadSessionTest, AfterAFailedWriteOnlyAbortIsAccepted) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(2)).ok());
  sink.write_result = Status::InvalidData("row refused");
  EXPECT_EQ(sink.Write(Rows(1), 0).code(), StatusCode::kInvalidData);
  sink.write_result = Status::Ok();
  EXPECT_EQ(sink.Write(Rows(1), 0).code(), StatusCode::kInternal);
  EXPECT_EQ(sink.Write(Rows(1), 1).code(), StatusCode::kInternal);
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kInternal);
  EXPECT_TRUE(sink.open());
  sink.Abort();
  EXPECT_FALSE(sink.open());
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "abort"}));
  // The failure belonged to that session only.
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  EXPECT_TRUE(sink.Write(Rows(1), 0).ok());
  EXPECT_TRUE(sink.Commit().has_value());
}

TEST(LoadSessionTest, AFailedBeginIsAbortedAndLeavesNoLoad) {
  StepSink sink;
  sink.begin_result = Status::AlreadyExists("load h0 is already committed");
  EXPECT_EQ(sink.Begin(Table(), Loads(1)).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(sink.open());
  EXPECT_EQ(sink.Write(Rows(1), 0).code(), StatusCode::kInternal);
  sink.Abort();
  EXPECT_EQ(sink.calls, (Calls{"begin", "abort"}));
  sink.begin_result = Status::Ok();
  EXPECT_TRUE(sink.Begin(Table(), Loads(1)).ok());
}

TEST(LoadSessionTest, AFailedCommitIsAbortedAndLeavesNoLoad) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  sink.commit_result = Status::Unavailable("connection lost");
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(sink.open());
  sink.Abort();
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kInternal);
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "commit", "abort"}));
}

TEST(LoadSessionTest, AbortIsCalledOncePerSession) {
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  sink.Abort();
  sink.Abort();
  EXPECT_EQ(sink.calls, (Calls{"begin", "abort"}));
}

TEST(LoadSessionTest, RefusedRowsAreKeptOnlyAfterAStepFailedWithInvalidData) {
  StepSink sink;
  sink.refuse = {{0, 3, "id", "out of range"}, {1, 2, "", "too long"}, {5, 9, "", "no such load"}};
  ASSERT_TRUE(sink.Begin(Table(), Loads(2)).ok());
  sink.write_result = Status::InvalidData("refused");
  EXPECT_EQ(sink.Write(Rows(2), 0).code(), StatusCode::kInvalidData);
  // A row of a load out of range is dropped: it would leave out nothing.
  ASSERT_EQ(sink.refused().size(), 2u);
  EXPECT_EQ(sink.refused()[0].line, 3u);
  EXPECT_EQ(sink.refused()[0].column, "id");
  EXPECT_EQ(sink.refused()[1].load, 1u);
  sink.Abort();
  EXPECT_EQ(sink.refused().size(), 2u);  // read after the abort
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  EXPECT_TRUE(sink.refused().empty());
  sink.write_result = Status::Unavailable("connection lost");
  EXPECT_FALSE(sink.Write(Rows(1), 0).ok());
  EXPECT_TRUE(sink.refused().empty());  // not a refusal of the data
  sink.Abort();
}

TEST(LoadSessionTest, RefusedRowsOutliveAFailedCommit) {
  StepSink sink;
  sink.refuse = {{0, 4, "", "bad date"}};
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  EXPECT_TRUE(sink.refused().empty());  // named by a step that succeeded: dropped
  sink.commit_result = Status::InvalidData("refused at commit");
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kInvalidData);
  EXPECT_FALSE(sink.open());
  ASSERT_EQ(sink.refused().size(), 1u);
  EXPECT_EQ(sink.refused()[0].line, 4u);
}

// ---- the side table ----------------------------------------------------------

TableDef Side() {
  return {"t_stats",
          {{"column", ColumnType::kString, false}, {"count", ColumnType::kInteger, true}},
          {}};
}

// One row of Side() per name, "count" = its index; row i comes from line 100 + i.
// The strings are views of `names`.
Batch SideRows(const std::vector<std::string>& names) {
  Batch batch;
  batch.Reset(Side().columns);
  for (size_t i = 0; i < names.size(); ++i) {
    batch.columns()[0].AppendString(names[i]);
    batch.columns()[1].AppendInt(static_cast<int64_t>(i));
    batch.FinishRow(100 + i);
  }
  return batch;
}

TEST(LoadSessionTest, BeginRefusesABadSideTableBeforeTheSinkSeesIt) {
  StepSink sink;
  TableDef no_columns = Side();
  no_columns.columns.clear();
  EXPECT_EQ(sink.Begin(Table(), Loads(1), &no_columns).code(), StatusCode::kInvalidArgument);
  for (const char* name : {"t", "T"}) {
    TableDef same = Side();
    same.name = name;
    Status status = sink.Begin(Table(), Loads(1), &same);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(status.message().find("is the loaded table"), std::string::npos) << status.ToString();
  }
  TableDef keyed = Side();
  keyed.key = {"column"};
  Status status = sink.Begin(Table(), Loads(1), &keyed);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("has a key"), std::string::npos) << status.ToString();
  EXPECT_TRUE(sink.calls.empty());
  EXPECT_FALSE(sink.open());

  const TableDef side = Side();
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  EXPECT_EQ(sink.seen_side, "t_stats");
  sink.Abort();
  // The side table belongs to its session only.
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  EXPECT_EQ(sink.seen_side, "");
}

TEST(LoadSessionTest, WriteSideRefusalsAreInternalAndKeepNothing) {
  const std::vector<std::string> names = {"a"};
  const TableDef side = Side();
  StepSink sink;
  EXPECT_EQ(sink.WriteSide(SideRows(names), 0).code(), StatusCode::kInternal);  // no load

  ASSERT_TRUE(sink.Begin(Table(), Loads(2)).ok());
  Status no_side = sink.WriteSide(SideRows(names), 0);
  EXPECT_EQ(no_side.code(), StatusCode::kInternal);
  EXPECT_NE(no_side.message().find("without a side table"), std::string::npos);
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.calls, (Calls{"begin", "commit"}));

  sink.calls.clear();
  ASSERT_TRUE(sink.Begin(Table(), Loads(2), &side).ok());
  EXPECT_EQ(sink.WriteSide(SideRows(names), 2).code(), StatusCode::kInternal);  // out of range
  std::vector<Batch> unlike = UnlikeBatches(Side());
  unlike.push_back(Rows(1));  // the table's columns, not the side table's
  for (size_t i = 0; i < unlike.size(); ++i) {
    EXPECT_EQ(sink.WriteSide(unlike[i], 0).code(), StatusCode::kInternal) << i;
  }
  // Refused calls kept no row: the loads commit without a side step.
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.calls, (Calls{"begin", "commit"}));

  // After a failed Write.
  sink.calls.clear();
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(names), 0).ok());
  sink.write_result = Status::InvalidData("row refused");
  EXPECT_EQ(sink.Write(Rows(1), 0).code(), StatusCode::kInvalidData);
  EXPECT_EQ(sink.WriteSide(SideRows(names), 0).code(), StatusCode::kInternal);
  sink.Abort();
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "abort"}));
}

TEST(LoadSessionTest, CommitWritesTheSideRowsOnceBeforeTheCommitInLoadOrder) {
  StepSink sink;
  const TableDef side = Side();
  ASSERT_TRUE(sink.Begin(Table(), Loads(3), &side).ok());
  const std::vector<std::string> zero = {"0a"}, one = {"1a", "1b"}, two_a = {"2a", "2b"},
                                 two_c = {"2c"};
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(zero), 0).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(one), 1).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(two_a), 2).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 2).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(two_c), 2).ok());  // a load's rows may come in parts
  auto counts = sink.Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "write 2", "side 6", "commit"}));
  EXPECT_EQ(sink.side_loads, (std::vector<size_t>{0, 1, 1, 2, 2, 2}));
  // In the order written; each row keeps its line.
  EXPECT_EQ(sink.side_rows,
            (std::vector<std::string>{"0a/100", "1a/100", "1b/101", "2a/100", "2b/101", "2c/100"}));
}

TEST(LoadSessionTest, SideRowsOutOfLoadOrderAreRefusedNamingTheLoads) {
  StepSink sink;
  const TableDef side = Side();
  ASSERT_TRUE(sink.Begin(Table(), Loads(3), &side).ok());
  const std::vector<std::string> zero = {"0a"}, one = {"1a"}, two = {"2a", "2b"};
  // A call refused for its batch does not move the order on.
  EXPECT_EQ(sink.WriteSide(Rows(1), 2).code(), StatusCode::kInternal);
  ASSERT_TRUE(sink.WriteSide(SideRows(zero), 0).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(two), 2).ok());
  // Loads skipped by a side row stay behind it, whatever Write did meanwhile.
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  for (size_t load : {size_t{0}, size_t{1}}) {
    Status late = sink.WriteSide(SideRows(load == 0 ? zero : one), load);
    EXPECT_EQ(late.code(), StatusCode::kInternal) << load;
    EXPECT_NE(late.message().find("load " + std::to_string(load) + " (h" + std::to_string(load) +
                                  ") after load 2 (h2)"),
              std::string::npos)
        << late.message();
  }
  // A refused call keeps nothing and the loads go on.
  ASSERT_TRUE(sink.WriteSide(SideRows(two), 2).ok());
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "side 5", "commit"}));
  EXPECT_EQ(sink.side_loads, (std::vector<size_t>{0, 2, 2, 2, 2}));
  EXPECT_EQ(sink.side_rows,
            (std::vector<std::string>{"0a/100", "2a/100", "2b/101", "2a/100", "2b/101"}));

  // The order is the session's: the next one starts again from load 0.
  ASSERT_TRUE(sink.Begin(Table(), Loads(2), &side).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(zero), 0).ok());
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.side_rows, (std::vector<std::string>{"0a/100"}));
}

TEST(LoadSessionTest, SideRowsInLoadOrderAreGivenAsWritten) {
  StepSink sink;
  const TableDef side = Side();
  ASSERT_TRUE(sink.Begin(Table(), Loads(2), &side).ok());
  const std::vector<std::string> zero = {"0a", "0b"}, one = {"1a"};
  ASSERT_TRUE(sink.WriteSide(SideRows(zero), 0).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(one), 1).ok());
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.side_loads, (std::vector<size_t>{0, 0, 1}));
  EXPECT_EQ(sink.side_rows, (std::vector<std::string>{"0a/100", "0b/101", "1a/100"}));
}

TEST(LoadSessionTest, NoSideStepWithoutSideRows) {
  StepSink sink;
  const TableDef side = Side();
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  ASSERT_TRUE(sink.Write(Rows(2), 0).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows({}), 0).ok());  // an empty batch is no row
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "commit"}));
}

TEST(LoadSessionTest, AFailedSideStepAbortsTheLoads) {
  const std::vector<std::string> names = {"a"};
  const TableDef side = Side();
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  ASSERT_TRUE(sink.Write(Rows(1), 0).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(names), 0).ok());
  sink.side_result = Status::Unavailable("connection lost");
  sink.refuse = {{0, 4, "", "not a refusal"}};
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(sink.open());
  EXPECT_TRUE(sink.refused().empty());  // not a refusal of the data
  EXPECT_EQ(sink.calls, (Calls{"begin", "write 0", "side 1", "abort"}));
  sink.Abort();  // nothing left to abort
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kInternal);
  EXPECT_EQ(sink.calls.size(), 4u);

  // InvalidData: what the step named is kept, as for CommitLoads, loads in range only.
  sink.calls.clear();
  sink.side_result = Status::InvalidData("side row refused");
  sink.refuse = {{0, 4, "", "named anyway"}, {3, 1, "", "no such load"}};
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(names), 0).ok());
  EXPECT_EQ(sink.Commit().status().code(), StatusCode::kInvalidData);
  EXPECT_FALSE(sink.open());
  ASSERT_EQ(sink.refused().size(), 1u);
  EXPECT_EQ(sink.refused()[0].line, 4u);
  EXPECT_EQ(sink.calls, (Calls{"begin", "side 1", "abort"}));
}

TEST(LoadSessionTest, ALaterSessionHasNoSideRowsOfAnEarlierOne) {
  const TableDef side = Side();
  const std::vector<std::string> old_rows = {"old1", "old2"}, new_rows = {"new"};
  StepSink sink;
  // Aborted, committed, failed at Commit: none leaves a row for the next session.
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(old_rows), 0).ok());
  sink.Abort();
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(new_rows), 0).ok());
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.side_rows, (std::vector<std::string>{"new/100"}));

  sink.commit_result = Status::Unavailable("connection lost");
  ASSERT_TRUE(sink.Begin(Table(), Loads(1), &side).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(old_rows), 0).ok());
  EXPECT_FALSE(sink.Commit().has_value());
  sink.commit_result = Status::Ok();

  sink.calls.clear();
  ASSERT_TRUE(sink.Begin(Table(), Loads(2), &side).ok());
  ASSERT_TRUE(sink.WriteSide(SideRows(new_rows), 1).ok());
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.calls, (Calls{"begin", "side 1", "commit"}));
  EXPECT_EQ(sink.side_rows, (std::vector<std::string>{"new/100"}));
  EXPECT_EQ(sink.side_loads, (std::vector<size_t>{1}));

  // A failed Begin with a side table, then a session without one.
  sink.calls.clear();
  sink.begin_result = Status::AlreadyExists("committed");
  EXPECT_FALSE(sink.Begin(Table(), Loads(1), &side).ok());
  sink.begin_result = Status::Ok();
  ASSERT_TRUE(sink.Begin(Table(), Loads(1)).ok());
  EXPECT_EQ(sink.seen_side, "");
  EXPECT_EQ(sink.WriteSide(SideRows(new_rows), 0).code(), StatusCode::kInternal);
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.calls, (Calls{"begin", "abort", "begin", "commit"}));
}

TEST(LoadSessionTest, SideRowsOutliveTheCallersBatchAndStrings) {
  const TableDef side = Side();
  StepSink sink;
  ASSERT_TRUE(sink.Begin(Table(), Loads(2), &side).ok());
  {
    // Long enough not to live inside the std::string (no small-string storage).
    std::vector<std::string> names = {std::string(40, 'x'), std::string(50, 'y')};
    Batch batch = SideRows(names);
    ASSERT_TRUE(sink.WriteSide(batch, 0).ok());
    for (std::string& name : names) name.assign(name.size(), '#');
  }
  {
    std::vector<std::string> names = {std::string(30, 'z')};
    ASSERT_TRUE(sink.WriteSide(SideRows(names), 1).ok());
    for (std::string& name : names) name.assign(name.size(), '#');
  }
  ASSERT_TRUE(sink.Commit().has_value());
  EXPECT_EQ(sink.side_rows,
            (std::vector<std::string>{std::string(40, 'x') + "/100", std::string(50, 'y') + "/101",
                                      std::string(30, 'z') + "/100"}));
}

}  // namespace
}  // namespace sluice

// SinkContractTest: every sink run through the whole Sink protocol (sink/sink.h)
// with the same cases, each checking what the database then holds, through the
// sink (DescribeTable, IsCommitted) and through a client of its own
// (contract_backends.h). SQLite always; PostgreSQL and ClickHouse with the test
// servers of scripts/test.sh (skipped without them, failed under CI=true).
// Documented differences between sinks are traits (SinkTraits), not skips.
//
// Thread-safety: each test runs on one thread; the crash cases fork.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "sink/add_columns_contract.h"
#include "sink/contract_backends.h"
#include "sink/sink.h"
#include "test_util.h"

namespace sluice {
namespace {

using contract::Cell;
using contract::DayText;
using contract::MicrosText;
using contract::Rows;
using contract::UniqueName;

// One row of (id, label) per id; label "l<id>" unless `labels` says otherwise.
// The strings live in `storage`, which must outlive the batch.
Batch Readings(const TableDef& table, const std::vector<int64_t>& ids,
               std::vector<std::string>& storage, const std::string& prefix = "l") {
  Batch batch;
  batch.Reset(table.columns);
  storage.clear();
  storage.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    storage.push_back(prefix + std::to_string(ids[i]));
    batch.columns()[0].AppendInt(ids[i]);
    batch.columns()[1].AppendString(storage.back());
    batch.FinishRow(2 + i);
  }
  return batch;
}

std::vector<int64_t> Ids(int64_t from, int64_t to) {
  std::vector<int64_t> ids;
  for (int64_t i = from; i < to; ++i) ids.push_back(i);
  return ids;
}

class SinkContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      backend_ = std::make_unique<contract::SqliteBackend>();
    } else if (GetParam() == "postgres") {
      SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
      backend_ = std::make_unique<contract::PostgresBackend>(url);
    } else {
      SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_CLICKHOUSE_URL");
      backend_ = std::make_unique<contract::ClickHouseBackend>(url);
    }
    sink_ = Open();
    ASSERT_NE(sink_, nullptr);
  }

  std::unique_ptr<Sink> Open() const {
    auto sink = OpenSink(backend_->Url());
    EXPECT_TRUE(sink.has_value()) << sink.status().ToString();
    return sink.has_value() ? std::move(*sink) : nullptr;
  }

  const contract::SinkTraits& traits() const { return backend_->traits(); }

  // A new table (id integer NOT NULL, label string) keyed on id if `keyed`.
  TableDef NewReadings(bool keyed = false) {
    TableDef def{UniqueName("rd"),
                 {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
                 {}};
    if (keyed) def.key = {"id"};
    Status created = sink_->EnsureTable(def);
    EXPECT_TRUE(created.ok()) << created.ToString();
    return def;
  }

  // A definition of a table that does not exist.
  static TableDef NewReadingsDef() {
    return {UniqueName("rd"), {{"id", ColumnType::kInteger, false}}, {}};
  }

  static LoadId NewLoad() {
    const std::string id = UniqueName("load");
    return {id, "/in/" + id + ".csv"};
  }

  // Begin, one Write per element of `ids_per_load`, Commit.
  Result<std::vector<LoadCounts>> Load(Sink& sink, const TableDef& def,
                                       const std::vector<LoadId>& loads,
                                       const std::vector<std::vector<int64_t>>& ids_per_load) {
    RETURN_IF_ERROR(sink.Begin(def, loads));
    std::vector<std::string> storage;
    for (size_t load = 0; load < ids_per_load.size(); ++load) {
      Status written = sink.Write(Readings(def, ids_per_load[load], storage), load);
      if (!written.ok()) {
        sink.Abort();
        return written;
      }
    }
    return sink.Commit();
  }

  // (id, label) of every row, by id (once keys are applied).
  Rows IdsAndLabels(const TableDef& def) {
    return backend_->Query("SELECT id, label FROM " + backend_->From(def.name, !def.key.empty()) +
                           " ORDER BY id");
  }
  std::string Count(const TableDef& def) {
    Rows rows = backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name));
    return rows.empty() ? "<no row>" : rows[0][0].value_or("NULL");
  }
  // The marker of `load` as (file, rows); empty if none.
  Rows Marker(const LoadId& load) { return backend_->Query(backend_->MarkerSql(load.id)); }

  bool Committed(const std::string& id) {
    Result<bool> committed = sink_->IsCommitted(id);
    EXPECT_TRUE(committed.has_value()) << committed.status().ToString();
    return committed.has_value() && *committed;
  }

  static Rows Expected(const std::vector<int64_t>& ids, const std::string& prefix = "l") {
    Rows rows;
    for (int64_t id : ids) rows.push_back({std::to_string(id), prefix + std::to_string(id)});
    return rows;
  }

  // The crash cases: a child process runs the protocol up to `step` and dies there
  // (_exit: no destructor, no Abort); then this process recovers the load as the
  // pipeline does at start-up.
  enum class Step { kBegin, kOneWrite, kSeveralWrites, kCommit };
  void CrashAfter(Step step);

  std::unique_ptr<contract::Backend> backend_;
  std::unique_ptr<Sink> sink_;
};

TEST_P(SinkContractTest, SingleLoadCommitsRowsCountsAndMarker) {
  const TableDef def = NewReadings();
  const LoadId load = NewLoad();
  EXPECT_FALSE(Committed(load.id));
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3}, storage), 0).ok());
  auto other = Open();
  ASSERT_NE(other, nullptr);
  auto seen = other->IsCommitted(load.id);
  EXPECT_TRUE(seen.has_value() && !*seen) << seen.status().ToString();
  // Asked on the connection that loads, the answer may be an error (PostgreSQL:
  // its connection is inside a COPY), never true, and the load goes on.
  seen = sink_->IsCommitted(load.id);
  EXPECT_FALSE(seen.has_value() && *seen);
  EXPECT_TRUE(Marker(load).empty());
  if (traits().transactional) {
    EXPECT_EQ(Count(def), "0");
  }
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].inserted, 3u);
  EXPECT_EQ((*counts)[0].skipped_by_key, 0u);

  EXPECT_TRUE(Committed(load.id));
  seen = other->IsCommitted(load.id);
  EXPECT_TRUE(seen.has_value() && *seen);
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3}));
  EXPECT_EQ(Marker(load), (Rows{{load.file, "3"}}));
}

TEST_P(SinkContractTest, GroupCommitsEveryLoadWithItsCountsInOrder) {
  const TableDef def = NewReadings();
  const std::vector<LoadId> loads = {NewLoad(), NewLoad(), NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  std::vector<std::string> storage;
  // Load 1 writes nothing at all; load 3 writes an empty batch, then rows.
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {10, 11, 12}, storage), 2).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {}, storage), 3).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {20}, storage), 3).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 4u);
  const std::vector<uint64_t> inserted = {3, 0, 3, 1};
  for (size_t i = 0; i < loads.size(); ++i) {
    EXPECT_EQ((*counts)[i].inserted, inserted[i]) << "load " << i;
    EXPECT_EQ((*counts)[i].skipped_by_key, 0u) << "load " << i;
    EXPECT_TRUE(Committed(loads[i].id)) << "load " << i;
    EXPECT_EQ(Marker(loads[i]), (Rows{{loads[i].file, std::to_string(inserted[i])}}));
  }
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3, 10, 11, 12, 20}));
}

TEST_P(SinkContractTest, AbortLeavesNothingAndTheSameIdsLoadAfterwards) {
  const TableDef def = NewReadings();
  const std::vector<LoadId> loads = {NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, Ids(0, 100), storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, Ids(100, 200), storage), 1).ok());
  sink_->Abort();
  sink_->Abort();  // nothing in progress: a no-op
  for (const LoadId& load : loads) {
    EXPECT_FALSE(Committed(load.id));
    EXPECT_TRUE(Marker(load).empty());
  }
  // ClickHouse's Abort deletes best effort; the next Begin of the ids guarantees it.
  if (traits().transactional) {
    EXPECT_EQ(Count(def), "0");
  }

  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  EXPECT_EQ(Count(def), "0");
  ASSERT_TRUE(sink_->Write(Readings(def, {1}, storage, "again"), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {2}, storage, "again"), 1).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2}, "again"));
  for (const LoadId& load : loads) EXPECT_EQ(Marker(load), (Rows{{load.file, "1"}}));
}

TEST_P(SinkContractTest, CommittedIdIsAlreadyExistsAloneAndInAGroup) {
  const TableDef def = NewReadings();
  const LoadId done = NewLoad();
  ASSERT_TRUE(Load(*sink_, def, {done}, {{1, 2}}).has_value());

  Status alone = sink_->Begin(def, {done});
  EXPECT_EQ(alone.code(), StatusCode::kAlreadyExists) << alone.ToString();
  const LoadId fresh = NewLoad();
  Status grouped = sink_->Begin(def, {fresh, done});
  EXPECT_EQ(grouped.code(), StatusCode::kAlreadyExists) << grouped.ToString();
  EXPECT_FALSE(Committed(fresh.id));
  EXPECT_TRUE(Marker(fresh).empty());
  EXPECT_EQ(Marker(done), (Rows{{done.file, "2"}}));  // not written twice

  // The refused Begin left no load in progress: the fresh id loads alone.
  auto counts = Load(*sink_, def, {fresh}, {{3}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3}));
}

void SinkContractTest::CrashAfter(Step step) {
  const TableDef def = NewReadings();
  const LoadId load = NewLoad();
  const std::string url = backend_->Url();
  sink_.reset();  // no connection of this process is shared with the child
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto sink = OpenSink(url);
    if (!sink.has_value()) _exit(2);
    if (!(*sink)->Begin(def, {load}).ok()) _exit(3);
    std::vector<std::string> storage;
    const int writes = step == Step::kBegin ? 0 : step == Step::kOneWrite ? 1 : 3;
    for (int i = 0; i < writes; ++i) {
      if (!(*sink)
               ->Write(Readings(def, Ids(1000 * (i + 1), 1000 * (i + 1) + 500), storage), 0)
               .ok()) {
        _exit(4);
      }
    }
    if (step == Step::kCommit && !(*sink)->Commit().has_value()) _exit(5);
    _exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0) << "the child failed before its crash";

  sink_ = Open();
  ASSERT_NE(sink_, nullptr);
  if (step == Step::kCommit) {
    EXPECT_TRUE(Committed(load.id));
    EXPECT_EQ(Marker(load), (Rows{{load.file, "1500"}}));
    EXPECT_EQ(sink_->Begin(def, {load}).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(Count(def), "1500");
    return;
  }
  EXPECT_FALSE(Committed(load.id));
  EXPECT_TRUE(Marker(load).empty());
  sink_->DiscardAttempt(def.name, load);
  Status begun = sink_->Begin(def, {load});
  ASSERT_TRUE(begun.ok()) << begun.ToString();
  EXPECT_EQ(Count(def), "0") << "rows of the crashed attempt remain";
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2, 3}, storage), 0).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 3u);
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3}));
  EXPECT_EQ(Marker(load), (Rows{{load.file, "3"}}));
}

TEST_P(SinkContractTest, CrashAfterBeginLeavesNothing) { CrashAfter(Step::kBegin); }
TEST_P(SinkContractTest, CrashAfterAWriteLeavesNothing) { CrashAfter(Step::kOneWrite); }
TEST_P(SinkContractTest, CrashAfterSeveralWritesLeavesNothing) { CrashAfter(Step::kSeveralWrites); }
TEST_P(SinkContractTest, CrashAfterCommitKeepsTheLoad) { CrashAfter(Step::kCommit); }

TEST_P(SinkContractTest, DuplicateKeysAreSkippedAndTheFirstCommittedRowWins) {
  const TableDef def = NewReadings(/*keyed=*/true);
  auto described = sink_->DescribeTable(def.name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->key, def.key);

  // Within one load: 2 twice (the second labelled "dup").
  const LoadId first = NewLoad();
  ASSERT_TRUE(sink_->Begin(def, {first}).ok());
  std::vector<std::string> storage, dup;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {2, 3}, dup, "dup"), 0).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  const bool counted = traits().counts_skipped_by_key;
  EXPECT_EQ((*counts)[0].inserted, counted ? 3u : 4u);
  EXPECT_EQ((*counts)[0].skipped_by_key, counted ? 1u : 0u);

  // Across loads, committed before and in the same group.
  const std::vector<LoadId> group = {NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, group).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3, 4}, dup, "dup"), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {4, 5}, dup, "dup"), 1).ok());
  counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, counted ? 1u : 2u);
  EXPECT_EQ((*counts)[0].skipped_by_key, counted ? 1u : 0u);
  EXPECT_EQ((*counts)[1].inserted, counted ? 1u : 2u);
  EXPECT_EQ((*counts)[1].skipped_by_key, counted ? 1u : 0u);

  EXPECT_EQ(IdsAndLabels(def),
            (Rows{{"1", "l1"}, {"2", "l2"}, {"3", "dup3"}, {"4", "dup4"}, {"5", "dup5"}}));
  if (counted) {
    EXPECT_EQ(Marker(group[1]), (Rows{{group[1].file, "1"}}));
  }
}

TEST_P(SinkContractTest, AddColumnsThenLoadsUseTheNewColumn) {
  const std::string table = UniqueName("add");
  testing::CheckAddColumns([this] { return Open(); }, table, backend_->QuoteId(table),
                           [this](const std::string& sql) {
                             Rows rows = backend_->Query(sql);
                             return rows.empty() ? std::string("<no row>")
                                                 : rows[0][0].value_or("NULL");
                           });
}

TEST_P(SinkContractTest, HostileNamesRoundTrip) {
  // Short enough for PostgreSQL's 63 bytes with the unique suffix.
  const std::string table = UniqueName("t\"`' ;--\xE6\x97\xA5\\");
  const TableDef def{table,
                     {{"select", ColumnType::kInteger, false},
                      {"a\"b`c'd", ColumnType::kString, true},
                      {"with space\t\\", ColumnType::kFloat, true},
                      {"\xC3\xA9t\xC3\xA9 \xF0\x9F\x99\x82", ColumnType::kBoolean, true}},
                     {"select"}};
  Status created = sink_->EnsureTable(def);
  ASSERT_TRUE(created.ok()) << created.ToString();
  ASSERT_TRUE(sink_->EnsureTable(def).ok());  // exists: left alone
  auto described = sink_->DescribeTable(table);
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  ASSERT_TRUE(described->has_value());
  EXPECT_EQ((*described)->name, table);
  EXPECT_EQ((*described)->columns, def.columns);
  EXPECT_EQ((*described)->key, def.key);

  Batch batch;
  batch.Reset(def.columns);
  for (int64_t i : {7, 8}) {
    batch.columns()[0].AppendInt(i);
    batch.columns()[1].AppendString("v'\"`");
    batch.columns()[2].AppendFloat(0.5);
    batch.columns()[3].AppendInt(1);
    batch.FinishRow(2);
  }
  const LoadId load{UniqueName("it's \"odd\\`"), "/in/x'; DROP TABLE y; --\".csv"};
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  ASSERT_TRUE(sink_->Write(batch, 0).ok());
  ASSERT_TRUE(sink_->Commit().has_value());
  EXPECT_TRUE(Committed(load.id));
  EXPECT_EQ(Marker(load), (Rows{{load.file, "2"}}));
  std::string columns;
  for (const ColumnDef& c : def.columns) {
    columns += (columns.empty() ? "" : ", ") + backend_->Render(c.type, c.name);
  }
  EXPECT_EQ(backend_->Query("SELECT " + columns + " FROM " + backend_->From(table, true) +
                            " ORDER BY " + backend_->QuoteId("select")),
            (Rows{{"7", "v'\"`", "0.5", "1"}, {"8", "v'\"`", "0.5", "1"}}));
}

// ---- values -------------------------------------------------------------------

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TableDef EveryType(const std::string& name) {
  return {name,
          {{"id", ColumnType::kInteger, false},
           {"i", ColumnType::kInteger, true},
           {"f", ColumnType::kFloat, true},
           {"b", ColumnType::kBoolean, true},
           {"d", ColumnType::kDate, true},
           {"t", ColumnType::kTimestamp, true},
           {"s", ColumnType::kString, true}},
          {}};
}

// Begin, Write(batch), Commit of one new load; the first error, after Abort.
Status LoadBatch(Sink& sink, const TableDef& def, const LoadId& load, const Batch& batch) {
  RETURN_IF_ERROR(sink.Begin(def, {load}));
  Status status = sink.Write(batch, 0);
  if (status.ok()) status = sink.Commit().status();
  if (!status.ok()) sink.Abort();
  return status;
}

TEST_P(SinkContractTest, EveryTypeRoundTripsItsEdgeValues) {
  const TableDef def = EveryType(UniqueName("types"));
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  auto described = sink_->DescribeTable(def.name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->columns, def.columns);

  using Int = std::optional<int64_t>;
  using Float = std::optional<double>;
  const std::vector<Int> ints = {std::nullopt, kMin, kMax, 0, -1};
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Float> floats = {std::nullopt,
                                     -0.0,
                                     0.1,
                                     -2.5,
                                     1.7976931348623157e308,
                                     -1e300,
                                     2.2250738585072014e-308,
                                     4.9406564584124654e-324,
                                     inf,
                                     -inf,
                                     std::numeric_limits<double>::quiet_NaN()};
  const std::vector<Int> bools = {std::nullopt, 0, 1};
  std::vector<Int> days = {std::nullopt};
  for (int64_t day : {0, -1, 1, -25567, 19724, -719162, 2932896, 65535, 120529}) {
    if (day >= traits().min_day && day <= traits().max_day) days.push_back(day);
  }
  std::vector<Int> times = {std::nullopt};
  for (int64_t t :
       {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{1704153600000007}, int64_t{-2208988800000000},
        int64_t{4294967295000000}, int64_t{253402300799999999}, int64_t{-62135596800000000},
        int64_t{-86399999999}, int64_t{9214646399999999}}) {
    if (t >= traits().min_micros && t <= traits().max_micros) times.push_back(t);
  }
  const std::vector<std::optional<std::string>> strings = {
      std::nullopt,
      "",
      "tab\there",
      "new\nline\r\n",
      "back\\slash\\",
      "\\N",
      "NULL",
      "quote'\"`",
      "\xC3\xBCn\xC3\xAF \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82",  // ünï 日本 🙂
      "\x01\x02\x1b\x7f",
      std::string(70000, 'x') + "\n"};

  const size_t rows =
      std::max({ints.size(), floats.size(), days.size(), times.size(), strings.size()});
  Batch batch;
  batch.Reset(def.columns);
  auto& c = batch.columns();
  auto put = [](Column& column, const auto& values, size_t row) {
    if (row >= values.size() || !values[row]) {
      column.AppendNull();
    } else if constexpr (std::is_same_v<std::decay_t<decltype(*values[row])>, double>) {
      column.AppendFloat(*values[row]);
    } else if constexpr (std::is_same_v<std::decay_t<decltype(*values[row])>, int64_t>) {
      column.AppendInt(*values[row]);
    } else {
      column.AppendString(*values[row]);
    }
  };
  for (size_t row = 0; row < rows; ++row) {
    c[0].AppendInt(static_cast<int64_t>(row));
    put(c[1], ints, row);
    put(c[2], floats, row);
    put(c[3], bools, row);
    put(c[4], days, row);
    put(c[5], times, row);
    put(c[6], strings, row);
    batch.FinishRow(2 + row);
  }
  const LoadId load = NewLoad();
  Status loaded = LoadBatch(*sink_, def, load, batch);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();

  std::string columns;
  for (const ColumnDef& column : def.columns) {
    columns += (columns.empty() ? "" : ", ") + backend_->Render(column.type, column.name);
  }
  const Rows got = backend_->Query("SELECT " + columns + " FROM " + backend_->QuoteId(def.name) +
                                   " ORDER BY id");
  ASSERT_EQ(got.size(), rows);
  auto text = [](const auto& values, size_t row, auto format) -> Cell {
    if (row >= values.size() || !values[row]) return std::nullopt;
    return format(*values[row]);
  };
  for (size_t row = 0; row < rows; ++row) {
    SCOPED_TRACE("row " + std::to_string(row));
    ASSERT_EQ(got[row].size(), 7u);
    EXPECT_EQ(got[row][0], std::to_string(row));
    EXPECT_EQ(got[row][1], text(ints, row, [](int64_t v) { return std::to_string(v); }));
    EXPECT_EQ(got[row][3], text(bools, row, [](int64_t v) { return std::to_string(v); }));
    EXPECT_EQ(backend_->Canonical(ColumnType::kDate, got[row][4]), text(days, row, DayText));
    EXPECT_EQ(
        backend_->Canonical(ColumnType::kTimestamp, got[row][5]), text(times, row, [&](int64_t v) {
          // Truncated to the second, the floor for times before 1970.
          return MicrosText(traits().keeps_micros ? v : v - (v % 1000000 + 1000000) % 1000000);
        }));
    EXPECT_EQ(got[row][6], text(strings, row, [](const std::string& v) { return v; }));
    // Floats: the same double, bit for bit (the sign of zero included).
    const Float want = row < floats.size() ? floats[row] : std::nullopt;
    if (want && std::isnan(*want) && !traits().keeps_nan) {
      EXPECT_EQ(got[row][2], std::nullopt) << "NaN is documented to be stored as NULL";
    } else if (!want) {
      EXPECT_EQ(got[row][2], std::nullopt);
    } else if (!got[row][2]) {
      ADD_FAILURE() << "float " << *want << " came back as NULL";
    } else {
      const double back = std::strtod(got[row][2]->c_str(), nullptr);
      const bool zero_lost = *want == 0 && !traits().keeps_negative_zero;
      EXPECT_TRUE(std::isnan(*want) ? std::isnan(back)
                  : zero_lost       ? back == 0
                                    : std::memcmp(&back, &*want, sizeof back) == 0)
          << "float " << contract::FloatText(*want) << " came back as \"" << *got[row][2] << "\"";
    }
  }
}

// A value the sink cannot store as it is, is refused (InvalidData, the load not
// committed), never stored altered; the int64 edges of dates and timestamps are
// either that or stored.
TEST_P(SinkContractTest, ValuesOutOfRangeAreRefusedNotAltered) {
  const TableDef def = EveryType(UniqueName("range"));
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  auto refused = [](const std::vector<int64_t>& list, int64_t v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  struct Case {
    size_t column;
    int64_t value;
    bool must_refuse;
  };
  std::vector<Case> cases;
  for (int64_t day : traits().refused_days) cases.push_back({4, day, true});
  for (int64_t micros : traits().refused_micros) cases.push_back({5, micros, true});
  for (int64_t edge : {kMin, kMax}) {
    if (!refused(traits().refused_days, edge)) cases.push_back({4, edge, false});
    if (!refused(traits().refused_micros, edge)) cases.push_back({5, edge, false});
  }
  for (const Case& one : cases) {
    SCOPED_TRACE("column " + def.columns[one.column].name + " value " + std::to_string(one.value));
    Batch batch;
    batch.Reset(def.columns);
    batch.columns()[0].AppendInt(1);
    for (size_t i = 1; i < def.columns.size(); ++i) {
      if (i == one.column) {
        batch.columns()[i].AppendInt(one.value);
      } else {
        batch.columns()[i].AppendNull();
      }
    }
    batch.FinishRow(9);
    const LoadId load = NewLoad();
    Status status = LoadBatch(*sink_, def, load, batch);
    if (one.must_refuse) {
      EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
      EXPECT_FALSE(Committed(load.id));
    } else {
      EXPECT_TRUE(status.ok()) << status.ToString();
    }
  }
  // Bytes that are not UTF-8.
  Batch batch;
  batch.Reset(def.columns);
  batch.columns()[0].AppendInt(2);
  for (size_t i = 1; i < 6; ++i) batch.columns()[i].AppendNull();
  const std::string bytes = "\xff\xfe\xc3(";
  batch.columns()[6].AppendString(bytes);
  batch.FinishRow(9);
  const LoadId load = NewLoad();
  Status status = LoadBatch(*sink_, def, load, batch);
  const Rows stored =
      backend_->Query("SELECT s FROM " + backend_->QuoteId(def.name) + " WHERE id = 2");
  if (traits().requires_utf8) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
    EXPECT_FALSE(Committed(load.id));
    EXPECT_TRUE(stored.empty());
  } else {
    EXPECT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(stored, (Rows{{bytes}}));
  }
}

// ---- protocol misuse ----------------------------------------------------------

TEST_P(SinkContractTest, ProtocolMisuseIsRefusedNotACrash) {
  const TableDef def = NewReadings();
  std::vector<std::string> storage;
  const Batch rows = Readings(def, {1}, storage);
  EXPECT_EQ(sink_->Write(rows, 0).code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->Commit().status().code(), StatusCode::kInternal);
  sink_->Abort();  // nothing to abort
  EXPECT_EQ(sink_->Begin(def, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sink_->Begin(def, {{"", "/in/x.csv"}}).code(), StatusCode::kInvalidArgument);

  const std::vector<LoadId> loads = {NewLoad(), NewLoad()};
  // During a load: no second Begin, no change of tables.
  ASSERT_TRUE(sink_->Begin(def, {loads[0]}).ok());
  EXPECT_EQ(sink_->Begin(def, {loads[1]}).code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->EnsureTable(NewReadingsDef()).code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->AddColumns(def.name, {{"x", ColumnType::kString, true}}).status().code(),
            StatusCode::kInternal);
  sink_->Abort();
  // A load that was not begun; a load after a later one; a batch unlike the table.
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  EXPECT_EQ(sink_->Write(rows, 2).code(), StatusCode::kInternal);
  sink_->Abort();
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  ASSERT_TRUE(sink_->Write(rows, 1).ok());
  EXPECT_EQ(sink_->Write(rows, 0).code(), StatusCode::kInternal);
  sink_->Abort();
  Batch wrong;
  wrong.Reset({{"id", ColumnType::kString, true}, {"label", ColumnType::kString, true}});
  wrong.columns()[0].AppendString("1");
  wrong.columns()[1].AppendString("x");
  wrong.FinishRow(2);
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  EXPECT_EQ(sink_->Write(wrong, 0).code(), StatusCode::kInternal);
  sink_->Abort();
  for (const LoadId& load : loads) EXPECT_FALSE(Committed(load.id));

  // Commit twice; Write after Commit.
  ASSERT_TRUE(sink_->Begin(def, {loads[0]}).ok());
  ASSERT_TRUE(sink_->Write(rows, 0).ok());
  ASSERT_TRUE(sink_->Commit().has_value());
  EXPECT_EQ(sink_->Commit().status().code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->Write(rows, 0).code(), StatusCode::kInternal);
  sink_->Abort();  // after Commit: nothing in progress
  EXPECT_TRUE(Committed(loads[0].id));
  EXPECT_EQ(Marker(loads[0]), (Rows{{loads[0].file, "1"}}));
  EXPECT_EQ(IdsAndLabels(def), Expected({1}));
}

INSTANTIATE_TEST_SUITE_P(AllSinks, SinkContractTest,
                         ::testing::Values("sqlite", "postgres", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice

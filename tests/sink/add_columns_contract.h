// The contract of Sink::AddColumns, checked the same way against every sink.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sink/sink.h"

namespace sluice::testing {

// `open` opens a new connection to the sink under test; `scalar` runs a query on
// the database through a client of its own and returns the first cell as text;
// `quoted` is `table` as the queries must name it. The table must not exist.
inline void CheckAddColumns(const std::function<std::unique_ptr<Sink>()>& open,
                            const std::string& table, const std::string& quoted,
                            const std::function<std::string(const std::string&)>& scalar) {
  std::unique_ptr<Sink> sink = open();
  ASSERT_NE(sink, nullptr);
  const TableDef before{
      table, {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}}, {}};
  ASSERT_TRUE(sink->EnsureTable(before).ok());
  auto load = [&](const TableDef& def, const std::string& id, auto fill) -> Status {
    Batch batch;
    batch.Reset(def.columns);
    fill(batch);
    RETURN_IF_ERROR(sink->Begin(def, {{id, "/in/" + id + ".csv"}}));
    Status status = sink->Write(batch, 0);
    if (!status.ok()) {
      sink->Abort();
      return status;
    }
    return sink->Commit().status();
  };
  Status loaded = load(before, table + "_1", [](Batch& b) {
    for (int64_t id : {1, 2}) {
      b.columns()[0].AppendInt(id);
      b.columns()[1].AppendString("old");
      b.FinishRow(static_cast<uint64_t>(id) + 1);
    }
  });
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();

  // Only the missing column is added, nullable whatever was asked.
  auto added = sink->AddColumns(
      table, {{"note", ColumnType::kString, false}, {"label", ColumnType::kString, true}});
  ASSERT_TRUE(added.has_value()) << added.status().ToString();
  EXPECT_EQ(*added, (std::vector<ColumnDef>{{"note", ColumnType::kString, true}}));
  auto described = sink->DescribeTable(table);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->columns, (std::vector<ColumnDef>{{"id", ColumnType::kInteger, false},
                                                           {"label", ColumnType::kString, true},
                                                           {"note", ColumnType::kString, true}}));
  // Adding it again adds nothing.
  added = sink->AddColumns(table, {{"note", ColumnType::kString, true}});
  ASSERT_TRUE(added.has_value()) << added.status().ToString();
  EXPECT_TRUE(added->empty());

  // A load names its columns, so their order need not be the table's.
  const TableDef after{table,
                       {{"note", ColumnType::kString, true},
                        {"id", ColumnType::kInteger, false},
                        {"label", ColumnType::kString, true}},
                       {}};
  loaded = load(after, table + "_2", [](Batch& b) {
    b.columns()[0].AppendString("new");
    b.columns()[1].AppendInt(3);
    b.columns()[2].AppendString("fresh");
    b.FinishRow(2);
  });
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  EXPECT_EQ(scalar("SELECT count(*) FROM " + quoted + " WHERE note IS NULL"), "2");
  EXPECT_EQ(scalar("SELECT note FROM " + quoted + " WHERE id = 3"), "new");
  EXPECT_EQ(scalar("SELECT label FROM " + quoted + " WHERE id = 3"), "fresh");

  // Two connections adding the same column at once: both succeed, one adds it.
  std::latch start(2);
  std::vector<Result<std::vector<ColumnDef>>> results(2, std::vector<ColumnDef>{});
  auto worker = [&](int i) {
    std::unique_ptr<Sink> own = open();
    start.arrive_and_wait();
    if (own == nullptr) {
      results[i] = Status::Unavailable("cannot open");
      return;
    }
    results[i] = own->AddColumns(table, {{"score", ColumnType::kInteger, true}});
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1);
  a.join();
  b.join();
  ASSERT_TRUE(results[0].has_value()) << results[0].status().ToString();
  ASSERT_TRUE(results[1].has_value()) << results[1].status().ToString();
  EXPECT_EQ(results[0]->size() + results[1]->size(), 1u);
  described = sink->DescribeTable(table);
  ASSERT_TRUE(described.has_value() && described->has_value());
  ASSERT_EQ((*described)->columns.size(), 4u);
  EXPECT_EQ((*described)->columns[3], (ColumnDef{"score", ColumnType::kInteger, true}));

  EXPECT_EQ(
      sink->AddColumns(table + "_missing", {{"x", ColumnType::kString, true}}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(sink->AddColumns(table, {{"", ColumnType::kString, true}}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace sluice::testing

// Helpers shared by the ClickHouse sink's tests against a real server
// (SLUICE_TEST_CLICKHOUSE_URL): names no other test process uses, queries as
// another client would make them, the `readings` table and its batches, and the
// fixtures that open a sink on the server (and make a table) for each test.
//
// Thread-safety: none needed (each test runs on one thread).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sink/clickhouse/clickhouse_http.h"
#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/clickhouse/clickhouse_sql.h"
#include "sink/sink.h"
#include "sink/sink_test_rows.h"
#include "test_util.h"

namespace sluice::clickhouse_test {

// A name no other test process uses at the same time (tests run in parallel
// against one server).
inline std::string Unique(const std::string& base) {
  return base + "_" + std::to_string(getpid()) + "_" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

// Runs `sql` on the server behind `url`, as another client would; returns the
// TabSeparated answer.
inline std::string Query(const std::string& url, const std::string& sql) {
  auto endpoint = ParseClickHouseUrl(url);
  EXPECT_TRUE(endpoint.has_value());
  auto http = ClickHouseHttp::Create(*endpoint);
  EXPECT_TRUE(http.has_value());
  auto body = (*http)->Query(sql + " FORMAT TabSeparated", "test query");
  EXPECT_TRUE(body.has_value()) << sql << ": " << body.status().ToString();
  return body.has_value() ? *body : "";
}

// Runs `sql` (a statement without a result: INSERT … SELECT, ALTER) on the server
// behind `url`, as another client would.
inline void Exec(const std::string& url, const std::string& sql) {
  auto endpoint = ParseClickHouseUrl(url);
  ASSERT_TRUE(endpoint.has_value());
  auto http = ClickHouseHttp::Create(*endpoint);
  ASSERT_TRUE(http.has_value());
  Status status = (*http)->Query(sql, "test statement").status();
  ASSERT_TRUE(status.ok()) << sql << ": " << status.ToString();
}

inline std::string Database(const std::string& url) { return ParseClickHouseUrl(url)->database; }

inline std::string Table(const std::string& url, const std::string& name) {
  return QuoteClickHouseIdentifier(Database(url)) + "." + QuoteClickHouseIdentifier(name);
}

inline std::unique_ptr<ClickHouseSink> OpenOrDie(const std::string& url) {
  auto sink = ClickHouseSink::Open(url);
  EXPECT_TRUE(sink.has_value()) << sink.status().ToString();
  return sink.has_value() ? std::move(*sink) : nullptr;
}

// A table of a column of every type: i (not null), then f, b, d, ts, s (nullable,
// but for s if `nullable_string` is false).
inline TableDef EveryType(const std::string& name, bool nullable_string) {
  return {name,
          {{"i", ColumnType::kInteger, false},
           {"f", ColumnType::kFloat, true},
           {"b", ColumnType::kBoolean, true},
           {"d", ColumnType::kDate, true},
           {"ts", ColumnType::kTimestamp, true},
           {"s", ColumnType::kString, nullable_string}},
          {}};
}

inline TableDef Readings(const std::string& name, std::vector<std::string> key = {}) {
  return {name,
          {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
          std::move(key)};
}

// Rows (id, "label<id>"); row i comes from line 2 + i.
inline Batch ReadingsBatch(const TableDef& table, const std::vector<int64_t>& ids,
                           std::vector<std::string>& labels) {
  return testing::IdLabelBatch(table, ids, labels, "label");
}
inline std::vector<int64_t> Range(int64_t from, int64_t to) { return testing::IdRange(from, to); }

inline Status Load(Sink& sink, const TableDef& table, const std::string& load_id,
                   const std::vector<int64_t>& ids) {
  std::vector<std::string> labels;
  RETURN_IF_ERROR(sink.Begin(table, {LoadId{load_id, "/in/" + load_id + ".csv"}}));
  Status status = sink.Write(ReadingsBatch(table, ids, labels), 0);
  if (!status.ok()) {
    sink.Abort();
    return status;
  }
  return sink.Commit().status();
}

// Waits until no insert of load `id` runs on the server (the sink names the loads
// of its inserts in a comment; ids made by Unique() appear as they are).
inline void AwaitInsertsOf(const std::string& url, const std::string& id) {
  while (Query(url,
               "SELECT count() FROM system.processes WHERE query_id LIKE 'sluice-%' AND "
               "position(query, " +
                   QuoteClickHouseString(" " + id + " ") + ") > 0") != "0\n") {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Count of the mutations (finished or not) of `table`, as text.
inline std::string Mutations(const std::string& url, const std::string& table) {
  return Query(url, "SELECT count() FROM system.mutations WHERE database = " +
                        QuoteClickHouseString(Database(url)) +
                        " AND table = " + QuoteClickHouseString(table));
}

// Count of the rows of load `id` in `table`, as text.
inline std::string RowsOf(const std::string& url, const std::string& table, const std::string& id) {
  return Query(url, "SELECT count() FROM " + Table(url, table) +
                        " WHERE _sluice_load_id = " + QuoteClickHouseString(id));
}

// A sink on the test server for each test, `sink` (skipped without a server);
// `url` is the server's.
class ClickHouseServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SLUICE_SERVER_OR_SKIP(server, "SLUICE_TEST_CLICKHOUSE_URL");
    url = server;
    sink = OpenOrDie(url);
    ASSERT_NE(sink, nullptr);
  }

  // Makes the table `name` by hand (`definition`: its columns and engine, the SQL
  // after the name) and returns it as the sink describes it.
  TableDef HandMade(const std::string& name, const std::string& definition) {
    Exec(url, "CREATE TABLE " + Table(url, name) + " " + definition);
    auto described = sink->DescribeTable(name);
    EXPECT_TRUE(described.has_value() && described->has_value()) << name;
    return described.has_value() && described->has_value() ? **described : TableDef{};
  }

  std::string url;
  std::unique_ptr<ClickHouseSink> sink;
};

// ClickHouseServerTest and a new table `def` (Readings) that EnsureTable made,
// with every table a derived fixture adds to `made_` (from its constructor).
class ClickHouseTableTest : public ClickHouseServerTest {
 protected:
  void SetUp() override {
    ClickHouseServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const TableDef* table : made_) {
      Status made = sink->EnsureTable(*table);
      ASSERT_TRUE(made.ok()) << made.ToString();
    }
  }

  TableDef def = Readings(Unique("t"));
  std::vector<const TableDef*> made_ = {&def};
};

}  // namespace sluice::clickhouse_test

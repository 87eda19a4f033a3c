// The fixture of the PostgreSQL sink's tests against a real server
// (SLUICE_TEST_POSTGRES_URL): queries on a connection of their own, a table of
// every type and rows of it, shared by postgres_sink_test.cc and
// postgres_sink_group_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sink/postgres/postgres_sink.h"
#include "sink/sink_test_rows.h"
#include "test_util.h"

namespace sluice {

using Rows = std::vector<std::vector<std::string>>;

// Runs `sql` on a connection of its own, in UTC; each cell is its text or "NULL".
inline Rows Query(const std::string& url, const std::string& sql) {
  Rows rows;
  for (const auto& cells : testing::PgQuery(url, sql)) {
    auto& row = rows.emplace_back();
    for (const auto& cell : cells) row.push_back(cell.value_or("NULL"));
  }
  return rows;
}

inline std::string Scalar(const std::string& url, const std::string& sql) {
  Rows rows = Query(url, sql);
  return rows.empty() || rows[0].empty() ? "<no row>" : rows[0][0];
}

inline std::string QuoteId(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// `url` with one more query parameter.
inline std::string WithParam(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

class PostgresSinkTest : public ::testing::Test {
 protected:
  // A table name of this test alone, so tests can run side by side.
  std::string Name(const std::string& base) const {
    return base + "_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::unique_ptr<PostgresSink> OpenOrDie(const std::string& url) {
    auto sink = PostgresSink::Open(url);
    EXPECT_TRUE(sink.has_value()) << sink.status().ToString();
    return sink.has_value() ? std::move(*sink) : nullptr;
  }

  void Drop(const std::string& url, const std::string& table) {
    Query(url, "DROP TABLE IF EXISTS " + QuoteId(table));
  }

  std::string LoadId(const std::string& what) const { return Name("load") + "_" + what; }
};

inline TableDef AllTypes(const std::string& name, std::vector<std::string> key = {}) {
  return {name,
          {{"id", ColumnType::kInteger, false},
           {"x", ColumnType::kFloat, true},
           {"ok", ColumnType::kBoolean, true},
           {"day", ColumnType::kDate, true},
           {"at", ColumnType::kTimestamp, true},
           {"label", ColumnType::kString, true}},
          std::move(key)};
}

// One row of AllTypes; a negative day or time is before 1970.
inline void AddRow(Batch& batch, int64_t id, double x, bool ok, int64_t day, int64_t at_micros,
                   std::string_view label, uint64_t line) {
  auto& c = batch.columns();
  c[0].AppendInt(id);
  c[1].AppendFloat(x);
  c[2].AppendInt(ok ? 1 : 0);
  c[3].AppendInt(day);
  c[4].AppendInt(at_micros);
  c[5].AppendString(label);
  batch.FinishRow(line);
}

inline void AddNullRow(Batch& batch, int64_t id, uint64_t line) {
  auto& c = batch.columns();
  c[0].AppendInt(id);
  for (size_t i = 1; i < c.size(); ++i) c[i].AppendNull();
  batch.FinishRow(line);
}

// The first error of writing `batches` (load index, batch) and committing: the
// sink may report a refused row at a later Write or at Commit.
inline Status WriteAndCommit(Sink& sink,
                             const std::vector<std::pair<size_t, const Batch*>>& batches) {
  for (const auto& [load, batch] : batches) RETURN_IF_ERROR(sink.Write(*batch, load));
  return sink.Commit().status();
}

// AllTypes(name), created with "label" NOT NULL, and a batch of it (the sink
// takes what the table says) whose row from line 11 has a NULL label.
inline TableDef CreateWithNotNullLabel(Sink& sink, const std::string& name, bool keyed,
                                       Batch& batch) {
  TableDef def =
      AllTypes(name, keyed ? std::vector<std::string>{"id"} : std::vector<std::string>{});
  def.columns[5].nullable = false;
  EXPECT_TRUE(sink.EnsureTable(def).ok());
  TableDef loose = def;
  loose.columns[5].nullable = true;
  batch.Reset(loose.columns);
  AddRow(batch, 1, 1, true, 0, 0, "fine", 10);
  AddNullRow(batch, 2, 11);
  return def;
}

}  // namespace sluice

// Reading an SQLite sink's database in the SQLite sink tests: a connection of
// its own, as another process would read it, opening a sink or failing the test,
// and the fixture that gives each test a folder and a database path of its own.
//
// Thread-safety: none needed (each test runs on one thread).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "sink/sqlite/sqlite_sink.h"
#include "test_util.h"

namespace sluice::testing {

using SqliteRows = std::vector<std::vector<std::string>>;

// Runs `sql` on a read-only connection of its own. Each cell is its text, or "NULL".
inline SqliteRows SqliteQuery(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  SqliteRows rows;
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string>& row = rows.emplace_back();
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      row.emplace_back(text != nullptr ? text : "NULL");
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

// The first cell of SqliteQuery, or "<no row>".
inline std::string SqliteScalar(const std::string& db_path, const std::string& sql) {
  SqliteRows rows = SqliteQuery(db_path, sql);
  return rows.empty() || rows[0].empty() ? "<no row>" : rows[0][0];
}

// SqliteSink::Open, failing the test (and returning nullptr) on an error.
inline std::unique_ptr<SqliteSink> OpenSqliteOrFail(const std::string& path) {
  auto sink = SqliteSink::Open(path);
  EXPECT_TRUE(sink.has_value()) << sink.status().ToString();
  return sink.has_value() ? std::move(*sink) : nullptr;
}

// A new folder per test, `dir_`, and the path of the test's database in it,
// `db_`: no file yet (the first sink opened makes it).
class SqliteDbTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string db_ = dir_ / "db.sqlite";
};

}  // namespace sluice::testing

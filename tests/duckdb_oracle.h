// DuckDB as a test oracle for Parquet: runs SQL through scripts/duckdb.sh (DuckDB
// from npm, installed into a cache folder on first use) and returns every
// statement's rows as text. Without Node.js or the package the run is
// `unavailable`: DUCKDB_OR_SKIP then skips the test, or fails it when CI=true.
//
// Thread-safety: each call runs its own process; `dir` must be the caller's.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "test_util.h"

namespace sluice::testing {

struct DuckDbRun {
  using Cell = std::optional<std::string>;  // nullopt: NULL
  using Rows = std::vector<std::vector<Cell>>;
  bool unavailable = false;  // exit 77: no Node.js, npm or package
  std::string error;         // non-empty when the run failed
  std::vector<Rows> results;
  std::vector<std::vector<std::string>> types;
};

// Runs `sql` (statements separated by ';'), writing the script into `dir`.
inline DuckDbRun RunDuckDb(const TempDir& dir, const std::string& sql) {
  DuckDbRun run;
  const std::string sql_path = dir / "query.sql";
  const std::string err_path = dir / "duckdb.err";
  WriteFile(sql_path, sql);
  const std::string command = std::string(SLUICE_TEST_DATA_DIR) + "/../../scripts/duckdb.sh '" +
                              sql_path + "' 2>'" + err_path + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    run.error = "popen failed";
    return run;
  }
  std::string out;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != 0) {
    run.unavailable = code == 77;
    run.error = "scripts/duckdb.sh exited " + std::to_string(code) + ": " + ReadFile(err_path) +
                "\nSQL:\n" + sql;
    return run;
  }
  auto json = nlohmann::json::parse(out);
  for (const auto& result : json["results"]) {
    DuckDbRun::Rows rows;
    for (const auto& row : result["rows"]) {
      std::vector<DuckDbRun::Cell> cells;
      for (const auto& v : row) {
        if (v.is_null()) {
          cells.emplace_back(std::nullopt);
        } else if (v.is_string()) {
          cells.emplace_back(v.get<std::string>());
        } else {
          cells.emplace_back(v.dump());
        }
      }
      rows.push_back(std::move(cells));
    }
    run.results.push_back(std::move(rows));
    run.types.push_back(result["types"].get<std::vector<std::string>>());
  }
  return run;
}

// True when a missing DuckDB must fail the test rather than skip it.
inline bool DuckDbRequired() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

}  // namespace sluice::testing

// Declares `DuckDbRun var` with the results of `sql`; skips (fails when CI=true)
// when DuckDB cannot be had, fails on any other error.
#define DUCKDB_OR_SKIP(var, dir, sql)                                        \
  ::sluice::testing::DuckDbRun var = ::sluice::testing::RunDuckDb(dir, sql); \
  if (var.unavailable) {                                                     \
    if (::sluice::testing::DuckDbRequired()) FAIL() << var.error;            \
    GTEST_SKIP() << var.error;                                               \
  }                                                                          \
  ASSERT_TRUE(var.error.empty()) << var.error

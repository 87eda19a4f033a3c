// Rows for the sink tests: batches of (id, label) rows and reading a PostgreSQL
// table as another client would, shared by the sink contract suite and each
// sink's own tests.
//
// Thread-safety: none needed (each test runs on one thread).
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "sink/sink.h"

namespace sluice::testing {

// Rows (id, `prefix` + id) of a table whose columns are (id integer, label
// string); row i comes from line 2 + i. The strings live in `storage`, which
// must outlive the batch.
inline Batch IdLabelBatch(const TableDef& table, const std::vector<int64_t>& ids,
                          std::vector<std::string>& storage, const std::string& prefix) {
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

// from, from + 1, ..., to - 1.
inline std::vector<int64_t> IdRange(int64_t from, int64_t to) {
  std::vector<int64_t> ids;
  for (int64_t i = from; i < to; ++i) ids.push_back(i);
  return ids;
}

// Begin of `loads` into `table` (columns (id, label)), one Write of IdLabelBatch
// rows per element of `ids_per_load` (to the load of its index), Commit: the
// counts, or the first error after Abort.
inline Result<std::vector<LoadCounts>> LoadIdLabels(
    Sink& sink, const TableDef& table, const std::vector<LoadId>& loads,
    const std::vector<std::vector<int64_t>>& ids_per_load) {
  RETURN_IF_ERROR(sink.Begin(table, loads));
  std::vector<std::string> storage;
  for (size_t load = 0; load < ids_per_load.size(); ++load) {
    Status written = sink.Write(IdLabelBatch(table, ids_per_load[load], storage, "l"), load);
    if (!written.ok()) {
      sink.Abort();
      return written;
    }
  }
  return sink.Commit();
}

// Runs `sql` on a PostgreSQL connection of its own, in UTC: each cell as text,
// nullopt for NULL.
inline std::vector<std::vector<std::optional<std::string>>> PgQuery(const std::string& url,
                                                                    const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PQclear(PQexec(conn, "SET TimeZone = 'UTC'"));
  PGresult* res = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(res);
  EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
      << sql << ": " << PQresultErrorMessage(res);
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int r = 0; status == PGRES_TUPLES_OK && r < PQntuples(res); ++r) {
    auto& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(res); ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back();
      } else {
        row.emplace_back(
            std::string(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c))));
      }
    }
  }
  PQclear(res);
  PQfinish(conn);
  return rows;
}

}  // namespace sluice::testing

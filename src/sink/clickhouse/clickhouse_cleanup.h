// ClickHouseCleanup: how the ClickHouse sink finds and removes the rows of load
// attempts that did not commit (docs/clickhouse.md, "Exactly once without
// transactions" and "Clean-up and mutations").
//
// Rows are removed with ALTER TABLE … DELETE, a mutation: it rewrites every part of
// the table in the background and applies only to parts that exist when it is
// created. So the clean-up never creates a mutation for rows that are not there,
// and never a second one for a load id while one that covers it is not done yet
// (system.mutations, is_done = 0): it waits for that one instead.
//
// Thread-safety: none; used by one ClickHouseSink, on its connection.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sink/clickhouse/clickhouse_http.h"
#include "sink/sink.h"

namespace sluice {

class ClickHouseCleanup {
 public:
  // What the server knows of some loads.
  struct LoadState {
    std::vector<std::string> committed;       // ids with a marker
    std::vector<std::string> with_rows;       // ids with rows in the table
    std::vector<std::string> with_side_rows;  // ids with rows in the side table
    std::vector<std::string> attempted;       // ids in sluice_attempts (by_attempts only)
    bool running = false;                     // an insert of one of them is running
    // system.columns of the tables ReadLoadState was asked to describe.
    struct Column {
      std::string table, name, type;
    };
    std::vector<Column> columns;
  };

  // `http` must outlive this object; `database` holds the tables and the markers.
  ClickHouseCleanup(ClickHouseHttp& http, std::string database);

  // Which of `loads` are committed, which have rows in `table` and, unless `side`
  // is empty, in the side table `side`, and whether an insert of any of them is
  // running on the server, and the columns of the tables in `describe` (so that
  // Begin needs no query of its own for them): one query. With `by_attempts`,
  // the tables are not read (a scan of every row's load id): `attempted` says
  // which loads were begun before, the only ones that can have rows there.
  Result<LoadState> ReadLoadState(const std::string& table, const std::vector<LoadId>& loads,
                                  const std::string& side = "",
                                  const std::vector<std::string>& describe = {},
                                  bool by_attempts = false);
  // Stops the inserts of `loads` still running on the server (from a process that
  // died mid-request) and waits until none is left. Errors: Unavailable (still
  // running after the time-out), those of the queries.
  Status StopInserts(const std::vector<LoadId>& loads);
  // Removes the rows of `ids` from `table` and waits until none is left: one
  // delete mutation for the ids that no unfinished mutation covers, then polls.
  // Requires that no insert of these ids runs. Errors: Unavailable (rows still
  // there after the time-out), those of the queries.
  Status RemoveRows(const std::string& table, const std::vector<std::string>& ids);
  // After a failed attempt that may have stored rows: if `loads` have rows in
  // `table` and no insert of them runs, one delete mutation for those ids that no
  // unfinished mutation covers; not awaited. Best effort (the next Begin of each
  // load is the guarantee): errors are ignored.
  void DeleteLeftovers(const std::string& table, const std::vector<LoadId>& loads) noexcept;

 private:
  std::string Qualified(const std::string& table) const;
  // The ids of `ids` that have rows in `table` (first) and, of those, the ones no
  // unfinished delete mutation of `table` covers (second): one query.
  Result<std::pair<std::vector<std::string>, std::vector<std::string>>> Leftovers(
      const std::string& table, const std::vector<std::string>& ids, const std::string& context);
  Status Delete(const std::string& table, const std::vector<std::string>& ids,
                const std::string& context);
  // Runs `sql`, a count, until it answers 0; Unavailable (naming `what`) if it
  // still does not after the time-out.
  Status AwaitZero(const std::string& sql, const std::string& context, std::string_view what);

  ClickHouseHttp& http_;
  std::string database_;
};

}  // namespace sluice

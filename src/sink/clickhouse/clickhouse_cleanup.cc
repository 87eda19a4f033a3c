#include "sink/clickhouse/clickhouse_cleanup.h"

#include <chrono>
#include <thread>
#include <utility>

#include "core/retry_policy.h"
#include "sink/clickhouse/clickhouse_sql.h"

namespace sluice {
namespace {

using clickhouse::Ids;
using clickhouse::kAttemptTable;
using clickhouse::kLoadIdColumn;
using clickhouse::kMarkerTable;
using clickhouse::ParseCount;
using clickhouse::ParseTsv;
using clickhouse::QuotedList;
using clickhouse::RunningInsertsOf;

// How long Begin waits for a crashed attempt's inserts to end, and for the
// removal of its rows.
constexpr auto kCleanupTimeout = std::chrono::seconds(300);
// The pauses between the polls of that wait: short at first (a small insert or
// mutation is over in milliseconds), then at most twice a second.
constexpr RetryPolicy kCleanupPolls{std::chrono::milliseconds(20), std::chrono::milliseconds(500)};

// Whether the text of an unfinished mutation (system.mutations.command, as the
// server formats it: "DELETE WHERE _sluice_load_id IN ('a', 'b')") deletes the rows
// of `id`. An id the server quotes differently from QuoteClickHouseString (control
// characters) is not found, which costs one more mutation, nothing worse.
bool Covers(const std::vector<std::string>& commands, const std::string& id) {
  const std::string literal = QuoteClickHouseString(id);
  for (const std::string& command : commands) {
    if (command.starts_with("DELETE") && command.find(kLoadIdColumn) != std::string::npos &&
        command.find(literal) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> Uncovered(const std::vector<std::string>& ids,
                                   const std::vector<std::string>& commands) {
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    if (!Covers(commands, id)) out.push_back(id);
  }
  return out;
}

}  // namespace

ClickHouseCleanup::ClickHouseCleanup(ClickHouseHttp& http, std::string database)
    : http_(http), database_(std::move(database)) {}

std::string ClickHouseCleanup::Qualified(const std::string& table) const {
  return QuoteClickHouseIdentifier(database_) + "." + QuoteClickHouseIdentifier(table);
}

Result<ClickHouseCleanup::LoadState> ClickHouseCleanup::ReadLoadState(
    const std::string& table, const std::vector<LoadId>& loads, const std::string& side,
    const std::vector<std::string>& describe, bool by_attempts) {
  const std::string context = "check " + DescribeLoads(loads) + " in \"" + table + "\"";
  const std::string ids = QuotedList(Ids(loads));
  const std::string column = QuoteClickHouseIdentifier(kLoadIdColumn);
  // Every part answers four strings: a tag and three fields.
  // The ids in `of` that have rows, tagged `tag`.
  auto rows_in = [&](const std::string& tag, const std::string& of) {
    return " UNION ALL SELECT '" + tag + "', " + column + ", '', '' FROM " + Qualified(of) +
           " WHERE " + column + " IN (" + ids + ") GROUP BY " + column;
  };
  std::string sql = "SELECT 'committed' AS tag, load_id AS a, '' AS b, '' AS c FROM " +
                    Qualified(kMarkerTable) + " WHERE load_id IN (" + ids + ")";
  if (by_attempts) {
    // sluice_attempts is ordered by load_id: a look-up, where the tables' load
    // ids have no index and would be read whole.
    sql += " UNION ALL SELECT 'attempted', load_id, '', '' FROM " + Qualified(kAttemptTable) +
           " WHERE load_id IN (" + ids + ") GROUP BY load_id";
  } else {
    sql += rows_in("rows", table);
    if (!side.empty()) sql += rows_in("side", side);
  }
  sql += " UNION ALL SELECT 'running', '', toString(count()), '' FROM system.processes WHERE " +
         RunningInsertsOf(loads);
  if (!describe.empty()) {
    sql += " UNION ALL SELECT 'column', table, name, type FROM system.columns WHERE database = " +
           QuoteClickHouseString(database_) + " AND table IN (" + QuotedList(describe) + ")";
  }
  sql += " FORMAT TabSeparated";
  ASSIGN_OR_RETURN(std::string body, http_.Query(sql, context));
  LoadState state;
  for (auto& row : ParseTsv(body)) {
    if (row.size() != 4) return Status::Internal(context + ": malformed answer");
    if (row[0] == "committed") {
      state.committed.push_back(std::move(row[1]));
    } else if (row[0] == "rows") {
      state.with_rows.push_back(std::move(row[1]));
    } else if (row[0] == "side") {
      state.with_side_rows.push_back(std::move(row[1]));
    } else if (row[0] == "attempted") {
      state.attempted.push_back(std::move(row[1]));
    } else if (row[0] == "running") {
      state.running = row[2] != "0";
    } else if (row[0] == "column") {
      state.columns.push_back({std::move(row[1]), std::move(row[2]), std::move(row[3])});
    }
  }
  return state;
}

Status ClickHouseCleanup::AwaitZero(const std::string& sql, const std::string& context,
                                    std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + kCleanupTimeout;
  Backoff backoff(kCleanupPolls);
  while (true) {
    ASSIGN_OR_RETURN(std::string body, http_.Query(sql, context));
    ASSIGN_OR_RETURN(uint64_t count, ParseCount(body, context));
    if (count == 0) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable(context + ": " + std::to_string(count) + " " + std::string(what));
    }
    std::this_thread::sleep_for(backoff.Next());
  }
}

Status ClickHouseCleanup::StopInserts(const std::vector<LoadId>& loads) {
  const std::string context = "stop running inserts of " + DescribeLoads(loads);
  const std::string where = RunningInsertsOf(loads);
  // 18.16 refuses to kill an insert while it reads its body (error 380); the
  // insert of a process that died then ends by itself once the server reaches the
  // end of what was sent. So the kill's answer does not matter, the wait does.
  Result<std::string> killed = http_.Query("KILL QUERY WHERE " + where + " SYNC", context);
  (void)killed;
  return AwaitZero("SELECT count() FROM system.processes WHERE " + where, context,
                   "inserts still running");
}

Result<std::pair<std::vector<std::string>, std::vector<std::string>>> ClickHouseCleanup::Leftovers(
    const std::string& table, const std::vector<std::string>& ids, const std::string& context) {
  // The unfinished mutations are read before the rows: a mutation seen unfinished
  // may be done by the time the rows are counted (then they are gone), but rows
  // counted after a mutation was seen done were stored after it was made, and need
  // one of their own.
  ASSIGN_OR_RETURN(std::string mutations,
                   http_.Query("SELECT command FROM system.mutations WHERE database = " +
                                   QuoteClickHouseString(database_) +
                                   " AND table = " + QuoteClickHouseString(table) +
                                   " AND is_done = 0 FORMAT TabSeparated",
                               context));
  std::vector<std::string> commands;
  for (auto& row : ParseTsv(mutations)) commands.push_back(std::move(row[0]));
  const std::string column = QuoteClickHouseIdentifier(kLoadIdColumn);
  ASSIGN_OR_RETURN(
      std::string body,
      http_.Query("SELECT DISTINCT " + column + " FROM " + Qualified(table) + " WHERE " + column +
                      " IN (" + QuotedList(ids) + ") FORMAT TabSeparated",
                  context));
  std::vector<std::string> with_rows;
  for (auto& row : ParseTsv(body)) with_rows.push_back(std::move(row[0]));
  std::vector<std::string> uncovered = Uncovered(with_rows, commands);
  return std::make_pair(std::move(with_rows), std::move(uncovered));
}

Status ClickHouseCleanup::Delete(const std::string& table, const std::vector<std::string>& ids,
                                 const std::string& context) {
  return http_
      .Query("ALTER TABLE " + Qualified(table) + " DELETE WHERE " +
                 QuoteClickHouseIdentifier(kLoadIdColumn) + " IN (" + QuotedList(ids) + ")",
             context)
      .status();
}

Status ClickHouseCleanup::RemoveRows(const std::string& table,
                                     const std::vector<std::string>& ids) {
  const std::string context =
      "remove rows of " + std::to_string(ids.size()) + " load(s) from \"" + table + "\"";
  // A mutation returns at once and rewrites the parts in the background, and only
  // touches parts that exist when it is made: the rows must be gone before this
  // load inserts anything, so the wait is on the rows, not on the mutation.
  const auto deadline = std::chrono::steady_clock::now() + kCleanupTimeout;
  Backoff backoff(kCleanupPolls);
  while (true) {
    ASSIGN_OR_RETURN(auto leftovers, Leftovers(table, ids, context));
    auto& [with_rows, uncovered] = leftovers;
    if (with_rows.empty()) return Status::Ok();
    if (!uncovered.empty()) RETURN_IF_ERROR(Delete(table, uncovered, context));
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable(context + ": rows of " + std::to_string(with_rows.size()) +
                                 " load(s) still there after the delete mutation");
    }
    std::this_thread::sleep_for(backoff.Next());
  }
}

void ClickHouseCleanup::DeleteLeftovers(const std::string& table,
                                        const std::vector<LoadId>& loads) noexcept {
  const std::string context = "abort " + DescribeLoads(loads);
  Result<LoadState> state = ReadLoadState(table, loads);
  // A running insert (the connection failed, the server still reads) may store
  // rows after a mutation made now: the next Begin of each load waits for it and
  // removes them then.
  if (!state.has_value() || state->running || state->with_rows.empty()) return;
  auto leftovers = Leftovers(table, state->with_rows, context);
  if (!leftovers.has_value() || leftovers->second.empty()) return;
  (void)Delete(table, leftovers->second, context);
}

}  // namespace sluice

// Ledger::Impl, private to src/ledger/: the ledger's SQLite connection, its
// transactions, and the guarded statements that make the state machine of
// file_state.h. Its members are defined by role: ledger.cc (opening, batches,
// transactions), ledger_schema.cc (schema and migrations), ledger_writes.cc (the
// state machine's writes), ledger_queries.cc (records and reports),
// ledger_aggregates.cc (the copy of recent aggregates).
//
// Thread-safety: none of its own; every Ledger method holds `mu` while it uses it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/sqlite_db.h"
#include "core/sqlite_statement.h"
#include "core/status.h"
#include "ledger/ledger.h"

namespace sluice {

// The columns a FileRecord is read from (Ledger::Impl::ReadRecord), in order.
inline constexpr char kRecordColumns[] =
    "id, hash, path, size, mtime_ns, table_name, state, rows_loaded, rows_rejected, "
    "rows_skipped, bytes, attempts, error, duplicate_of, final_path, seen_at_us, started_at_us, "
    "finished_at_us, crashes, rejects_file, rows_filtered";

// The state's name as an SQL string literal, from FileStateName.
std::string SqlState(FileState state);
// The SQL condition "state IN ('a', 'b')" for `states`, built from FileStateName:
// the guards of the state machine come from its table, never from literals.
std::string StateIn(FileStateSet states);

struct Ledger::Impl {
  explicit Impl(SqliteDb connection)
      : owner(std::move(connection)), db(owner.get()), statements(db, "ledger") {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Status Exec(const char* sql, std::string_view context) {
    return SqliteExec(db, sql, "ledger", context);
  }

  // Prepared once per connection and text (the guarded writes' texts are built
  // from the transition table, so there are a few dozen).
  Result<SqliteStatement> Prepare(std::string_view sql, std::string_view context) {
    return statements.Prepare(sql, context);
  }

  // Runs `body` in a BEGIN IMMEDIATE transaction: committed if it returns OK,
  // rolled back otherwise. Inside a Batch, a savepoint of its transaction.
  template <typename Body>
  Status InWriteTransaction(std::string_view context, Body&& body) {
    if (in_batch) {
      RETURN_IF_ERROR(Exec("SAVEPOINT call", context));
      Status status = body();
      if (!status.ok()) sqlite3_exec(db, "ROLLBACK TO call", nullptr, nullptr, nullptr);
      Status released = Exec("RELEASE call", context);
      return status.ok() ? released : status;
    }
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", context));
    Status status = body();
    if (status.ok()) status = Exec("COMMIT", context);
    if (!status.ok() && sqlite3_get_autocommit(db) == 0) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return status;
  }

  // ledger_schema.cc: creates the schema in a new database, or checks that an
  // existing one is a ledger this version understands and migrates it.
  Status Initialize();

  // ledger_writes.cc: the state machine.

  // Changes record `file_id` by `op` into `to` (nullopt: its state stays) if the
  // table allows `op` from its current state: UPDATE files SET <set> WHERE id = ?1
  // AND state IN <sources>, with `args` bound to ?2, ?3, ... of `set`. Errors:
  // NotFound (no such record), Internal (refused: RefusedTransition).
  template <typename... Args>
  Status Transit(LedgerOp op, std::optional<FileState> to, std::string_view set, int64_t file_id,
                 const Args&... args) {
    const FileStateSet sources = to ? TransitionSources(op, to) : TransitionSources(op);
    std::string sql = "UPDATE files SET " + std::string(set);
    if (to) sql += std::string(set.empty() ? "" : ", ") + "state = " + SqlState(*to);
    sql += " WHERE id = ?1 AND " + StateIn(sources);
    ASSIGN_OR_RETURN(SqliteStatement update, Prepare(sql, LedgerOpName(op)));
    RETURN_IF_ERROR(update.Bind(file_id, args...).Run(LedgerOpName(op)));
    if (sqlite3_changes(db) == 1) return Status::Ok();
    return RefusedTransition(op, sources, file_id);
  }
  // Why `op` changed no record `file_id`: NotFound if there is none, else
  // Internal naming the record, the operation, the states it applies to and the
  // record's state.
  Status RefusedTransition(LedgerOp op, FileStateSet sources, int64_t file_id);
  // Inserts a record created by a claim in `state` (a finished one: duplicate or
  // quarantined, with `error` and `duplicate_of`); returns its id.
  Result<int64_t> InsertFinished(const FileIdentity& file, std::string_view table, FileState state,
                                 std::string_view error, std::string_view duplicate_of,
                                 int64_t now);
  Status ClaimLocked(const FileIdentity& file, std::string_view table, Claim& claim);
  Status Finish(int64_t file_id, LedgerOp op, FileState state, const LoadSummary& summary,
                std::string_view error);

  // ledger_aggregates.cc: keeps a loaded file's aggregates, flagging the means
  // that stand out, and removes the table's files beyond the latest
  // kAggregateFilesKept. Called inside MarkLoaded's transaction.
  Result<std::vector<FlaggedAggregate>> KeepAggregates(int64_t file_id,
                                                       const FileAggregates& aggregates);

  // ledger_queries.cc: reading records.

  Result<FileRecord> ReadRecord(const SqliteStatement& row);
  // Steps `query` (which selects kRecordColumns) to the end.
  Result<std::vector<FileRecord>> ReadRecords(SqliteStatement& query, std::string_view context);

  SqliteDb owner;
  sqlite3* db;                      // owner.get()
  SqliteStatementCache statements;  // destroyed before owner closes the connection
  // One connection, one caller at a time (it is opened NOMUTEX); recursive
  // because a Batch holds it while its thread makes calls.
  std::recursive_mutex mu;
  bool in_batch = false;  // a Batch's transaction is open
};

}  // namespace sluice

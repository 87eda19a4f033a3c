// SqliteSink: the Sink for an SQLite database file, sluice's embedded default.
//
// Each SqliteSink is one connection; each worker opens its own, and several may
// load into the same file at once. The database runs in WAL mode, and a load holds
// the write lock from Begin (BEGIN IMMEDIATE) to Commit or Abort, so loads into one
// file are serialised: a Begin waits up to the busy timeout (60 s) for another
// connection's load, then fails with Unavailable. A load's rows and its commit
// marker (a row in table "_sluice_loads") are committed in one transaction,
// with the rows of a side table named at Begin (inserted at Commit, before the
// markers; one SQLite refuses is InvalidData naming the side table, no row). With
// synchronous=NORMAL a committed load survives a crash or kill -9 of the process;
// an uncommitted one leaves nothing behind.
//
// Stored forms: integer INTEGER, float REAL (NaN is stored as NULL, SQLite has no
// NaN), boolean BOOLEAN (0/1), date DATE ('YYYY-MM-DD'), timestamp TIMESTAMP
// ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC, SQLite's own form: it sorts in time
// order and SQLite's date functions read it), string TEXT. The record key is a
// unique index named "sluice_key_<table>"; rows whose key exists are skipped (NULL
// key values never match, as in SQL).
//
// Rows are inserted 64 to a statement (the rest of a batch one each); a refused
// statement's rows are inserted again one by one to name the refused row.
//
// Memory: a connection's page cache grows up to 64 MiB during a load into a
// table with an index (or a primary key, or no rowid), 8 MiB otherwise; with
// other sinks of the process on the same database it is freed after each load,
// so several workers' caches hold one load's pages (docs/sinks.md).
//
// Errors: Unavailable (busy/locked past the timeout, disk full, I/O error, cannot
// open), InvalidData (a row was refused: NOT NULL, type, too big; the message
// names the row's source line), InvalidArgument (bad table definition, file is not
// a database), Internal (everything else, including protocol misuse). Every
// message begins "sqlite sink: ".
//
// Thread-safety: none; one thread at a time per SqliteSink.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/batch.h"
#include "core/iso_time.h"
#include "core/sqlite_db.h"
#include "core/sqlite_statement.h"
#include "core/status.h"
#include "core/table.h"
#include "sink/sink.h"

namespace sluice {

class SqliteSink final : public Sink {
 public:
  // Opens the database at `path`, creating it (and its parent directory) if
  // missing, and creates the commit-marker table. Errors: Unavailable (cannot
  // create or open), InvalidArgument (not an SQLite database).
  static Result<std::unique_ptr<SqliteSink>> Open(const std::string& path);

  // Aborts a load still in progress.
  ~SqliteSink() override;
  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  // See Sink. Declared types map back as written above; unknown ones as string.
  Result<std::optional<TableDef>> DescribeTable(std::string_view name) override;
  // See Sink. Errors: InvalidArgument (no columns, empty or NUL-containing name,
  // key column not in the table), Internal (a load is in progress).
  Status EnsureTable(const TableDef& table) override;
  // See Sink. Existing names compare ignoring ASCII case, as SQLite's do.
  Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                            const std::vector<ColumnDef>& columns) override;

  Result<bool> IsCommitted(std::string_view load_id) override;
  Status Ping() override;

  // Bytes held by this connection's page cache (SQLite's own count).
  int64_t CacheBytes();
  // The page cache's size limit in KiB (PRAGMA cache_size).
  Result<int> CacheKiB();

 protected:
  // See Sink. Errors: AlreadyExists (a load id is committed), Unavailable (write
  // lock not obtained within the busy timeout), Internal (table missing or unlike
  // `table`).
  Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) override;
  // See Sink. InvalidData for a row SQLite refuses, naming its source line.
  Status WriteRows(const Batch& batch, size_t load) override;
  Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) override;
  Status CommitLoads() override;
  void AbortLoads() noexcept override;

 private:
  // A statement kept for the connection's life (SQLITE_PREPARE_PERSISTENT), owned
  // by `owner` and used through `stmt`: the hot insert path binds its values
  // without copying them (SQLITE_STATIC), which SqliteStatement::Bind does not.
  struct Cached {
    std::optional<SqliteStatement> owner;
    sqlite3_stmt* stmt = nullptr;
  };

  struct InsertStatement {
    std::string sql;
    Cached cached;  // one row
    // kRowsPerInsert rows in one statement (fewer when the table is so wide that
    // they would pass SQLite's bound-parameter limit); no statement when fewer
    // than two rows fit. See WriteRows.
    Cached multi;
    size_t multi_rows = 0;
    bool keyed = false;
    // The table has an index, a primary key or no rowid: see kIndexedCacheKiB.
    bool indexed = false;
  };

  explicit SqliteSink(SqliteDb db);
  Status Exec(const char* sql, std::string_view context);
  // Prepares `sql` into `into`, replacing what it held.
  Status PrepareCached(Cached& into, const std::string& sql, std::string_view context);
  // Whether the schema query `sql` returns a row for ?1 = `table`.
  Result<bool> SchemaHas(const char* sql, const std::string& table);
  Result<bool> TableExists(const std::string& name);
  // Whether the schema of `table` (its table, indexes, triggers) may hold an ON
  // CONFLICT clause.
  Result<bool> HasConflictClause(const std::string& table);
  Result<InsertStatement*> InsertFor(const TableDef& table);
  // Binds row `row` of `batch` to `stmt` (an InsertFor statement of a table like
  // the batch) from parameter `first_param` on, formatting its dates and
  // timestamps into text_ from entry `text_base` on. SQLite's result code of the
  // binds, SQLITE_OK when all are bound.
  int BindRow(sqlite3_stmt* stmt, const Batch& batch, size_t row, int first_param,
              size_t text_base);
  // BindRow into parameter 1 on, then steps `stmt`; SQLITE_OK when stored.
  int InsertRow(sqlite3_stmt* stmt, const Batch& batch, size_t row);
  // Inserts rows [begin, end) of `batch` one statement per row, counting them in
  // counts()[load]; the first row SQLite refuses is refused and ends the load.
  Status InsertEach(const Batch& batch, size_t load, size_t begin, size_t end);
  // After the load's COMMIT or ROLLBACK: releases the writer lock, and the page
  // cache when other sinks of this process load into the same database.
  void EndLoad();
  // Sets the page cache's size limit (PRAGMA cache_size) if it differs.
  Status SetCacheKiB(int kib, std::string_view context);
  // Frees the page cache's unused pages (after a load: all of them).
  void ReleaseCache();
  // BEGIN IMMEDIATE, after taking this process's writer lock for the database.
  // SQLite's busy handler waits by sleeping (1 ms, then longer), which leaves the
  // database idle between the loads of workers in one process; they queue on a
  // mutex instead, and the busy timeout only arbitrates with other processes.
  Status BeginWrite(const std::string& context);
  void EndWrite();

  SqliteDb db_;                         // first member: closed after every statement is finalized
  std::shared_ptr<std::mutex> writer_;  // shared by the sinks of one database file
  std::unique_lock<std::mutex> write_lock_;
  Cached is_committed_;
  Cached insert_marker_;
  std::unordered_map<std::string, InsertStatement> inserts_;  // by table name
  int cache_kib_ = 0;  // the page cache's size limit as last set

  // The load in progress (the rest is the session's: see Sink).
  InsertStatement* insert_ = nullptr;
  InsertStatement* side_insert_ = nullptr;  // into side_table(), if any
  // Date and timestamp text of the rows of the current statement, one buffer per
  // column of each row (of the table or the side table, whichever is wider),
  // bound without copying (SQLITE_STATIC) and so alive until the statement is
  // stepped.
  std::vector<std::array<char, kIsoTextCapacity>> text_;
};

}  // namespace sluice

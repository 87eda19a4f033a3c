// PostgresSink: the Sink for a PostgreSQL server, through libpq: the load
// protocol. Its parts: the connection (pg_connection.h, with the one error
// classifier), the binary COPY encoder (pg_copy.h), the tables and markers in the
// catalog (pg_tables.h) and the URL (pg_url.h).
//
// Each PostgresSink owns one connection, kept for its lifetime; each worker opens
// its own. A connection that is lost (server restarted, network) is re-established
// by the next call that needs it (DescribeTable, EnsureTable, Begin, IsCommitted,
// Ping; a statement outside a load that finds it dead is sent again on a new
// one), so a server that comes back is picked up without restarting sluice.
//
// Tables live in the first existing schema of the connection's search_path other
// than "sluice" ("public" by default; set another with the URL parameter
// options=-csearch_path%3Dmyschema), fixed when the sink is opened. Names are
// quoted, so any name works; PostgreSQL limits them to 63 bytes. Created types:
// integer bigint, float double precision, boolean boolean, date date, timestamp
// timestamptz, string text; NOT NULL for non-nullable columns. A record key is a
// unique index named "sluice_key_<table>" (for long table names
// "sluice_key_<hash of the name>"). Tables made by hand may also use integer,
// smallint, real, timestamp (without time zone), varchar and char; other column
// types cannot be loaded (InvalidArgument at Begin).
//
// A Begin…Commit is one transaction, for one load or a group of them. Begin is
// one round trip: BEGIN, transaction-level advisory locks on the load ids (taken
// in one order, so two sluices cannot commit one id twice nor deadlock), the
// check of their commit markers, and the table's columns. Writes stream binary
// COPY: one COPY stays open across batches and, without a key, across the loads
// of the group; it is ended at Commit, when a keyed load ends, and after 2^20
// rows or 2^18 runs of following lines (a new one follows), and only then does the server report a
// refused row, named by its load's file and source line. With a key, each load's rows are copied
// into a temporary table (ON COMMIT DROP) and moved when the load ends with INSERT ... SELECT ...
// ORDER BY <key>, ctid ON CONFLICT DO NOTHING, which counts the load's rows skipped by key and
// keeps the file's first row of a key. A side table named at Begin (looked up in Begin's round
// trip) gets its rows at Commit, after the loads' COPY ends, in one binary COPY of its own in the
// same transaction. Commit (the markers of all loads in "sluice"."loads", then COMMIT: one round
// trip). "sluice"."loads" (load_id, table_name, file, rows, skipped, committed_at) is created when
// the sink is opened.
//
// Errors: classified by PostgresStatus (pg_connection.h): Unavailable/Timeout
// (connection lost or refused, shutdown, deadlock, lock timeout, resources),
// InvalidData (a value or row was refused; for COPY the message names the row's
// source line and the column), InvalidArgument (authentication, no such database,
// privileges, bad URL, unloadable table), Internal. Passwords never appear in
// messages: the URL is shown through RedactPostgresUrl.
//
// Thread-safety: none; one thread at a time per PostgresSink.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "sink/postgres/pg_connection.h"
#include "sink/postgres/pg_copy.h"
#include "sink/sink.h"

namespace sluice {

class PostgresSink final : public Sink {
 public:
  // Connects to `url`: "postgresql://..." or "postgres://..." (libpq URI), or
  // "postgresql:" followed by libpq key=value conninfo. Passwords may also come from
  // PGPASSWORD or ~/.pgpass (libpq). connect_timeout defaults to 10 s. Creates the
  // schema "sluice" and its table "loads" if missing. Errors: InvalidArgument (bad
  // URL, authentication failed, no such database or role, no current schema),
  // Unavailable (server not reachable).
  static Result<std::unique_ptr<PostgresSink>> Open(std::string_view url);

  // Aborts a load still in progress and closes the connection.
  ~PostgresSink() override;
  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

  // See Sink. Column types map back as listed above; any other type as string.
  Result<std::optional<TableDef>> DescribeTable(std::string_view name) override;
  // See Sink. Errors: InvalidArgument (no columns, empty, NUL-containing or longer
  // than 63 bytes names, duplicate columns, key column not in the table), Internal
  // (a load is in progress).
  Status EnsureTable(const TableDef& table) override;
  // See Sink. Serialised with EnsureTable and other AddColumns by the table's
  // advisory lock; ADD COLUMN IF NOT EXISTS covers changes made outside sluice.
  Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                            const std::vector<ColumnDef>& columns) override;

  Result<bool> IsCommitted(std::string_view load_id) override;
  Status Ping() override;

 protected:
  // See Sink. Errors: AlreadyExists (a load id is committed; the message names its
  // file), InvalidArgument (a column the sink cannot load), InvalidData (the table
  // lacks a column of `table`), Unavailable (connection).
  Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) override;
  // See Sink. A row the server refuses may be reported by a later Write or by
  // Commit (InvalidData naming the row's file and source line).
  Status WriteRows(const Batch& batch, size_t load) override;
  // See Sink. Ends the loads' COPY (a refused row of theirs is reported here),
  // then one binary COPY of every side row. A side row the server refuses is
  // InvalidData naming the side table and the load's file, with no RefusedRow.
  Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) override;
  // See Sink. When the connection is lost while COMMIT is under way, the sink
  // reconnects and asks the markers: all present, the Commit succeeded; otherwise
  // (or unreachable) Unavailable.
  Status CommitLoads() override;
  void AbortLoads() noexcept override;

 private:
  using ResultPtr = PgConnection::ResultPtr;

  PostgresSink(std::string conninfo, std::string display, std::string password);
  // The connection's calls, under the names the load protocol uses.
  Status Connect() { return pg_.Connect(); }
  Status EnsureConnected() { return pg_.EnsureConnected(); }
  Status Error(const PGresult* result, std::string_view context) const {
    return pg_.Error(result, context);
  }
  Result<ResultPtr> Exec(const std::string& sql, std::string_view context,
                         const std::vector<std::string>& params = {}) {
    return pg_.Exec(sql, context, params);
  }
  Result<std::vector<ResultPtr>> ExecAll(const std::vector<PgConnection::Statement>& statements,
                                         std::string_view context) {
    return pg_.ExecAll(statements, context);
  }
  // "insert into <table>": the context of errors while writing.
  std::string InsertContext() const;
  // InsertContext() + ", <file of loads_[load]>, line <line>": where a row failed.
  std::string RowContext(size_t load, uint64_t line) const;
  // Errors: Internal (the batch does not match the table), InvalidData (a value
  // the server's narrower column type cannot hold).
  Status CheckBatch(const Batch& batch, size_t load);
  // Starts the COPY of copy_sql_ and sends the binary COPY header.
  Status StartCopy();
  // Ends the open COPY and checks the server took every row sent; a refused row
  // is InvalidData with its load's file and source line.
  Status EndCopy();
  // Ends the loads' open COPY, if any; keyed tables: moves the staged rows too
  // (MoveStaged).
  Status FinishCopy();
  // Keyed tables: ends the COPY and moves the staged rows of load_ into the table,
  // recording its counts; with `reuse`, empties the stage for the next load.
  Status MoveStaged(bool reuse);
  void EndLoad();

  PgConnection pg_;
  // pg_'s libpq connection, as the load protocol uses it (follows reconnects).
  PGconn* const& conn_ = pg_.handle();
  std::string schema_name_;  // where tables go (see the top of this file)
  std::string schema_;       // schema_name_ quoted

  // The loads in progress (one Begin…Commit; the rest is the session's: see Sink).
  size_t load_ = 0;      // the load of the latest Write with rows
  uint64_t staged_ = 0;  // keyed: rows of load_ copied, not yet moved
  std::string target_;   // quoted schema and table name
  std::string copy_sql_;
  std::vector<pgcopy::Wire> wire_;
  std::vector<pgcopy::Wire> side_wire_;  // of side_table(), if any
  std::string side_copy_sql_;
  // The open COPY, if any. Its rows, in the server's numbering from 1, map back
  // to their source: the line of each, and the loads they belong to.
  bool copying_ = false;
  pgcopy::RowMap copy_rows_;
  std::string buffer_;  // binary COPY data being sent, reused
};

}  // namespace sluice

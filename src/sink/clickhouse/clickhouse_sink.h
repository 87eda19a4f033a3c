// ClickHouseSink: the Sink for a ClickHouse database, over its HTTP interface
// (one keep-alive libcurl connection per sink), rows sent in the Native format:
// the load protocol. Its parts: the transport with the one error classifier
// (clickhouse_http.h), the URL (clickhouse_url.h), the Native encoder (native.h),
// the tables (clickhouse_tables.cc), the clean-up of failed attempts
// (clickhouse_cleanup.h) and the SQL vocabulary they share (clickhouse_sql.h).
//
// ClickHouse has no transactions, so loads are made exactly-once by their load
// ids (docs/clickhouse.md has the whole argument):
//   - every row carries its load's id in the column `_sluice_load_id`;
//   - the table `sluice_loads` (owned by sluice) holds one row per committed load,
//     inserted by Commit only after the insert of the loads succeeded;
//   - the table `sluice_attempts` holds one row per load ever begun, inserted by
//     its first Begin before any of its rows is sent: only loads found there can
//     have rows without a marker, so only those are looked for in the table (a
//     look-up by load id instead of reading every row's; in a database an older
//     sluice loaded, earlier attempts are unrecorded and every id is looked for);
//   - Begin returns AlreadyExists if a load id is committed, and otherwise waits
//     for inserts of those ids still running on the server and removes rows of
//     them left by an attempt that crashed (a mutation, awaited until a count of
//     the ids' rows is 0) before anything is inserted;
//   - Abort removes the loads' rows too, best effort: Begin's clean-up is the
//     guarantee. Neither makes a delete mutation for rows that are not there, nor
//     a second one for a load id while one covering it is not done
//     (clickhouse_cleanup.h).
// A group of loads (one Begin…Commit) costs four requests whatever its size:
// Begin reads, in one query, the table's columns, the markers, the recorded
// attempts and the running inserts of every id, and records the new attempts
// (one block); the rows of all loads go into one streamed insert; Commit
// inserts one marker block. Any load of a group that
// crashed can be begun again alone: the clean-up is per id.
//
// A side table (Begin's `side`: the loads' per-file aggregates) is made
// exactly-once the same way, as part of the loads: its rows carry their load's
// id in `_sluice_load_id` too, Commit inserts them (one Native block, after the
// rows' insert has ended and before the markers), and Begin's clean-up covers
// it (its columns and its rows by id ride in Begin's one query). So a group
// with a side table costs one request more: five. DiscardAttempt knows only the
// main table: a crashed attempt's side rows stay until the next Begin of its
// load (docs/clickhouse.md).
// Between a crash and the next Begin of the same file, readers may see part of an
// uncommitted load; query through sluice_loads (docs/clickhouse.md) to exclude it.
//
// Tables are created as MergeTree ORDER BY tuple(), or, when a key is declared,
// ReplacingMergeTree(_sluice_version) ORDER BY (key columns): rows of the same key
// are collapsed by ClickHouse's background merges (read with FINAL to see them
// collapsed at once), which keep the row with the highest _sluice_version. Every
// row gets UINT64_MAX minus a number that grows with the order rows are written
// in (in this process, and across restarts by the wall clock), so the row written
// first wins, as the first committed row does in the SQL sinks; a failed attempt's
// rows are deleted before its load is begun again (docs/clickhouse.md has what
// readers see before merges, and the limits). LoadCounts::skipped_by_key is
// always 0. Key columns are not Nullable (a NULL there is refused as InvalidData).
// Keyed tables made without _sluice_version (before sluice had it) still load,
// with ClickHouse's own rule: the row inserted last wins.
//
// Stored forms: integer Int64, float Float64, boolean UInt8, string String, date
// Date (UInt16 days: 1970-01-01..2149-06-06; Date32 on servers from 21.9), timestamp
// DateTime64(6, 'UTC') on servers from 20.1, else DateTime (whole seconds,
// 1970..2106; fractions are truncated). Nullable columns are Nullable(T). Loads
// into existing tables convert to the table's own integer, float, date and time
// types, refusing values out of their range as InvalidData.
//
// Features are chosen by the server version asked at Open: on servers from 22.2
// the rows' insert carries insert_deduplication_token = a hash of the group's load
// ids (which makes a retried insert into a replicated table a no-op).
//
// Errors: see ClassifyClickHouseError (clickhouse_http.h). Messages never contain
// the password.
//
// Thread-safety: none; one thread at a time per ClickHouseSink.
#pragma once

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
#include "sink/clickhouse/clickhouse_cleanup.h"
#include "sink/clickhouse/clickhouse_http.h"
#include "sink/clickhouse/native.h"
#include "sink/sink.h"

namespace sluice {

class ClickHouseSink final : public Sink {
 public:
  struct Version {
    int major = 0;
    int minor = 0;
    bool AtLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
  };

  // Connects to `url` (see ParseClickHouseUrl), asks the server's version and
  // creates `sluice_loads` in the URL's database. Errors: InvalidArgument (bad URL,
  // authentication failed, unknown database), Unavailable (cannot connect).
  static Result<std::unique_ptr<ClickHouseSink>> Open(std::string_view url);

  // Aborts a load still in progress.
  ~ClickHouseSink() override;
  ClickHouseSink(const ClickHouseSink&) = delete;
  ClickHouseSink& operator=(const ClickHouseSink&) = delete;

  // See Sink. Types map back as: Int*/UInt* integer, UInt8/Bool boolean, Float*
  // float, Date/Date32 date, DateTime/DateTime64 timestamp, others string;
  // `_sluice_load_id` and `_sluice_version` are not listed. The key is the sorting key of a
  // ReplacingMergeTree (in column order).
  Result<std::optional<TableDef>> DescribeTable(std::string_view name) override;
  // See Sink. Errors: InvalidArgument (no columns, empty/NUL/duplicate/reserved
  // names, key column not in the table), Internal (a load is in progress).
  Status EnsureTable(const TableDef& table) override;
  // See Sink. Added columns are Nullable and come after the hidden load-id column.
  Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                            const std::vector<ColumnDef>& columns) override;

  Result<bool> IsCommitted(std::string_view load_id) override;
  // See Sink: stops the attempt's inserts if the server still runs them, then one
  // delete mutation for its rows in `table` (not awaited), as Abort does. Rows
  // the attempt stored in a side table are not known here: the next Begin of the
  // load, which names its side table, removes them.
  void DiscardAttempt(const std::string& table, const LoadId& load) noexcept override;
  Status Ping() override;

  Version server_version() const { return version_; }
  // Requests sent to the server so far (see ClickHouseHttp::requests).
  uint64_t requests() const { return http_->requests(); }

 protected:
  // See Sink; removes rows left by crashed attempts of these loads first, from
  // the table and from the side table if one is named. Errors: AlreadyExists
  // (one is committed; the message names its file), InvalidArgument (a column of
  // a type sluice cannot write, a table without `_sluice_load_id`), Internal
  // (a table missing), Unavailable (the clean-up did not finish in time).
  Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) override;
  // See Sink. The rows of all loads go into one insert, streamed while batches
  // arrive (sent in pieces of about 1 MiB).
  Status WriteRows(const Batch& batch, size_t load) override;
  // See Sink: ends the rows' insert, then inserts the side rows, each with its
  // load's id, as one Native block. Errors: InvalidData (a value the side
  // table's column cannot hold, found before anything is sent; the server's
  // refusal), those of the inserts.
  Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) override;
  // See Sink: ends the rows' insert (unless WriteSideRows did), then inserts the
  // commit markers (one block).
  Status CommitLoads() override;
  void AbortLoads() noexcept override;

 private:
  ClickHouseSink(ClickHouseEndpoint endpoint, std::unique_ptr<ClickHouseHttp> http);
  std::string Qualified(std::string_view table) const;
  // Creates the marker table `sluice_loads` if missing; `where` names the sink in
  // errors.
  Status EnsureMarkerTable(const std::string& where);
  // Creates the attempts table `sluice_attempts` if missing, with the column that
  // says earlier attempts were not recorded when `unrecorded_before`.
  Status EnsureAttemptTable(const std::string& where, bool unrecorded_before);
  // Inserts a row into sluice_attempts for each of `loads` (one block), named by
  // the group's `tag`.
  Status RecordAttempts(const std::vector<LoadId>& loads, const std::string& tag);
  // The server type for a column of `type` (for this server's version).
  std::string TypeName(ColumnType type, bool nullable) const;
  using Columns = std::vector<std::pair<std::string, std::string>>;  // name, server type
  // How rows of one table are inserted.
  struct InsertPlan {
    std::vector<ClickHouseColumnEncoding> encodings;  // of the TableDef's columns
    bool versioned = false;                           // the table has _sluice_version
    std::string sql;                                  // INSERT … FORMAT Native
  };
  // Name and type of each column of `table`, in order; empty if it does not exist.
  Result<Columns> ColumnTypes(std::string_view table);
  // ColumnTypes of each of `tables`, in one query.
  Result<std::vector<Columns>> ColumnTypesOf(const std::vector<std::string>& tables);
  // The columns of each of `tables`, from rows of system.columns.
  static std::vector<Columns> ByTable(const std::vector<std::string>& tables,
                                      std::vector<ClickHouseCleanup::LoadState::Column> rows);
  // The insert of `table`'s columns (and the hidden ones) into the table that has
  // `actual`. Errors: InvalidArgument (no `_sluice_load_id`, a hidden column or a
  // column of the wrong type), Internal (a column missing).
  Result<InsertPlan> PlanInsert(const TableDef& table, const Columns& actual) const;
  // The plans of `table` and, when `names` has a second table (the side table),
  // of the side table; `actual` holds the columns of each of `names`. Errors: as
  // PlanInsert, and Internal (a table missing).
  Result<std::pair<InsertPlan, InsertPlan>> PlanInserts(const TableDef& table,
                                                        const std::vector<std::string>& names,
                                                        const std::vector<Columns>& actual) const;
  // Appends a Native block's header and the columns of `batch` (the table's
  // columns of `plan`) to `out`; the caller adds the hidden columns. Errors:
  // InvalidData (a value the column's type cannot hold; *bad_row is its row,
  // *bad_column its column).
  static Status AppendBlockColumns(const InsertPlan& plan, const Batch& batch, std::string& out,
                                   size_t* bad_row, size_t* bad_column);
  // Hands buffer_ to the load's insert, starting it first if need be.
  Status Send();
  // Ends the rows' insert (once) and waits for the server's answer.
  Status FinishRows();
  void EndLoad();

  ClickHouseEndpoint endpoint_;
  std::unique_ptr<ClickHouseHttp> http_;
  ClickHouseCleanup cleanup_;  // on http_
  Version version_;
  // The server's min_insert_block_size_rows / _bytes (0 if unknown): an insert
  // stores nothing until it has gathered this much.
  uint64_t min_block_rows_ = 0;
  uint64_t min_block_bytes_ = 0;
  // Every attempt in this database is in sluice_attempts (it was made with the
  // database's markers): Begin looks for rows only of loads found there.
  bool attempts_recorded_ = false;

  // The loads in progress (the rest is the session's: see Sink).
  bool sent_ = false;            // the insert reached the server, and its rows are ours to delete
  InsertPlan plan_;              // the rows' insert (its SQL led by the loads' comment)
  InsertPlan side_plan_;         // the side rows' insert, when Begin named a side table
  bool side_sent_ = false;       // the side rows' insert was started: they may be stored
  bool rows_done_ = false;       // the rows' insert has ended with success
  std::string insert_settings_;  // query_id and deduplication token, URL-encoded
  size_t current_ = 0;           // the load of the last Write
  std::string load_id_cells_;    // loads()[current_].id as Native String values, copied per block
  std::string buffer_;           // Native blocks not yet handed to the insert
  uint64_t rows_ = 0;            // rows written, all loads
  uint64_t rows_sent_ = 0;       // of those, rows handed to the insert
  uint64_t bytes_sent_ = 0;      // what those take in the server's memory, at most
  bool open_ = false;            // the insert is started and not finished
};

}  // namespace sluice

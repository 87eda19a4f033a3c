// MysqlSink: the Sink for a MySQL or MariaDB server, through MariaDB Connector/C:
// the load protocol. Its parts: the connection (mysql_connection.h, with the one
// error classifier), the LOAD DATA text encoder (mysql_load_data.h), the tables
// and the marker table in the catalog (mysql_tables.h) and the URL (mysql_url.h).
//
// Each MysqlSink owns one connection, kept for its lifetime; each worker opens
// its own. A lost connection is re-established by the next call that needs it,
// so a server that comes back is picked up without restarting sluice.
//
// Tables live in the URL's database. DDL (CREATE TABLE, ADD COLUMN) commits
// implicitly in MySQL, so it runs before a load's transaction, never in it.
//
// A Begin…Commit is one InnoDB transaction, for one load or a group. Begin
// inserts the group's commit markers into `sluice_loads` first (in the order of
// their ids): the primary key's row lock makes a concurrent claimant of an id wait
// until this transaction ends and then see a duplicate key (AlreadyExists), or a
// lock wait timeout (Unavailable, retried). Rows follow through LOAD DATA LOCAL
// INFILE fed from memory (IGNORE with a key), in statements of at most
// kMaxChunkRows rows: without a key the rows of several Writes and loads share a
// statement; with one, each load has its own, so the rows its key skipped are
// counted. The statements run on the stream's thread (mysql_load_stream.h) while
// Write validates and encodes the next rows: a Write returns once its rows are
// queued, and a statement's outcome is settled by a later Write or by Commit,
// which waits for the last. Rows of a side table named at Begin (checked there
// like the table) go in at Commit, after the loads' rows, by the same path in
// the same transaction. Commit writes the counts into the markers and COMMITs; a
// COMMIT whose answer is lost is settled by reading the markers after
// reconnecting.
//
// LOAD DATA LOCAL and INSERT IGNORE store a value the column cannot hold coerced,
// with a warning, even in strict mode. After each statement the sink reads the
// warnings: with a key, the duplicate-key warnings (1062) are the skipped rows;
// any other warning fails the Write or Commit with InvalidData naming the row's
// file, source line and column, and the transaction is rolled back: a value is
// never stored truncated or zeroed.
//
// A server with local_infile off (MySQL 8's default) gets batched multi-row
// prepared INSERT IGNORE statements instead, with the same warning checks; the
// first sink to find that out says so once (SinkWarning) with how to enable the
// fast path.
//
// Errors: classified by MysqlStatus (mysql_connection.h). Passwords never appear
// in messages: the URL is shown through RedactMysqlUrl.
//
// Thread-safety: none; one thread at a time per MysqlSink (which runs its LOAD
// DATA statements on a thread of its own: no call touches the connection while
// one runs).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "sink/mysql/mysql_connection.h"
#include "sink/mysql/mysql_load_stream.h"
#include "sink/sink.h"

namespace sluice {

class MysqlSink final : public Sink {
 public:
  // Rows in one LOAD DATA or batch of INSERTs, at most: each row raises at most
  // one duplicate-key warning, so the first other warning is among the first
  // kMaxChunkRows + 1, well within max_error_count (65535).
  static constexpr size_t kMaxChunkRows = 32768;
  // LOAD DATA text handed to the stream's thread at once, at least (but for a
  // statement's last part).
  static constexpr size_t kMinSendBytes = size_t{256} << 10;

  // Connects to `url` (see ParseMysqlUrl) and creates `sluice_loads` if missing.
  // Errors: InvalidArgument (bad URL), PermissionDenied (authentication,
  // privileges, no such database), Unavailable (server not reachable).
  static Result<std::unique_ptr<MysqlSink>> Open(std::string_view url);

  ~MysqlSink() override;
  MysqlSink(const MysqlSink&) = delete;
  MysqlSink& operator=(const MysqlSink&) = delete;

  // See Sink; types map back as in mysql_tables.h.
  Result<std::optional<TableDef>> DescribeTable(std::string_view name) override;
  // See Sink. Errors: InvalidArgument (names empty, with NUL, longer than 64
  // bytes, or equal ignoring case; names the server refuses), Internal (a load
  // is in progress).
  Status EnsureTable(const TableDef& table) override;
  Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                            const std::vector<ColumnDef>& columns) override;
  Result<bool> IsCommitted(std::string_view load_id) override;
  Status Ping() override;

 protected:
  // Errors: AlreadyExists (a load id is committed; the message names its file),
  // InvalidArgument (a column the sink cannot load), InvalidData (the table lacks
  // a column), Unavailable.
  Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) override;
  // A refused row may be reported by a later Write or by Commit.
  Status WriteRows(const Batch& batch, size_t load) override;
  // Sends the loads' pending rows, then the side rows (LOAD DATA, or the INSERT
  // fallback), in the transaction. Any warning on a side row fails with
  // InvalidData naming the side table and the load's file, with no RefusedRow.
  Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) override;
  Status CommitLoads() override;
  void AbortLoads() noexcept override;

 private:
  explicit MysqlSink(MysqlTarget target);
  // "insert into "t"" and, for a row, ", FILE, line N": where errors happened.
  std::string InsertContext() const;
  std::string RowContext(size_t load, uint64_t line) const;
  // Ends the LOAD DATA statement being sent, if any, and settles every one sent.
  Status Flush();
  // After each statement of InsertBatch: its first row in the batch, its rows,
  // and the rows it stored.
  using SettleRows = std::function<Status(size_t begin, size_t rows, uint64_t stored)>;
  // Loads `batch` into `into` through prepared INSERT IGNORE statements
  // (local_infile off), `settle` checking each; errors name `context`.
  Status InsertBatch(const TableDef& into, const Batch& batch, const std::string& context,
                     const SettleRows& settle);
  // The rows of a statement: their source lines and loads.
  struct Chunk {
    std::vector<uint64_t> lines;                    // source line of each row
    std::vector<std::pair<size_t, size_t>> starts;  // (first row's index, load)
    void Add(const std::vector<uint64_t>& batch_lines, size_t begin, size_t end, size_t load);
    size_t LoadOf(size_t row) const;
    void Clear() {
      lines.clear();
      starts.clear();
    }
  };
  // Hands the text encoded so far (text_) to the stream.
  Status SendText();
  // Ends the statement being sent (open_), if any, its text sent: it joins sent_.
  Status EndStatement();
  // Settles the statements sent whose outcome is known; with `wait`, all of them.
  Status SettleSent(bool wait);
  // Frees the connection for a call during a load: the statement being sent
  // ends and the stream finishes the ones sent (settled later).
  void Quiesce();
  // After a statement of `chunk`'s rows: a warning other than a key's duplicate
  // becomes InvalidData for its row, else the rows are counted.
  Status Settle(const Chunk& chunk, const StatementOutcome& outcome);
  void EndLoad();

  MysqlConnection db_;
  // The loads in progress (the rest is the session's: see Sink).
  std::string load_sql_;  // LOAD DATA ... INTO TABLE ...
  bool keyed_ = false;
  std::vector<bool> not_null_;      // per column of table(): NOT NULL on the server
  bool local_infile_ = true;        // this load uses LOAD DATA (decided at Begin)
  std::string text_;                // LOAD DATA text not handed to the stream yet
  Chunk open_;                      // the rows of the statement being sent
  std::deque<Chunk> sent_;          // statements ended, not settled yet, in order
  std::vector<std::string> texts_;  // INSERT fallback: dates and times as text
  MysqlLoadStream stream_{db_};     // runs the LOAD DATA statements (after db_)
};

}  // namespace sluice

// Sink: loads the rows of one file, or of a group of files, into one table
// atomically, and answers after a crash whether a load was committed.
//
// Protocol: Begin(table, loads[, side]) → (Write(batch, i) | WriteSide(batch, i))*
// → Commit | Abort. A load is one file; a group of small files for the same table
// shares one Begin…Commit, so it pays the sink's fixed costs (round trips,
// transactions, inserts) once. Commit makes the rows of every load visible
// together with a commit marker for each LoadId, or nothing; a load's rows in the
// side table (its per-file aggregates), if Begin named one, are part of it.
// IsCommitted(load) reads the marker; the pipeline uses it to finish loads that
// were in flight when sluice stopped. Rows whose record key already exists in the
// table are skipped and counted, not loaded twice.
//
// The protocol's rules are kept in one place, the load session of this class
// (sink.cc): Begin/Write/WriteSide/Commit/Abort are not virtual; they check the
// order of the calls and their arguments, keep the loads, their counts, whether a
// Write failed and the side rows, and call the sink's steps (BeginLoads/WriteRows/
// WriteSideRows/CommitLoads/AbortLoads) only for calls that passed. A sink
// implements the steps and the rest. Sinks are opened by URL through
// sink/registry.h; this file includes none of them.
//
// Errors are classified by each sink in one place: Unavailable/Timeout (retry
// with backoff), InvalidData (the data was refused: its rows, if the sink can
// name them, are listed by refused(); else the file is quarantined), InvalidArgument
// (configuration: fatal), PermissionDenied (the database refuses sluice's
// credentials or privileges, or its database is missing: fatal at start-up, at run
// time the sink is down and files wait), Internal. No message holds a password.
//
// Thread-safety: a Sink is one connection; each worker opens its own.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"

namespace sluice {

struct LoadId {
  std::string id;    // the file's content hash; unique per load
  std::string file;  // the file's path, for the marker's record
};

// A row the database refused: the load (its index in Begin's loads), the row's
// source line (Batch::Line), the column if the database names one, and why.
struct RefusedRow {
  size_t load = 0;
  uint64_t line = 0;
  std::string column;
  std::string reason;
};

struct LoadCounts {
  uint64_t inserted = 0;
  uint64_t skipped_by_key = 0;  // rows whose key already existed
};

class Sink {
 public:
  virtual ~Sink() = default;

  // The most loads one group (one BeginLoads) should take: a group costs the
  // sink a commit and a few requests whatever its size, so larger groups load
  // small files faster, until a sink's own per-group work grows with the group.
  virtual size_t MaxGroupLoads() const { return 256; }

  // The table as it exists in the database (columns in order, types mapped back),
  // or nullopt if it does not exist.
  virtual Result<std::optional<TableDef>> DescribeTable(std::string_view name) = 0;
  // Creates the table if it does not exist (with a unique index on the key, if
  // any). Does not alter an existing table.
  virtual Status EnsureTable(const TableDef& table) = 0;
  // Adds to the existing `table` those of `columns` it lacks, each nullable (their
  // `nullable` is ignored), after its present columns. Safe when several workers
  // or processes add the same column at once: a column that exists by the time
  // it would be added is left as it is, whatever its type, so callers describe
  // the table again afterwards. Returns the columns this call added. Requires no
  // load in progress. Errors: InvalidArgument (a name the sink refuses), NotFound
  // (no such table), Unavailable.
  virtual Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                                    const std::vector<ColumnDef>& columns) = 0;

  // The load protocol. These four are the load session: they check the order of
  // the calls and their arguments here, once for every sink, and only then run
  // the sink's own step (BeginLoads, WriteRows, CommitLoads, AbortLoads below).
  //
  // Starts the loads of one or more files into `table`, which must exist, and,
  // with `side`, into that second table too (it must exist; without a key): the
  // side table's rows of each load (WriteSide) are stored in the same transaction,
  // or the same load-id protocol, as its rows. Errors: Internal (a load is in
  // progress), InvalidArgument (no loads, an empty or repeated load id, a table
  // without columns, a side table named like `table` or with a key),
  // AlreadyExists (a load is committed), the sink's own. A failed Begin leaves no
  // load in progress.
  Status Begin(const TableDef& table, const std::vector<LoadId>& loads,
               const TableDef* side = nullptr);
  // Appends rows of loads[load]. The rows of a load come after those of the loads
  // before it: `load` never decreases within one Begin…Commit (it may skip
  // loads that have no rows). Errors: Internal (no load in progress, an earlier
  // Write failed, `load` out of range or smaller than the last Write's, `batch`
  // unlike the table: see CheckBatchFitsTable), the sink's own (InvalidData for a
  // refused row, naming its file and line). A call refused with Internal stores
  // nothing and the loads go on; after the sink's own error they are failed, and
  // only Abort is accepted.
  Status Write(const Batch& batch, size_t load);
  // Adds rows of loads[load] to the side table named at Begin. The rows are
  // copied and kept until Commit, which stores them (WriteSideRows) before the
  // markers. Side rows come in the loads' order, as rows do: `load` never
  // decreases within one Begin…Commit (it may repeat, or skip loads without side
  // rows). Errors: Internal (no load in progress, no side table, an earlier Write
  // failed, `load` out of range or below the last WriteSide's, naming both loads,
  // `batch` unlike the side table); a refused call keeps nothing and the loads go
  // on.
  Status WriteSide(const Batch& batch, size_t load);
  // Makes the rows of every load and their commit markers visible atomically;
  // returns the counts of each load, in Begin's order. Errors: Internal (no load
  // in progress, or a Write failed: Abort instead), the sink's own. A failed
  // Commit has aborted the loads: none is in progress afterwards.
  Result<std::vector<LoadCounts>> Commit();
  // Discards the loads in progress, if any.
  void Abort() noexcept;
  // The rows the database refused, as far as the sink can name them, when the
  // latest Write or Commit failed with InvalidData; empty otherwise (and after
  // Begin). A refusal the sink cannot trace to a row lists none: its message
  // says what it knows. The pipeline loads the file again without these rows.
  const std::vector<RefusedRow>& refused() const { return refused_; }

  // True if a load with this id was committed.
  virtual Result<bool> IsCommitted(std::string_view load_id) = 0;
  // Called at start-up for a load into `table` that was in flight when sluice
  // stopped and is not committed: removes what that attempt may have stored. A
  // transactional sink's rollback left nothing (the default does nothing); a sink
  // without transactions (ClickHouse) starts removing its rows now rather than at
  // the load's next Begin, so they cannot meet other files' rows meanwhile. Best
  // effort; Begin stays the guarantee.
  virtual void DiscardAttempt(const std::string& table, const LoadId& load) noexcept {
    (void)table;
    (void)load;
  }
  // Checks the connection (cheap round trip).
  virtual Status Ping() = 0;

 protected:
  // A sink's steps of the protocol, called by the session only, each after its
  // checks passed; a step never sees a call out of order or an argument the
  // session refuses. table(), loads() and counts() are set from BeginLoads until
  // the session ends.
  //
  // Starts the loads (no load id is empty or repeated, the table has columns);
  // AlreadyExists if one is committed. On error the session calls AbortLoads.
  virtual Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) = 0;
  // Appends the rows of `batch` (it fits table(); `load` is in range and not below
  // the last one's) to loads()[load], and adds them to counts()[load]. On error
  // the loads are failed (only Abort follows).
  virtual Status WriteRows(const Batch& batch, size_t load) = 0;
  // Stores the side rows of every load (`rows` fits side_table(); loads[i] is the
  // index of row i's load, in Begin's order, ascending), in the loads'
  // transaction: called once by Commit, just before CommitLoads, when a side
  // table was named and has rows. A sink names refused side rows with no row
  // (their lines are not the file's). On error the session calls AbortLoads.
  virtual Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) = 0;
  // Commits every load with its marker and finishes the loads, counts() final.
  // On error the session calls AbortLoads: a sink that may have committed
  // anyway (ClickHouse's marker insert) leaves its rows alone there.
  virtual Status CommitLoads() = 0;
  // Discards what the loads stored and finishes them. Called once per session
  // that did not commit: by Abort, and after a failed BeginLoads or CommitLoads
  // (then possibly with nothing begun). A sink's destructor calls Abort().
  virtual void AbortLoads() noexcept = 0;

  // A load session is open: between Begin and the end of Commit or Abort.
  bool in_load() const { return session_.open; }
  const TableDef& table() const { return session_.table; }
  const std::vector<LoadId>& loads() const { return session_.loads; }
  // The side table named at Begin, or nullptr.
  const TableDef* side_table() const { return session_.side ? &*session_.side : nullptr; }
  // One per load, in Begin's order; Commit returns them.
  std::vector<LoadCounts>& counts() { return session_.counts; }
  // Names a row the database refused, from WriteRows or CommitLoads before they
  // return InvalidData (see refused()); kept only if they do.
  void Refuse(RefusedRow row) { refused_.push_back(std::move(row)); }

 private:
  struct Session {
    bool open = false;
    bool failed = false;  // a Write failed: only Abort is accepted
    TableDef table;
    std::vector<LoadId> loads;
    std::vector<LoadCounts> counts;
    size_t load = 0;       // of the latest Write
    size_t side_load = 0;  // of the latest WriteSide
    std::optional<TableDef> side;
    Batch side_rows;                 // strings point into side_strings
    std::vector<size_t> side_loads;  // per side row: its load
    std::deque<std::string> side_strings;
  };
  void EndSession();
  // Keeps refused_ only for a step that failed with InvalidData.
  void KeepRefused(const Status& status);

  Session session_;
  std::vector<RefusedRow> refused_;  // outlives the session: a failed Commit ends it
};

// "load ID" or, for a group, "load ID and N more": names loads in messages.
std::string DescribeLoads(const std::vector<LoadId>& loads);

// Where a sink reports what an operator should know that is no call's error (a
// fast path the server does not allow): SinkWarning passes it to the handler the
// CLI sets (it logs it); without one, nothing is reported. Any thread.
using SinkWarningHandler = void (*)(std::string_view event, std::string_view message);
void SetSinkWarningHandler(SinkWarningHandler handler);
void SinkWarning(std::string_view event, std::string_view message);

// Internal unless `batch`'s columns are `table`'s columns in order (names and
// types) with a value and a null flag for every row: what Sink::Write requires.
Status CheckBatchFitsTable(const Batch& batch, const TableDef& table);

}  // namespace sluice

// Ledger: the record of every file sluice has seen and what became of it. It is
// the source of truth for "this file was loaded" together with the sink's commit
// marker (see docs/ARCHITECTURE.md, exactly-once).
//
// A file record is keyed by content hash and path. States (file_state.h, which
// also lists the allowed transitions, each by the operation below that makes it):
//   processing   claimed by a worker (or in flight when sluice stopped)
//   pending      released after a failed attempt, put off, interrupted, or
//                requeued: the next sighting claims it again
//   loaded       its rows are committed in the sink
//   duplicate    same bytes as a file already loaded; not loaded again
//   quarantined  refused (bad data past the threshold); moved to quarantine
// Every write checks the record's state against that table in the same SQL
// statement; a write the table does not allow changes nothing and returns
// Internal (naming the record, the operation, the expected and the actual state).
//
// It also records every column sluice added to a table (schema evolution), and
// keeps a copy of the recent per-file aggregates (aggregate_records.h).
//
// Backed by SQLite (WAL). Thread-safety: all methods are thread-safe; claims are
// serialised in IMMEDIATE transactions, so two workers never claim one hash. A
// Ledger::Batch makes the calls of one thread one transaction (a worker records a
// group of small files at once).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ledger/aggregate_records.h"
#include "ledger/file_state.h"

namespace sluice {

// The error of a record quarantined because sluice stopped `crashes` times while
// loading it.
std::string CrashedReason(int crashes);

struct FileIdentity {
  std::string hash;  // content hash, 32 hex digits
  std::string path;  // absolute path where it was found
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

struct FileRecord {
  int64_t id = 0;
  FileIdentity identity;
  std::string table;
  FileState state = FileState::kPending;
  uint64_t rows_loaded = 0;
  uint64_t rows_rejected = 0;
  uint64_t rows_skipped = 0;   // skipped because their key already existed
  uint64_t rows_filtered = 0;  // skipped by the table's filter (transforms)
  uint64_t bytes = 0;          // decoded bytes read
  // Failed attempts: the times a claim of this file ended without a result,
  // whether released after a failure (Release) or left by a crash
  // (SettleCrashed); not the attempts put off (Unclaim). The engine's retry delay
  // and `once` giving up go by it, so they hold across restarts. Reset by Requeue.
  int attempts = 0;
  std::string error;         // last error, if any
  std::string duplicate_of;  // path of the loaded file with the same content
  std::string final_path;    // where the file went (processed/, quarantine/, deleted, kept)
  // Where its bad rows were kept (a loaded file's under the threshold, a
  // quarantined file's), "" if none or written before sluice recorded it.
  std::string rejects_file;
  int64_t seen_at_us = 0;
  int64_t started_at_us = 0;
  int64_t finished_at_us = 0;
  // Of the attempts, those that ended because sluice stopped (killed, crashed)
  // while this record was `processing` and its load had not committed: the crash
  // guard (max_crashes) and the loading alone of suspects go by it. Reset by
  // Requeue.
  int crashes = 0;
};

enum class ClaimOutcome {
  kClaimed,            // the caller owns the load; record is `processing`
  kAlreadyLoaded,      // this path with this content is already loaded: only archive it
  kDuplicate,          // same content loaded from another path: recorded as duplicate
  kBusy,               // another worker is processing the same content: try later
  kQuarantinedBefore,  // same content was quarantined and not requeued: recorded
};

struct Claim {
  ClaimOutcome outcome = ClaimOutcome::kClaimed;
  int64_t file_id = 0;       // the record this sighting created or took over (0 for kBusy)
  std::string earlier_path;  // kDuplicate / kAlreadyLoaded / kQuarantinedBefore: the earlier file
  int crashes = 0;           // kClaimed: the record's crash count (FileRecord::crashes)
  int attempts = 0;          // kClaimed: the record's failed attempts (FileRecord::attempts)
};

// What SettleCrashed made of a record.
struct SettledCrash {
  FileState state = FileState::kPending;  // pending, or quarantined at the limit
  int crashes = 0;                        // FileRecord::crashes, this crash included
  int attempts = 0;                       // FileRecord::attempts, this crash included
};

struct LoadSummary {
  uint64_t rows_loaded = 0;
  uint64_t rows_rejected = 0;
  uint64_t rows_skipped = 0;
  uint64_t bytes = 0;
  std::string rejects_file{};  // FileRecord::rejects_file, "" if none
  uint64_t rows_filtered = 0;  // FileRecord::rows_filtered
};

// A column sluice added to a table (schema evolution).
struct ColumnAdded {
  std::string table;
  std::string column;
  std::string type;  // ColumnTypeName of the column
  std::string file;  // path of the file that brought it
  int64_t added_at_us = 0;
};

struct LedgerReport {
  std::map<FileState, uint64_t> files_by_state;
  // Per table, the states it has files in (absent states are 0).
  std::map<std::string, std::map<FileState, uint64_t>> files_by_table;
  uint64_t rows_loaded = 0;
  uint64_t rows_rejected = 0;
  uint64_t rows_filtered = 0;
  std::vector<FileRecord> recent;          // most recent first
  std::vector<FileRecord> recent_errors;   // quarantined or failed, most recent first
  std::vector<ColumnAdded> columns_added;  // most recent first
};

class Ledger {
  struct Impl;

 public:
  // Opens or creates the ledger database. Errors: Unavailable (cannot open),
  // InvalidArgument (not a sluice ledger).
  static Result<std::unique_ptr<Ledger>> Open(const std::string& path);
  ~Ledger();

  // True if a finished record (loaded, duplicate, quarantined) exists for exactly
  // this path, size and mtime: the file need not be hashed again.
  Result<bool> IsFinishedUnchanged(const std::string& path, uint64_t size, int64_t mtime_ns);

  // Decides what to do with a sighting of a file (see ClaimOutcome) and records it.
  Result<Claim> ClaimFile(const FileIdentity& file, std::string_view table);

  // The writes below change one record (`file_id`, from ClaimFile) as
  // file_state.h allows. Errors: NotFound (no such record), Internal (the record
  // is in a state the operation does not apply to: nothing changed),
  // Unavailable (the database).

  // processing → loaded, with its counts and rejects file.
  Status MarkLoaded(int64_t file_id, const LoadSummary& summary);
  // The same, and in the same transaction the file's aggregates kept (those of
  // its first kAggregateGroupsKept groups; the files of aggregates.table beyond
  // the latest kAggregateFilesKept removed) with
  // each mean checked against the earlier files' means of its table, column and
  // group: flagged when, over the latest kAggregateSeriesFiles of them, at least
  // kFlagMinHistory, spread by a standard deviation s > 0 around their mean m,
  // it lies outside [m - kFlagDeviations s, m + kFlagDeviations s]. Returns the
  // means flagged. Errors: those of MarkLoaded; nothing is written on error.
  Result<std::vector<FlaggedAggregate>> MarkLoaded(int64_t file_id, const LoadSummary& summary,
                                                   const FileAggregates& aggregates);
  // processing (or already quarantined by the claim or the crash guard, or that
  // guard's record a failed move left pending) → quarantined, with its counts and
  // why. Its rejects file is recorded with its final path (it is named after it).
  Status MarkQuarantined(int64_t file_id, const LoadSummary& summary, std::string_view error);
  // A failed attempt: processing (or quarantined, when the move to quarantine
  // failed) → pending, keeping the error and counting the attempt. Returns the
  // record's failed attempts, this one included (FileRecord::attempts).
  Result<int> Release(int64_t file_id, std::string_view error);
  // processing → pending without counting an attempt: the load was put off (a
  // stop was requested, the file must load alone), not failed. `why` becomes the
  // record's error.
  Status Unclaim(int64_t file_id, std::string_view why);
  // processing → deleted: a record whose content was not loaded and exists
  // nowhere any more: the file changed while it was loading, and its new content
  // gets a record of its own.
  Status Forget(int64_t file_id);
  // Where a loaded, duplicate or quarantined file was moved (or "deleted" /
  // "kept"); its state stays.
  Status SetFinalPath(int64_t file_id, std::string_view path);
  // The same for a quarantined file, with where its rejects were kept ("" if
  // none): both are known only once it has moved.
  Status SetFinalPath(int64_t file_id, std::string_view path, std::string_view rejects_file);

  // Records in `processing` (in flight when sluice stopped). Used at start-up.
  Result<std::vector<FileRecord>> ListProcessing();
  // Settles a `processing` record whose load did not commit when sluice stopped:
  // counts the crash (and the failed attempt), then back to pending, or
  // quarantined with CrashedReason once it has `limit` crashes (limit <= 0:
  // never). Errors as the writes above.
  Result<SettledCrash> SettleCrashed(int64_t file_id, int limit);
  // Quarantined records whose current path (final_path) is `path`, or whose
  // original path is `path`; most recent first.
  Result<std::vector<FileRecord>> FindByPath(const std::string& path);
  // Records of any state whose original or current path is `name`, or ends in
  // "/" + `name` (a base name, or a path relative to a folder); most recent first.
  Result<std::vector<FileRecord>> FindByName(const std::string& name);
  // Records of any state with this content hash; most recent first.
  Result<std::vector<FileRecord>> FindByHash(const std::string& hash);
  // Moves every quarantined record with this hash to pending (attempts and
  // crashes reset), then, in the same write transaction (other writers, a running
  // sluice among them, wait), calls `move_back` if any record moved: the file goes
  // back to the source folder only once the ledger accepts it. If `move_back` fails,
  // nothing changes and its error is returned. Returns how many records moved.
  Result<int> Requeue(std::string_view hash, const std::function<Status()>& move_back = {});

  // Records that `change.column` was added to `change.table` (added_at_us: now if 0).
  Status RecordColumnAdded(const ColumnAdded& change);

  // Counts, totals and the `recent` most recent records, errors and added columns.
  Result<LedgerReport> Report(size_t recent);

  // The aggregates kept for record `file_id`; nullopt if none are (a file loaded
  // without `aggregates:`, before this ledger kept them, or long enough ago to
  // be removed).
  Result<std::optional<FileAggregates>> AggregatesOf(int64_t file_id);
  // The tables with aggregates kept, by name.
  Result<std::vector<AggregatedTable>> AggregatedTables();
  // The series of `table` over its latest `files` files kept: one per column and
  // group, in the order the files recorded them, each oldest first.
  Result<std::vector<AggregateSeries>> AggregateSeriesOf(const std::string& table, size_t files);

  // While a Batch lives, the calls its thread makes on the ledger (except Report)
  // run in one write transaction that Commit() makes durable at once: one commit
  // for a group of files instead of one per call. Other threads' calls wait until
  // the Batch ends. A call that fails inside the Batch is undone alone and the
  // others stay; without Commit() everything is rolled back. If the transaction
  // cannot be begun (the database is busy), each call commits on its own, as
  // without a Batch.
  class Batch {
   public:
    explicit Batch(Ledger& ledger);
    ~Batch();  // rolls back what Commit() did not make durable
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    // Makes the calls durable. After an error they are rolled back.
    Status Commit();

   private:
    Impl& impl_;
    std::unique_lock<std::recursive_mutex> lock_;
    bool open_ = false;
  };

 private:
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice

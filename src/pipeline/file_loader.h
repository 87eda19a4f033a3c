// FileLoader: the per-file job of one worker:
//   fingerprint → claim in the ledger → read → validate → load → commit → archive.
//
// A worker hands it several files at once. Their claims are one ledger
// transaction, and small files bound for the same table load as a group: one sink
// transaction (Sink::Begin with a load per file), recorded in one ledger
// transaction, so the sink's and the ledger's fixed costs are paid once per group
// rather than once per file. If the group fails for any reason, each of its files
// loads on its own, so a bad file is quarantined alone and the others load. Both
// go through one load path (LoadMembers): a file alone is a group of one.
//
// Outcomes are recorded in the ledger and logged as one line per file. Bad data
// (past the table's reject threshold, unreadable streams, refused by the sink)
// quarantines the file with a report; transient sink faults are retried with
// exponential backoff and jitter for up to the configured retry budget, then the
// file is released (pending) to be tried again later, and reported as a sink
// outage if the sink does not answer a ping either. A stop request rolls back the
// load in flight. A file that was in flight when sluice last stopped loads alone
// (LoadGate), so that repeated stops are charged only to the file that causes
// them.
//
// Thread-safety: one FileLoader per worker thread (it owns that worker's sink
// connection); the Ledger is shared.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"
#include "pipeline/config.h"
#include "pipeline/load_gate.h"
#include "sink/sink.h"
#include "source/landed_file.h"

namespace sluice {

enum class FileOutcome {
  kLoaded,
  kDuplicate,    // same content loaded before under another name
  kAlreadyDone,  // this very file was finished before (only archived now, or kept)
  kQuarantined,
  kRetryLater,   // busy elsewhere, still being written, or the sink is down
  kGone,         // vanished before it could be read
  kInterrupted,  // stop requested; rolled back
};

std::string_view FileOutcomeName(FileOutcome outcome);

struct FileResult {
  FileOutcome outcome = FileOutcome::kGone;
  std::string table;
  uint64_t rows = 0;
  uint64_t rejected = 0;
  uint64_t skipped = 0;
  uint64_t filtered = 0;  // skipped by the table's filter
  uint64_t bytes = 0;
  double seconds = 0;
  Status error;  // why, for kQuarantined / kRetryLater
  // kRetryLater: the sink kept failing for the whole retry budget and does not
  // answer a ping; the engine holds further loads until it does.
  bool sink_down = false;
  // The path holds another file now (it replaced this one during the job): it is
  // new and must be sighted again, though the watcher reported it while this
  // path was busy.
  bool resight = false;
  // kRetryLater: the file's failed attempts so far, this one included, as the
  // ledger keeps them across restarts (0 when the file has no record). The
  // engine's retry delay and `once`'s giving up go by it.
  int attempts = 0;
};

// Flags the engine shares with its loaders.
struct LoaderSignals {
  std::atomic<bool> stop{false};       // roll back the load in flight and return
  std::atomic<bool> sink_down{false};  // the sink is down: stop retrying, release the file
  // Keeps other loads out while a file that was in flight when sluice stopped
  // loads again (synchronisation, hence mutable in a struct loaders see as const).
  mutable LoadGate gate;
};

class ParquetArchive;

class FileLoader {
 public:
  // `config`, `ledger` and `signals` must outlive the loader. `source_root` is the
  // absolute source folder.
  FileLoader(const Config& config, std::string source_root, Ledger& ledger,
             std::unique_ptr<Sink> sink, const LoaderSignals& signals);

  // Processes the files at absolute `paths` to outcomes, one per path in order.
  // Never throws.
  std::vector<FileResult> Process(const std::vector<std::string>& paths);

  // Groups: files of at most kGroupFileBytes decoded, at most kGroupFiles of them
  // (fewer if the sink's MaxGroupLoads says so) and kGroupBytes decoded in all.
  // Their members are read one at a time.
  static constexpr uint64_t kGroupFileBytes = 1 << 20;
  static constexpr size_t kGroupFiles = 256;
  static constexpr uint64_t kGroupBytes = 8 << 20;

  // Finishes loads that were in flight when sluice stopped: committed ones are
  // marked loaded, the rest pending (their files are loaded again when seen),
  // except a file in flight during config.max_crashes stops, which is quarantined
  // ("sluice stopped N times while loading this file") and moved with a report;
  // `quarantined`, if given, is raised by their number.
  Status Recover(uint64_t* quarantined = nullptr);

  Sink& sink() { return *sink_; }

 private:
  struct Attempt;
  struct Sighting;
  struct Opened;
  struct Member;
  // Stats and fingerprints the file; false if it needs no claim (`result` says why).
  bool Sight(Sighting& file, FileResult& result);
  // The outcome of a claim that did not give the file to this worker.
  FileResult Settle(const Sighting& file, const Claim& claim);
  // Groups (file_loader_group.cc). Loads small files of one table in groups; adds
  // those that must load alone to `alone`.
  void ProcessSmall(const std::vector<const Sighting*>& files, std::vector<FileResult>& results,
                    std::vector<const Sighting*>& alone);
  // Finds whether the file can join a group: its decoded size, table and columns.
  // `known`, `known_aggregates`: as Prepare.
  Status Scout(Member& member, const std::optional<TableDef>& known,
               const std::optional<TableDef>& known_aggregates);
  // Loads the scouted files of a group together; returns those that must load alone.
  std::vector<const Sighting*> ProcessGroup(std::vector<std::unique_ptr<Member>>& members,
                                            std::vector<FileResult>& results);
  // Claims and loads a file that was in flight when sluice stopped, with no other
  // file in flight (LoadGate).
  FileResult LoadAlone(Sighting& file);

  // The one load path (file_loader_load.cc). Loads one claimed file as a group of
  // one, retrying transient faults within the retry budget.
  FileResult ProcessClaimed(const Sighting& file);
  // Loads the file of `member` with LoadOnce until it loads, fails for good, or
  // the retry budget, a stop or the sink's outage ends the retries of transient
  // faults (RetryPolicy). Returns the last try's status.
  Status LoadRetrying(Member& member);
  // After a try of the member failed with `status`: true if the database refused
  // rows the next try can leave out (added to attempt.refused) within the plan's
  // reject threshold and the bound on tries; otherwise the refused rows are added
  // to the try's rejects, so that the quarantine report names them.
  bool ExcludeRefused(Member& member, const Status& status, int& tries);
  // One try: opens the member's file, resolves its table and loads it alone.
  Status LoadOnce(Member& member);
  // OK if `file` is still what was hashed (the bytes read are never more); else
  // why not, noted in `attempt.changed`: a changed file is tried again once it
  // has settled, never quarantined for what a writer was doing.
  static Status StillAsHashed(const Sighting& file, Attempt& attempt);
  // Reads a file of records without a single column to its end (nothing to load).
  Status ReadColumnless(Member& member);
  // Loads `members` (prepared, all for one table) as one sink transaction: Begin
  // with a load per member (and the aggregates table as the side table), each
  // member's rows written in turn, every file checked unchanged, Commit; their
  // counts and aggregates are in their attempts. On any error the sink is
  // aborted and nothing is committed.
  Status LoadMembers(const std::vector<Member*>& members);
  // Records committed members loaded (one ledger transaction for several) and
  // archives them; their results in order.
  std::vector<FileResult> RecordLoaded(const std::vector<Member*>& members);
  // Opens the file and reads its first batch and column names.
  Status Open(const Sighting& file, Attempt& attempt, Opened& out);
  // Resolves the file's table (`known`: as described moments ago; `known_aggregates`:
  // its aggregates table as an earlier file found it) and its validator.
  Status Prepare(const Sighting& file, Attempt& attempt, Opened& opened,
                 const std::optional<TableDef>& known,
                 const std::optional<TableDef>& known_aggregates = std::nullopt);
  // Reads, validates and writes the file's rows as loads[load] of the sink's
  // current Begin; checks the reject threshold. With `aggregates:`, the rows
  // written are aggregated as they go (opened.aggregator) and the file's
  // aggregates are written to the side table after them.
  Status WriteRows(const Sighting& file, Attempt& attempt, Opened& opened, size_t load);
  // Reads and validates the opened file's rows on a BatchProducer, handing each
  // batch of good rows to `consume` until the end, a read error or `consume`'s
  // error, which is returned. Sets attempt.loaded_at (the rows' `_loaded_at`),
  // attempt.rows_read and `validation_rejects`.
  Status ForEachBatch(const Sighting& file, Attempt& attempt, Opened& opened,
                      const std::function<Status(const Batch&)>& consume,
                      uint64_t& validation_rejects);

  // Outcomes (file_outcomes.cc).
  // Moves a committed load's rejects (if any) from scratch to the quarantine
  // folder, so that MarkLoaded records where they are.
  void KeepRejects(const Sighting& file, Attempt& attempt);
  // Records the load in the ledger, with the file's aggregates if it has any
  // (their flagged means in attempt.flagged).
  Status MarkLoaded(const Sighting& file, Attempt& attempt);
  // The outcome of a committed load whose ledger record returned `recorded`.
  FileResult Loaded(const Sighting& file, Attempt& attempt, const Status& recorded);
  // Back to pending (interrupted or transient): the file is tried again later.
  FileResult Release(const Sighting& file, const Status& why, bool sink_down);
  // Sets the result's duration and logs a loaded or quarantined file.
  void Done(const Sighting& file, FileResult& result);
  // Records the columns `path` added to `table` in the ledger and the log.
  void RecordColumnsAdded(const std::string& table, const std::vector<ColumnDef>& added,
                          const std::string& path);
  // Archives the file as its plan says, from its descriptor; `resight` is set
  // when its path now holds another file. after_load: parquet finishes `parquet`,
  // the archive written as the rows loaded, or without one (a file found loaded
  // after a crash, a duplicate) writes it with ArchiveAsParquet.
  Status Archive(const Sighting& file, int64_t file_id, bool& resight,
                 ParquetArchive* parquet = nullptr);
  // after_load: parquet for a file whose load is not in memory. Reads the file
  // again as it was loaded (the same plan, table and validation) and writes its
  // good rows to a Parquet file in the processed folder (file_loader_parquet.cc);
  // returns its path. The original is left for the caller to remove.
  Result<std::string> ArchiveAsParquet(const Sighting& file);
  // The file changed after it was hashed: its claim is dropped and it is tried
  // again (as new content) once it has settled.
  FileResult Changed(const Sighting& file, const Status& why);
  // Retries a ledger write whose first try returned `status` with backoff while it
  // fails transiently and no stop is requested, logging each failure. Returns the
  // last status.
  Status RetryLedger(std::string_view what, const std::string& path, Status status,
                     const std::function<Status()>& write);
  // Moves a file quarantined at start-up for the crashes it caused (Recover).
  void QuarantineCrashed(const FileRecord& record);

  // Records the file quarantined for `why`, moves it to the quarantine folder from
  // its descriptor and writes its report there; a failed move leaves it pending.
  FileResult Quarantine(const Sighting& file, int64_t file_id, Attempt& attempt, const Status& why);

  const Config& config_;
  std::string source_root_;
  std::optional<SourceFolder> folder_;  // opened by each Process call
  Ledger& ledger_;
  std::unique_ptr<Sink> sink_;
  const LoaderSignals& signals_;
};

}  // namespace sluice

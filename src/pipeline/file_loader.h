// FileLoader: the per-file job of one worker:
//   fingerprint → claim in the ledger → read → validate → load → commit → archive.
//
// Outcomes are recorded in the ledger and logged as one line per file. Bad data
// (past the table's reject threshold, unreadable streams, refused by the sink)
// quarantines the file with a report; transient sink faults are retried with
// exponential backoff and jitter for up to the configured retry budget, then the
// file is released (pending) to be tried again later, and reported as a sink
// outage if the sink does not answer a ping either. A stop request rolls back the
// load in flight.
//
// Thread-safety: one FileLoader per worker thread (it owns that worker's sink
// connection); the Ledger is shared.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"
#include "pipeline/config.h"
#include "sink/sink.h"

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
  uint64_t bytes = 0;
  double seconds = 0;
  Status error;  // why, for kQuarantined / kRetryLater
  // kRetryLater: the sink kept failing for the whole retry budget and does not
  // answer a ping; the engine holds further loads until it does.
  bool sink_down = false;
};

// Flags the engine shares with its loaders.
struct LoaderSignals {
  std::atomic<bool> stop{false};       // roll back the load in flight and return
  std::atomic<bool> sink_down{false};  // the sink is down: stop retrying, release the file
};

class FileLoader {
 public:
  // `config`, `ledger` and `signals` must outlive the loader. `source_root` is the
  // absolute source folder.
  FileLoader(const Config& config, std::string source_root, Ledger& ledger,
             std::unique_ptr<Sink> sink, const LoaderSignals& signals);

  // Processes the file at absolute `path` to an outcome. Never throws.
  FileResult Process(const std::string& path);

  // Finishes loads that were in flight when sluice stopped: committed ones are
  // marked loaded, the rest pending (their files are loaded again when seen).
  Status Recover();

  Sink& sink() { return *sink_; }

 private:
  struct Attempt;
  FileResult ProcessClaimed(const std::string& path, const FileIdentity& id, int64_t file_id,
                            const TablePlan& plan);
  Status LoadOnce(const std::string& path, const FileIdentity& id, const TablePlan& plan,
                  Attempt& attempt);
  // Records the columns `path` added to `table` in the ledger and the log.
  void RecordColumnsAdded(const std::string& table, const std::vector<ColumnDef>& added,
                          const std::string& path);
  Status Archive(const std::string& path, int64_t file_id, AfterLoad after_load);

  FileResult Quarantine(const std::string& path, const FileIdentity& id, int64_t file_id,
                        const TablePlan& plan, Attempt& attempt, const Status& why);

  const Config& config_;
  std::string source_root_;
  Ledger& ledger_;
  std::unique_ptr<Sink> sink_;
  const LoaderSignals& signals_;
};

}  // namespace sluice

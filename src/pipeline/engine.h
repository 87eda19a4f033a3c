// Engine: runs sluice — opens the ledger and one sink connection per worker,
// finishes loads interrupted by a previous stop, then feeds ready files from the
// DirWatcher to a pool of workers (each with its FileLoader) as its Scheduler
// decides.
//
// One engine per ledger: a lock file beside the ledger keeps a second sluice
// from working on the same ledger at the same time.
//
// Thread-safety: Run is called from one thread; `stop` may be set from any
// thread or a signal handler. Ready, StatusJson, AggregatesJson and quarantine_dir may be called
// from any thread (the HTTP server's) while Run works.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/status.h"
#include "ledger/ledger.h"
#include "observe/progress.h"
#include "pipeline/config.h"
#include "pipeline/scheduler.h"  // RunSummary

namespace sluice {

class Engine {
 public:
  // Validates the configuration, creates the folders, opens the ledger and the
  // sinks, and recovers interrupted loads. Errors: InvalidArgument (config),
  // Unavailable (sink or ledger cannot be opened), AlreadyExists (another sluice
  // holds the ledger).
  static Result<std::unique_ptr<Engine>> Create(const Config& config);
  ~Engine();

  // `once`: loads every file present and ready (waiting for files still being
  // written to settle), then returns. Otherwise runs until `stop` is set.
  Result<RunSummary> Run(bool once, const std::atomic<bool>& stop);

  // Called by Run from its own thread after every poll of the watcher with the
  // files found so far (sizes from stat when found) and those done. Set before Run.
  void OnProgress(std::function<void(const ProgressCounts&)> callback);

  // Ok when the sink answers a ping (on a connection of its own, not a
  // worker's) and the ledger is writable; otherwise why not.
  Status Ready();

  // /api/status: files per state and per table, rows, backlog, sink state, and
  // the `recent` most recent files, errors and added columns, as one JSON object.
  std::string StatusJson(size_t recent);
  // The body of /api/aggregates (ApiAggregatesJson) for `table` ("" : the list
  // of tables only), over its latest kAggregateSeriesFiles files.
  std::string AggregatesJson(const std::string& table);

  // The absolute quarantine folder.
  const std::string& quarantine_dir() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice

// Engine: runs sluice — opens the ledger and one sink connection per worker,
// finishes loads interrupted by a previous stop, then feeds ready files from the
// DirWatcher to a pool of workers (each with its FileLoader).
//
// One engine per ledger: a lock file beside the ledger keeps a second sluice
// from working on the same ledger at the same time.
//
// Thread-safety: Run is called from one thread; `stop` may be set from any
// thread or a signal handler.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/status.h"
#include "pipeline/config.h"

namespace sluice {

struct RunSummary {
  uint64_t loaded = 0;
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;
  uint64_t failed = 0;  // given up on for now (sink down past the retry budget)
  uint64_t rows = 0;
};

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

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice

#include "pipeline/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "core/exception_status.h"
#include "ledger/ledger.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "pipeline/file_loader.h"
#include "pipeline/leftovers.h"
#include "pipeline/scheduler.h"
#include "pipeline/status_json.h"
#include "sink/registry.h"
#include "source/dir_watcher.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

Result<std::string> MakeDir(const std::string& dir, const char* what) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return Status::InvalidArgument(std::string("cannot create the ") + what + " folder " + dir +
                                   ": " + ec.message());
  fs::path canonical = fs::canonical(dir, ec);
  if (ec)
    return Status::InvalidArgument(std::string("bad ") + what + " folder " + dir + ": " +
                                   ec.message());
  if (!fs::is_directory(canonical, ec)) {
    return Status::InvalidArgument(std::string("the ") + what + " " + dir + " is not a folder");
  }
  return canonical.string();
}

// The worker threads. Each takes a fair share of the scheduler's queue, loads it
// with its own FileLoader outside the lock and hands the results back; `mu`
// guards the scheduler for them and for Run's loop.
class Workers {
 public:
  Workers(Scheduler& scheduler, const std::vector<std::unique_ptr<FileLoader>>& loaders)
      : scheduler_(scheduler) {
    for (const auto& loader : loaders) {
      threads_.emplace_back([this, l = loader.get()] { Work(*l); });
    }
  }
  ~Workers() { Stop(); }

  std::mutex mu;

  // Wakes a worker for each of `queued` paths. Requires `mu`.
  void Wake(size_t queued) {
    for (size_t i = 0; i < queued; ++i) work_cv_.notify_one();
  }
  // Waits (up to `timeout`) until a worker has completed files. `lock` holds `mu`.
  void WaitForCompleted(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds timeout) {
    done_cv_.wait_for(lock, timeout, [&] { return scheduler_.has_completed(); });
  }
  // Lets each worker finish what it took and joins them; nothing more is taken.
  void Stop() {
    {
      std::lock_guard lock(mu);
      shutting_down_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void Work(FileLoader& loader) {
    std::unique_lock lock(mu);
    for (;;) {
      work_cv_.wait(lock, [&] { return shutting_down_ || scheduler_.queued() > 0; });
      if (shutting_down_) return;
      std::vector<std::string> paths = scheduler_.Take();
      lock.unlock();
      std::vector<FileResult> results = Process(loader, paths);
      lock.lock();
      scheduler_.Completed(std::move(paths), std::move(results));
      done_cv_.notify_one();
    }
  }

  static std::vector<FileResult> Process(FileLoader& loader,
                                         const std::vector<std::string>& paths) {
    try {
      return loader.Process(paths);
    } catch (...) {
      // The last exception boundary of a worker (the loader catches what a
      // file's load throws): the files are tried again later, and the worker
      // lives on.
      Status why = ExceptionStatus("processing files");
      LogError("worker_exception", {{"error", why.ToString()}});
      std::vector<FileResult> results(paths.size());
      for (FileResult& r : results) {
        r.outcome = FileOutcome::kRetryLater;
        r.error = why;
      }
      return results;
    }
  }

  Scheduler& scheduler_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;  // last: the threads use the members above
};

}  // namespace

struct Engine::Impl {
  Config config;
  std::string root;
  int lock_fd = -1;
  std::unique_ptr<Ledger> ledger;
  LoaderSignals signals;
  // Files Recover quarantined at start-up (crash limit), counted by the next Run.
  uint64_t recovered_quarantined = 0;
  std::vector<std::unique_ptr<FileLoader>> loaders;
  std::string ledger_path;
  std::mutex ping_mu;
  std::unique_ptr<Sink> ping_sink;  // PingSink's own connection, opened on first use
  std::function<void(const ProgressCounts&)> on_progress;
  std::mutex outage_mu;              // guards the four below, read by StatusJson and Ready
  int64_t down_since_us = 0;         // when the sink was reported down; 0 while it is up
  std::string down_error;            // the fault that made it so
  int64_t source_down_since_us = 0;  // when the landing folder became unusable; 0 while fine
  std::string source_error;          // why
  size_t unwatched_dirs = 0;         // last reported by the watcher (Run's thread only)

  // Records the outcome of a poll of the watcher: a failure (the landing folder
  // missing, a failed scan) is waited out, not fatal; it is logged when it
  // starts or changes and when it ends, and makes Ready fail meanwhile. Returns
  // true when the folder is back after such a failure.
  bool NoteSource(const Status& polled) {
    std::lock_guard lock(outage_mu);
    if (polled.ok()) {
      if (source_down_since_us == 0) return false;
      LogInfo("source_back", {{"down_s", (NowMicros() - source_down_since_us) / 1000000}});
      source_down_since_us = 0;
      source_error.clear();
      GlobalMetrics().SetSourceUp(true);
      return true;
    }
    if (source_down_since_us != 0 && source_error == polled.message()) return false;
    if (source_down_since_us == 0) source_down_since_us = NowMicros();
    source_error = polled.message();
    GlobalMetrics().SetSourceUp(false);
    LogError("source_unavailable", {{"error", source_error}, {"action", "waiting for it"}});
    return false;
  }

  // Settles what a stop in the middle of an archive or a removal left
  // (leftovers.h); `skip_pid`: this process's workers are running. A failure is
  // logged, not fatal: the files stay under their pending names until the next try.
  void SettleLeftovers(int64_t skip_pid) {
    auto settled =
        sluice::SettleLeftovers(root, {config.processed, config.quarantine}, *ledger, skip_pid);
    if (!settled) LogError("leftovers_not_settled", {{"error", settled.error().ToString()}});
  }

  // Reports a change in the directories the watcher could not put an inotify
  // watch on (they are rescanned instead).
  void NoteWatches(const DirWatcher& watcher) {
    const size_t n = watcher.unwatched_dirs();
    if (n == unwatched_dirs) return;
    if (unwatched_dirs == 0) {
      LogWarn("watch_limited", {{"unwatched_dirs", static_cast<uint64_t>(n)},
                                {"error", watcher.watch_status().message()}});
    } else if (n == 0) {
      LogInfo("watch_restored");
    }
    unwatched_dirs = n;
    GlobalMetrics().SetUnwatchedDirs(n);
  }

  // One round trip to the sink on a connection of its own (reopened as needed).
  Status PingSink() {
    std::lock_guard lock(ping_mu);
    if (!ping_sink) {
      auto sink = OpenSink(config.sink);
      if (!sink) return sink.error().WithContext("sink");
      ping_sink = std::move(*sink);
    }
    Status ping = ping_sink->Ping();
    if (!ping.ok()) {
      ping_sink.reset();  // reconnect on the next probe
      return ping.WithContext("sink");
    }
    return Status::Ok();
  }

  // Polls the watcher for ready paths. A failure is waited out and reported
  // (NoteSource), except in `once`, where it is returned.
  Result<std::vector<std::string>> Poll(DirWatcher& watcher, bool once) {
    auto polled = watcher.Poll(std::chrono::milliseconds(once ? 20 : 200));
    if (!polled && once) return polled.error();
    if (NoteSource(polled ? Status::Ok() : polled.error())) {
      // The folder may have been replaced or restored meanwhile (as after a
      // crash), with leftovers in it; what they give back is sighted by a rescan.
      SettleLeftovers(getpid());
      watcher.RequestRescan();
    }
    NoteWatches(watcher);
    if (polled) return polled;
    // Poll waited for a missing folder already; any other failure returns at
    // once, and the next poll must not follow it in a busy loop.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return std::vector<std::string>{};
  }

  // Pings the sink if it is down and its probe is due, and tells the scheduler
  // (under `mu`) what the ping found. The ping may take a while: it is sent
  // without `mu`, so the workers go on meanwhile.
  void ProbeSink(Scheduler& scheduler, std::mutex& mu) {
    {
      std::lock_guard lock(mu);
      if (!scheduler.ProbeDue(Clock::now())) return;
    }
    const bool back = PingSink().ok();
    std::lock_guard lock(mu);
    if (back) {
      NoteSinkUp(scheduler.SinkBack(Clock::now()));
    } else {
      scheduler.ProbeFailed(Clock::now());
    }
  }

  // A result reported the sink down: loaders stop retrying and the scheduler
  // holds the files until the probe finds it back.
  void NoteSinkDown(const Status& why) {
    signals.sink_down.store(true);
    {
      std::lock_guard outage(outage_mu);
      down_since_us = NowMicros();
      down_error = why.ToString();
    }
    GlobalMetrics().SetSinkUp(false);
    LogError("sink_down",
             {{"error", why.ToString()},
              {"retry_budget_s", static_cast<int64_t>(config.retry_budget.count() / 1000)}});
  }

  // The probe found the sink back; `waiting` files are due at once.
  void NoteSinkUp(size_t waiting) {
    int64_t since;
    {
      std::lock_guard outage(outage_mu);
      since = down_since_us;
      down_since_us = 0;
      down_error.clear();
    }
    signals.sink_down.store(false);
    GlobalMetrics().SetSinkUp(true);
    LogInfo("sink_up", {{"down_s", (NowMicros() - since) / 1000000},
                        {"waiting_files", static_cast<int64_t>(waiting)}});
  }

  // Acts on what the scheduler made of a file's result.
  void NoteSettled(const Scheduler::Settled& settled, DirWatcher& watcher) {
    const FileResult& r = settled.result;
    // The path holds a newcomer whose events came while it was busy.
    if (r.resight) watcher.RequestRescan();
    if (r.outcome == FileOutcome::kLoaded || r.outcome == FileOutcome::kDuplicate ||
        r.outcome == FileOutcome::kQuarantined) {
      GlobalMetrics().FileDone(r.table, FileOutcomeName(r.outcome), r.rows, r.bytes, r.seconds);
    }
    if (settled.sink_went_down) NoteSinkDown(r.error);
    if (settled.gave_up) {
      LogError("gave_up", {{"file", settled.path}, {"error", r.error.ToString()}});
    }
  }

  ~Impl() {
    ping_sink.reset();
    loaders.clear();
    ledger.reset();
    if (lock_fd >= 0) close(lock_fd);
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(const Config& config) {
  RETURN_IF_ERROR(CheckOutputsOutsideSource(config));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  Config& c = impl->config;
  ASSIGN_OR_RETURN(impl->root, MakeDir(c.source, "source"));
  ASSIGN_OR_RETURN(c.processed, MakeDir(c.processed, "processed"));
  ASSIGN_OR_RETURN(c.quarantine, MakeDir(c.quarantine, "quarantine"));
  if (c.workers <= 0)
    c.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  std::error_code ec;
  fs::path ledger_path = fs::absolute(c.ledger, ec);
  fs::create_directories(ledger_path.parent_path(), ec);
  std::string lock_path = ledger_path.string() + ".lock";
  impl->lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0) return Status::Unavailable("cannot open " + lock_path);
  if (flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Status::AlreadyExists("another sluice is running with the ledger " +
                                 ledger_path.string());
  }
  impl->ledger_path = ledger_path.string();
  ASSIGN_OR_RETURN(impl->ledger, Ledger::Open(ledger_path.string()));

  for (int i = 0; i < c.workers; ++i) {
    auto sink = OpenSink(c.sink);
    if (!sink) return sink.error().WithContext("sink " + RedactSinkUrl(c.sink));
    impl->loaders.push_back(std::make_unique<FileLoader>(c, impl->root, *impl->ledger,
                                                         std::move(*sink), impl->signals));
  }
  RETURN_IF_ERROR(impl->loaders.front()->Recover(&impl->recovered_quarantined));
  // After Recover: the ledger then knows every load that committed.
  impl->SettleLeftovers(0);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<RunSummary> Engine::Run(bool once, const std::atomic<bool>& stop) {
  Impl& m = *impl_;
  WatchOptions wo = MakeWatchOptions(m.config);
  wo.root = m.root;
  wo.use_inotify = !once;
  ASSIGN_OR_RETURN(auto watcher, DirWatcher::Open(wo));
  LogInfo("started", {{"source", m.root},
                      {"sink", RedactSinkUrl(m.config.sink)},
                      {"workers", m.config.workers},
                      {"mode", once ? "once" : "run"}});

  Scheduler::Options options;
  options.workers = m.loaders.size();
  options.once = once;
  options.track_found = static_cast<bool>(m.on_progress);
  Scheduler scheduler(std::move(options));
  Workers workers(scheduler, m.loaders);
  uint64_t bytes_found = 0;  // of the files sighted, for the progress bar
  Status fatal;
  for (;;) {
    if (stop.load()) m.signals.stop.store(true);
    if (m.signals.stop.load()) break;

    auto polled = m.Poll(*watcher, once);
    if (!polled) {
      fatal = polled.error();
      break;
    }
    m.ProbeSink(scheduler, workers.mu);
    std::unique_lock lock(workers.mu);
    for (const Scheduler::Settled& settled : scheduler.Settle(Clock::now())) {
      m.NoteSettled(settled, *watcher);
    }
    const auto now = Clock::now();
    Scheduler::Turn turn = scheduler.Plan(*polled, watcher->unsettled(), now);
    if (turn.finished && scheduler.sink_down()) {
      // `once` does not wait for a sink that is down: what is left stays pending.
      LogError("gave_up",
               {{"files", static_cast<int64_t>(turn.abandoned)}, {"error", "the sink is down"}});
      break;
    }
    workers.Wake(turn.queued);
    for (const auto& path : turn.first_seen) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) bytes_found += static_cast<uint64_t>(st.st_size);
    }
    const Scheduler::Backlog backlog = scheduler.backlog(now);
    GlobalMetrics().SetBacklog(backlog.files + watcher->unsettled(), backlog.oldest_age_seconds);
    if (m.on_progress) {
      m.on_progress({.files_done = scheduler.files_done(),
                     .files_total = scheduler.files_found() + watcher->unsettled(),
                     .bytes_done = scheduler.bytes_done(),
                     .bytes_total = bytes_found});
    }
    if (turn.finished) break;
    // Nothing to poll for until a worker finishes; wait for one instead of spinning.
    if (once && scheduler.queued() > 0)
      workers.WaitForCompleted(lock, std::chrono::milliseconds(50));
  }

  workers.Stop();
  RunSummary summary = scheduler.summary();
  summary.quarantined += std::exchange(m.recovered_quarantined, 0);
  LogInfo("stopped", {{"loaded", summary.loaded},
                      {"duplicates", summary.duplicates},
                      {"quarantined", summary.quarantined},
                      {"failed", summary.failed},
                      {"rows", summary.rows}});
  if (!fatal.ok()) return fatal;
  return summary;
}

Status Engine::Ready() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.outage_mu);
    if (m.source_down_since_us != 0) return Status::Unavailable(m.source_error);
  }
  Status ping = m.PingSink();
  GlobalMetrics().SetSinkUp(ping.ok());
  RETURN_IF_ERROR(ping);
  if (access(m.ledger_path.c_str(), W_OK) != 0 ||
      access(fs::path(m.ledger_path).parent_path().c_str(), W_OK) != 0) {
    return Status::Unavailable("the ledger " + m.ledger_path + " is not writable");
  }
  return Status::Ok();
}

void Engine::OnProgress(std::function<void(const ProgressCounts&)> callback) {
  impl_->on_progress = std::move(callback);
}

const std::string& Engine::quarantine_dir() const { return impl_->config.quarantine; }

std::string Engine::StatusJson(size_t recent) {
  EngineHealth health;
  {
    std::lock_guard lock(impl_->outage_mu);
    health = {impl_->down_since_us, impl_->down_error, impl_->source_error};
  }
  return ApiStatusJson(GlobalMetrics().registry(), health, impl_->ledger->Report(recent));
}

std::string Engine::AggregatesJson(const std::string& table) {
  Ledger& ledger = *impl_->ledger;
  return ApiAggregatesJson(
      ledger.AggregatedTables(), table,
      table.empty() ? Result<std::vector<AggregateSeries>>(std::vector<AggregateSeries>())
                    : ledger.AggregateSeriesOf(table, kAggregateSeriesFiles));
}

}  // namespace sluice

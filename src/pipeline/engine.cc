#include "pipeline/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/clock.h"
#include "core/exception_status.h"
#include "core/retry_policy.h"
#include "ledger/ledger.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "pipeline/file_loader.h"
#include "pipeline/status_json.h"
#include "sink/sink.h"
#include "source/dir_watcher.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// In `once` mode a file that keeps failing transiently is given up after this
// many tries, so that `once` ends (with exit code 1) while the sink is down.
constexpr int kOnceMaxTries = 3;

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

// A file whose load failed transiently is tried again after this (its loader
// already retried within the retry budget).
constexpr RetryPolicy kFileRetry{std::chrono::seconds(1), std::chrono::seconds(30)};
// The probe of a sink that is down.
constexpr RetryPolicy kSinkProbe{std::chrono::seconds(1), std::chrono::seconds(30)};

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
  // starts or changes and when it ends, and makes Ready fail meanwhile.
  void NoteSource(const Status& polled) {
    std::lock_guard lock(outage_mu);
    if (polled.ok()) {
      if (source_down_since_us == 0) return;
      LogInfo("source_back", {{"down_s", (NowMicros() - source_down_since_us) / 1000000}});
      source_down_since_us = 0;
      source_error.clear();
      GlobalMetrics().SetSourceUp(true);
      return;
    }
    if (source_down_since_us != 0 && source_error == polled.message()) return;
    if (source_down_since_us == 0) source_down_since_us = NowMicros();
    source_error = polled.message();
    GlobalMetrics().SetSourceUp(false);
    LogError("source_unavailable", {{"error", source_error}, {"action", "waiting for it"}});
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

  std::mutex mu;
  std::condition_variable work_cv;
  std::condition_variable done_cv;
  std::deque<std::string> queue;
  std::vector<std::pair<std::string, FileResult>> done;
  bool shutting_down = false;
  size_t running = 0;

  std::vector<std::thread> workers;
  for (auto& loader : m.loaders) {
    workers.emplace_back([&, l = loader.get()] {
      std::unique_lock lock(mu);
      for (;;) {
        work_cv.wait(lock, [&] { return shutting_down || !queue.empty(); });
        if (queue.empty()) return;
        // A fair share of what is queued, so that small files can load in groups
        // while every worker stays busy.
        const size_t take =
            std::clamp<size_t>(queue.size() / m.loaders.size(), 1, FileLoader::kGroupFiles);
        std::vector<std::string> paths(std::make_move_iterator(queue.begin()),
                                       std::make_move_iterator(queue.begin() + take));
        queue.erase(queue.begin(), queue.begin() + take);
        running += paths.size();
        lock.unlock();
        std::vector<FileResult> results;
        try {
          results = l->Process(paths);
        } catch (...) {
          // The last exception boundary of a worker (the loader catches what a
          // file's load throws): the files are tried again later, and the
          // worker lives on.
          Status why = ExceptionStatus("processing files");
          LogError("worker_exception", {{"error", why.ToString()}});
          results.assign(paths.size(), FileResult{});
          for (FileResult& r : results) {
            r.outcome = FileOutcome::kRetryLater;
            r.error = why;
          }
        }
        lock.lock();
        running -= paths.size();
        for (size_t i = 0; i < paths.size(); ++i) {
          done.emplace_back(std::move(paths[i]), std::move(results[i]));
        }
        done_cv.notify_one();
      }
    });
  }

  RunSummary summary;
  summary.quarantined = std::exchange(m.recovered_quarantined, 0);
  std::unordered_set<std::string> active;                            // queued or being processed
  std::map<std::string, std::pair<Clock::time_point, int>> retries;  // path → (due, tries)
  std::unordered_map<std::string, Clock::time_point> waiting_since;  // queued or retrying
  IngestMetrics& metrics = GlobalMetrics();
  std::unordered_set<std::string> found;  // every path queued; only with on_progress
  ProgressCounts progress;
  Status fatal;
  // While the sink is down no file is handed to a worker; a probe pings the sink
  // (1 s doubling to 30 s, with jitter) and, once it answers, every waiting file
  // is due at once.
  std::optional<Backoff> probe_backoff;
  Clock::time_point probe_at;
  Clock::time_point up_at;  // when the probe last found the sink back
  for (;;) {
    if (stop.load()) m.signals.stop.store(true);
    if (m.signals.stop.load()) break;

    auto polled = watcher->Poll(std::chrono::milliseconds(once ? 20 : 200));
    if (!polled && once) {
      fatal = polled.error();
      break;
    }
    m.NoteSource(polled ? Status::Ok() : polled.error());
    m.NoteWatches(*watcher);
    if (!polled) {
      // Poll waited for a missing folder already; any other failure returns at
      // once, and the next poll must not follow it in a busy loop.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      polled = std::vector<std::string>{};
    }
    bool sink_back = false;
    if (m.signals.sink_down.load() && !once && Clock::now() >= probe_at) {
      sink_back = m.PingSink().ok();
      if (!sink_back) probe_at = Clock::now() + probe_backoff->Next();
    }
    std::unique_lock lock(mu);
    if (sink_back) {
      int64_t since;
      {
        std::lock_guard outage(m.outage_mu);
        since = m.down_since_us;
        m.down_since_us = 0;
        m.down_error.clear();
      }
      m.signals.sink_down.store(false);
      up_at = Clock::now();
      metrics.SetSinkUp(true);
      for (auto& [path, due] : retries) due.first = Clock::now();
      LogInfo("sink_up", {{"down_s", (NowMicros() - since) / 1000000},
                          {"waiting_files", static_cast<int64_t>(retries.size())}});
    }
    for (auto& [path, r] : done) {
      active.erase(path);
      // The path holds a newcomer whose events came while it was busy.
      if (r.resight) watcher->RequestRescan();
      if (r.outcome == FileOutcome::kLoaded || r.outcome == FileOutcome::kDuplicate ||
          r.outcome == FileOutcome::kQuarantined) {
        metrics.FileDone(r.table, FileOutcomeName(r.outcome), r.rows, r.rejected, r.bytes,
                         r.seconds);
      }
      if (r.outcome != FileOutcome::kRetryLater) {
        waiting_since.erase(path);
        ++progress.files_done;
        progress.bytes_done += r.bytes;
      }
      switch (r.outcome) {
        case FileOutcome::kLoaded:
          ++summary.loaded;
          summary.rows += r.rows;
          retries.erase(path);
          break;
        case FileOutcome::kDuplicate:
          ++summary.duplicates;
          retries.erase(path);
          break;
        case FileOutcome::kQuarantined:
          ++summary.quarantined;
          retries.erase(path);
          break;
        case FileOutcome::kRetryLater: {
          int tries = retries.count(path) ? retries[path].second + 1 : 1;
          if (r.sink_down && !m.signals.sink_down.load()) {
            m.signals.sink_down.store(true);
            {
              std::lock_guard outage(m.outage_mu);
              m.down_since_us = NowMicros();
              m.down_error = r.error.ToString();
            }
            metrics.SetSinkUp(false);
            // A sink that answers pings but refuses the load (a revoked privilege)
            // goes down again at once: its probe keeps backing off.
            if (!probe_backoff || Clock::now() - up_at > std::chrono::minutes(1)) {
              probe_backoff.emplace(kSinkProbe);
            }
            probe_at = Clock::now() + probe_backoff->Next();
            LogError("sink_down", {{"error", r.error.ToString()},
                                   {"retry_budget_s",
                                    static_cast<int64_t>(m.config.retry_budget.count() / 1000)}});
          }
          if (once && tries >= kOnceMaxTries) {
            ++summary.failed;
            retries.erase(path);
            waiting_since.erase(path);
            ++progress.files_done;
            LogError("gave_up", {{"file", path}, {"error", r.error.ToString()}});
          } else {
            retries[path] = {Clock::now() + kFileRetry.Delay(tries), tries};
          }
          break;
        }
        case FileOutcome::kAlreadyDone:
        case FileOutcome::kGone:
        case FileOutcome::kInterrupted:
          retries.erase(path);
          break;
      }
    }
    done.clear();
    auto now = Clock::now();
    bool hold = m.signals.sink_down.load();
    if (hold) {
      // Files not yet taken by a worker wait with the rest until the sink is back.
      for (const auto& path : queue) {
        active.erase(path);
        retries.emplace(path, std::make_pair(now, 0));
      }
      queue.clear();
    }
    if (once && hold) {
      // `once` does not wait for a sink that is down: what is left stays pending.
      summary.failed += retries.size() + running;
      LogError("gave_up", {{"files", static_cast<int64_t>(retries.size() + running)},
                           {"error", "the sink is down"}});
      break;
    }
    auto enqueue = [&](const std::string& path) {
      waiting_since.emplace(path, now);
      if (m.on_progress && found.insert(path).second) {
        struct stat st;
        if (::stat(path.c_str(), &st) == 0)
          progress.bytes_total += static_cast<uint64_t>(st.st_size);
      }
      if (hold) {
        retries.emplace(path, std::make_pair(now, 0));
      } else if (active.insert(path).second) {
        queue.push_back(path);
        work_cv.notify_one();
      }
    };
    for (const auto& path : *polled) {
      if (!retries.count(path)) enqueue(path);
    }
    for (const auto& [path, due] : retries) {
      if (due.first <= now && !hold) enqueue(path);
    }
    {
      Clock::time_point oldest = now;
      for (const auto& [path, since] : waiting_since) oldest = std::min(oldest, since);
      uint64_t retrying = 0;
      for (const auto& [path, due] : retries) retrying += active.count(path) ? 0 : 1;
      metrics.SetBacklog(active.size() + retrying + watcher->unsettled(),
                         std::chrono::duration<double>(now - oldest).count());
    }
    if (m.on_progress) {
      progress.files_total = found.size() + watcher->unsettled();
      m.on_progress(progress);
    }
    if (once && polled->empty() && queue.empty() && running == 0 && done.empty() &&
        watcher->unsettled() == 0) {
      bool waiting = false;
      for (const auto& [path, due] : retries) waiting = waiting || !active.count(path);
      if (!waiting && active.empty()) break;
    }
    if (once && !queue.empty()) {
      // Nothing to poll for until a worker finishes; wait for one instead of spinning.
      done_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return !done.empty(); });
    }
  }

  {
    std::lock_guard lock(mu);
    shutting_down = true;
    queue.clear();
  }
  work_cv.notify_all();
  for (auto& t : workers) t.join();
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

}  // namespace sluice

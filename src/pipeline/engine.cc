#include "pipeline/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "ledger/ledger.h"
#include "observe/log.h"
#include "pipeline/file_loader.h"
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

std::chrono::milliseconds RetryDelay(int tries) {
  return std::chrono::milliseconds(std::min(30000, 500 << std::min(tries, 6)));
}

}  // namespace

struct Engine::Impl {
  Config config;
  std::string root;
  int lock_fd = -1;
  std::unique_ptr<Ledger> ledger;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<FileLoader>> loaders;

  ~Impl() {
    loaders.clear();
    ledger.reset();
    if (lock_fd >= 0) close(lock_fd);
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(const Config& config) {
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
  ASSIGN_OR_RETURN(impl->ledger, Ledger::Open(ledger_path.string()));

  for (int i = 0; i < c.workers; ++i) {
    auto sink = OpenSink(c.sink);
    if (!sink) return sink.error().WithContext("sink " + c.sink);
    impl->loaders.push_back(
        std::make_unique<FileLoader>(c, impl->root, *impl->ledger, std::move(*sink), impl->stop));
  }
  RETURN_IF_ERROR(impl->loaders.front()->Recover());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<RunSummary> Engine::Run(bool once, const std::atomic<bool>& stop) {
  Impl& m = *impl_;
  WatchOptions wo;
  wo.root = m.root;
  wo.recursive = m.config.recursive;
  wo.include = m.config.include;
  wo.exclude = m.config.exclude;
  wo.skip_dirs = {m.config.processed, m.config.quarantine};
  wo.settle = m.config.settle;
  wo.rescan = m.config.rescan;
  wo.use_inotify = !once;
  ASSIGN_OR_RETURN(auto watcher, DirWatcher::Open(wo));
  LogInfo("started", {{"source", m.root},
                      {"sink", m.config.sink},
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
        std::string path = std::move(queue.front());
        queue.pop_front();
        ++running;
        lock.unlock();
        FileResult r = l->Process(path);
        lock.lock();
        --running;
        done.emplace_back(std::move(path), std::move(r));
        done_cv.notify_one();
      }
    });
  }

  RunSummary summary;
  std::unordered_set<std::string> active;                            // queued or being processed
  std::map<std::string, std::pair<Clock::time_point, int>> retries;  // path → (due, tries)
  Status fatal;
  for (;;) {
    if (stop.load()) m.stop.store(true);
    if (m.stop.load()) break;

    auto polled = watcher->Poll(std::chrono::milliseconds(once ? 20 : 200));
    if (!polled) {
      fatal = polled.error();
      break;
    }
    std::unique_lock lock(mu);
    for (auto& [path, r] : done) {
      active.erase(path);
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
          if (once && tries >= kOnceMaxTries) {
            ++summary.failed;
            retries.erase(path);
            LogError("gave_up", {{"file", path}, {"error", r.error.ToString()}});
          } else {
            retries[path] = {Clock::now() + RetryDelay(tries), tries};
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
    auto enqueue = [&](const std::string& path) {
      if (active.insert(path).second) {
        queue.push_back(path);
        work_cv.notify_one();
      }
    };
    for (const auto& path : *polled) {
      if (!retries.count(path)) enqueue(path);
    }
    auto now = Clock::now();
    for (const auto& [path, due] : retries) {
      if (due.first <= now) enqueue(path);
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

}  // namespace sluice

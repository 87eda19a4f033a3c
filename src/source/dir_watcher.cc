#include "source/dir_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "source/posix_status.h"
#include "source/watch_rules.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// IN_MODIFY catches a writer that keeps a file open after it was reported;
// IN_MOVED_FROM keeps watches and the unsettled count right when things leave;
// the *_SELF events tell us the root itself went away.
constexpr uint32_t kWatchMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
                                IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                IN_DONT_FOLLOW;

int64_t WallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

class InotifyDirWatcher final : public DirWatcher {
 public:
  InotifyDirWatcher(WatchOptions options, std::string root)
      : options_(std::move(options)),
        root_(std::move(root)),
        given_root_(Normalise(options_.root)) {}

  ~InotifyDirWatcher() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // Creates the inotify instance (when asked for) and runs the start-up scan.
  // Without an instance (fs.inotify.max_user_instances reached) every directory
  // is unwatched and found by rescans.
  Status Start() {
    if (options_.use_inotify) {
      fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (fd_ < 0) {
        const int err = errno;
        watch_error_ = "inotify_init1: " + ErrnoMessage(err);
        if (err == EMFILE) watch_error_ += "; raise fs.inotify.max_user_instances";
      }
    }
    return Rescan(Clock::now());
  }

  Result<std::vector<std::string>> Poll(std::chrono::milliseconds timeout) override {
    // Clamped so that the deadline arithmetic cannot overflow.
    timeout = std::clamp<std::chrono::milliseconds>(timeout, std::chrono::milliseconds::zero(),
                                                    std::chrono::hours(24));
    const Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      Clock::time_point now = Clock::now();
      Status pumped = Pump(now);
      if (!root_status_.ok()) {
        // Waits for the root (rescans come every kMissingRootRecheck) rather
        // than returning at once, so that a caller polling in a loop does not spin.
        if (now >= deadline) return root_status_;
      } else {
        RETURN_IF_ERROR(pumped);
        if (!ready_.empty() || now >= deadline) return TakeReady();
      }
      RETURN_IF_ERROR(WaitUntil(std::min({deadline, NextDue(), next_rescan_})));
    }
  }

  size_t unsettled() const override { return pending_.size(); }

  size_t unwatched_dirs() const override { return unwatched_.size(); }

  Status watch_status() const override {
    if (unwatched_.empty()) return Status::Ok();
    return Status::Unavailable(
        std::to_string(unwatched_.size()) + " folder(s) without an inotify watch, starting with " +
        *unwatched_.begin() + " (" + watch_error_ + "): files there are found by a rescan every " +
        std::to_string(RescanInterval().count()) + " ms");
  }

  void RequestRescan() override { rescan_requested_ = true; }

  bool Accepts(const std::string& path) const override {
    const std::string normal = Normalise(path);
    std::optional<std::string> rel = RelativeTo(normal, root_);
    if (!rel) rel = RelativeTo(normal, given_root_);
    if (!rel || !AcceptsRelative(options_, *rel)) return false;
    return !SkippedDir(WeaklyCanonical(fs::path(Join(root_, *rel)).parent_path()), root_,
                       skip_dirs_);
  }

 private:
  // A file seen but not yet settled.
  struct Pending {
    Clock::time_point due;  // when to stat it again
    bool observed = false;  // `seen` holds a stat
    FileStat seen;
    // When we saw a change that the mtime does not date (see Check).
    std::optional<Clock::time_point> changed_at;
  };

  // Reads events, rescans when due and re-checks files whose time has come.
  // Paths found ready go to ready_, which an error does not lose.
  Status Pump(Clock::time_point now) {
    Status first = ReadEvents(now);
    if (rescan_requested_ || now >= next_rescan_) Keep(first, Rescan(now));
    while (!due_.empty() && due_.begin()->first <= now) {
      std::string path = due_.begin()->second;
      due_.erase(due_.begin());
      Check(path, now);
    }
    return first;
  }

  Clock::time_point NextDue() const {
    return due_.empty() ? Clock::time_point::max() : due_.begin()->first;
  }

  // Sleeps until `wake` or an inotify event. Rounds up to whole milliseconds so
  // that a wake-up is never early, which would spin until the due time.
  Status WaitUntil(Clock::time_point wake) const {
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now());
    const int ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, INT_MAX));
    if (fd_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return Status::Ok();
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) < 0 && errno != EINTR) {
      return Status::Unavailable("poll inotify: " + ErrnoMessage(errno));
    }
    return Status::Ok();
  }

  std::vector<std::string> TakeReady() {
    std::vector<std::string> out = std::move(ready_);
    ready_.clear();
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  static void Keep(Status& first, Status next) {
    if (first.ok()) first = std::move(next);
  }

  // --- Rules -----------------------------------------------------------------

  // `dir` is canonical.
  bool IsSkipped(const std::string& dir) const { return SkippedDir(dir, root_, skip_dirs_); }

  // Resolved at every rescan, because a skip dir may be created (or replaced by
  // a symlink) after start-up.
  void ResolveSkipDirs() {
    skip_dirs_.clear();
    for (const std::string& dir : options_.skip_dirs) skip_dirs_.push_back(WeaklyCanonical(dir));
  }

  // The size and mtime of the regular file at `path`, following a symlink only
  // when its target lies inside the root; nullopt for anything else.
  std::optional<FileStat> Observe(const std::string& path) const {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      fs::path target = fs::canonical(path, ec);
      if (ec || !IsUnder(target.native(), root_)) return std::nullopt;
      if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return FileStat{static_cast<uint64_t>(st.st_size),
                    static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }

  // --- Pending files ---------------------------------------------------------

  // Makes sure `path` is checked no later than `due`.
  void Schedule(const std::string& path, Clock::time_point due) {
    auto [it, inserted] = pending_.try_emplace(path);
    if (!inserted) {
      if (it->second.due <= due) return;
      due_.erase({it->second.due, path});
    }
    it->second.due = due;
    due_.emplace(due, path);
  }

  void Forget(const std::string& path) {
    auto it = pending_.find(path);
    if (it == pending_.end()) return;
    due_.erase({it->second.due, path});
    pending_.erase(it);
  }

  void MarkReady(const std::string& path) {
    Forget(path);
    ready_.push_back(path);
  }

  // Stats a pending file whose due time came (it is no longer in due_) and
  // either reports it ready or schedules the next check.
  void Check(const std::string& path, Clock::time_point now) {
    auto it = pending_.find(path);
    std::optional<FileStat> st = Observe(path);
    if (!st) {
      pending_.erase(it);
      return;
    }
    Pending& p = it->second;
    const int64_t wall_ns = WallNowNs();
    // An mtime in the future (clock skew, a copier restoring a later time) says
    // nothing about when the file last changed, and a change that did not move
    // the mtime forward (a writer that preserves or resets it) is not dated by
    // it either. For those we time the stability ourselves from this sighting.
    const bool future = st->mtime_ns > wall_ns;
    const bool changed = p.observed && (st->size != p.seen.size || st->mtime_ns != p.seen.mtime_ns);
    if (future ? (changed || !p.changed_at) : (changed && st->mtime_ns <= p.seen.mtime_ns)) {
      p.changed_at = now;
    }
    p.observed = true;
    p.seen = *st;

    Clock::duration wait = Clock::duration::zero();
    if (!future) {
      wait = options_.settle - std::chrono::nanoseconds(wall_ns - st->mtime_ns);
    }
    if (p.changed_at) {
      wait = std::max(wait, Clock::duration(options_.settle - (now - *p.changed_at)));
    }
    if (wait <= Clock::duration::zero()) {
      pending_.erase(it);
      ready_.push_back(path);
      return;
    }
    p.due = now + wait;
    due_.emplace(p.due, path);
  }

  // --- Scanning and watches --------------------------------------------------

  Status Rescan(Clock::time_point now) {
    rescan_requested_ = false;
    ResolveSkipDirs();
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) {
      next_rescan_ = now + std::min(options_.rescan, kMissingRootRecheck);
      root_status_ =
          Status::Unavailable("landing folder " + root_ + " is missing or not a directory");
      return root_status_;
    }
    root_status_ = Status::Ok();
    unwatched_.clear();  // every directory is offered a watch again below
    Status first = AddWatch(root_);
    ScanDir(root_, now, first);
    next_rescan_ = now + RescanInterval();
    return first;
  }

  // Unwatched directories are only seen by rescans, so those come sooner.
  std::chrono::milliseconds RescanInterval() const {
    return unwatched_.empty() ? options_.rescan : std::min(options_.rescan, kUnwatchedRescan);
  }

  // Schedules every acceptable file under `dir` for a check now, adding
  // watches on sub-directories (before listing them, so nothing created in
  // between is missed). The first error goes to `first`; the scan goes on.
  void ScanDir(const std::string& dir, Clock::time_point now, Status& first) {
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.starts_with('.')) continue;
      const std::string path = Join(dir, name);
      std::error_code type_ec;
      const fs::file_type type = it->symlink_status(type_ec).type();
      if (type == fs::file_type::directory) {
        if (options_.recursive && !IsSkipped(path)) {
          Keep(first, AddWatch(path));
          ScanDir(path, now, first);
        }
      } else if (type == fs::file_type::regular || type == fs::file_type::symlink) {
        std::optional<std::string> rel = RelativeTo(path, root_);
        if (rel && AcceptsRelative(options_, *rel)) Schedule(path, now);
      }
    }
    // A directory removed while we list it is not an error.
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
      Keep(first, Status::Unavailable("scan " + dir + ": " + ec.message()));
    }
  }

  // Watches `dir`. At the watch limit the directory is left to rescans
  // (unwatched_) rather than failing: a large tree still loads, only later.
  Status AddWatch(const std::string& dir) {
    if (!options_.use_inotify) return Status::Ok();
    int wd = -1;
    int err = ENOSPC;
    if (fd_ >= 0 && (options_.max_watches == 0 || dir_of_wd_.size() < options_.max_watches ||
                     wd_of_dir_.contains(dir))) {
      wd = inotify_add_watch(fd_, dir.c_str(), kWatchMask);
      err = errno;
    }
    if (wd < 0) {
      if (err == ENOENT || err == ENOTDIR) return Status::Ok();
      if (fd_ >= 0 && err != ENOSPC) {
        return Status::Unavailable("inotify_add_watch " + dir + ": " + ErrnoMessage(err));
      }
      if (fd_ >= 0) {
        watch_error_ =
            "inotify_add_watch: " + ErrnoMessage(err) + "; raise fs.inotify.max_user_watches";
      }
      unwatched_.insert(dir);
      next_rescan_ = std::min(next_rescan_, Clock::now() + RescanInterval());
      return Status::Ok();
    }
    unwatched_.erase(dir);
    // The kernel returns the existing descriptor for a directory already
    // watched; after a rename we missed (queue overflow) it names a new path.
    auto [it, inserted] = dir_of_wd_.try_emplace(wd, dir);
    if (!inserted && it->second != dir) {
      ForgetDirMapping(it->second, wd);
      it->second = dir;
    }
    wd_of_dir_[dir] = wd;
    if (dir == root_) root_wd_ = wd;
    return Status::Ok();
  }

  void ForgetDirMapping(const std::string& dir, int wd) {
    auto it = wd_of_dir_.find(dir);
    if (it != wd_of_dir_.end() && it->second == wd) wd_of_dir_.erase(it);
  }

  // Stops watching `dir` and everything below it.
  void RemoveWatchTree(const std::string& dir) {
    for (auto it = unwatched_.lower_bound(dir); it != unwatched_.end() && it->starts_with(dir);) {
      it = IsUnder(*it, dir) ? unwatched_.erase(it) : std::next(it);
    }
    for (auto it = wd_of_dir_.lower_bound(dir);
         it != wd_of_dir_.end() && it->first.starts_with(dir);) {
      if (!IsUnder(it->first, dir)) {
        ++it;
        continue;
      }
      inotify_rm_watch(fd_, it->second);
      dir_of_wd_.erase(it->second);
      if (it->second == root_wd_) root_wd_ = -1;
      it = wd_of_dir_.erase(it);
    }
  }

  // --- Events ----------------------------------------------------------------

  Status ReadEvents(Clock::time_point now) {
    if (fd_ < 0) return Status::Ok();
    Status first;
    alignas(inotify_event) char buffer[64 * 1024];
    for (;;) {
      const ssize_t got = ::read(fd_, buffer, sizeof(buffer));
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        Keep(first, Status::Unavailable("read inotify: " + ErrnoMessage(errno)));
        break;
      }
      if (got == 0) break;
      for (const char* p = buffer; p < buffer + got;) {
        const auto* event = reinterpret_cast<const inotify_event*>(p);
        Keep(first, HandleEvent(*event, now));
        p += sizeof(inotify_event) + event->len;
      }
    }
    return first;
  }

  Status HandleEvent(const inotify_event& event, Clock::time_point now) {
    if (event.mask & IN_Q_OVERFLOW) {
      rescan_requested_ = true;
      return Status::Ok();
    }
    auto wd_it = dir_of_wd_.find(event.wd);
    if (wd_it == dir_of_wd_.end()) return Status::Ok();
    if (event.mask & IN_IGNORED) {
      ForgetDirMapping(wd_it->second, event.wd);
      dir_of_wd_.erase(wd_it);
      if (event.wd == root_wd_) {
        root_wd_ = -1;
        rescan_requested_ = true;
      }
      return Status::Ok();
    }
    if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
      // A sub-directory's move or deletion is handled through its parent's
      // events; the root's means every watched path is now wrong.
      if (event.wd == root_wd_) {
        RemoveWatchTree(root_);
        rescan_requested_ = true;
      }
      return Status::Ok();
    }
    if (event.len == 0) return Status::Ok();
    const std::string path = Join(wd_it->second, event.name);

    if (event.mask & IN_ISDIR) {
      if (!options_.recursive) return Status::Ok();
      if (event.mask & IN_MOVED_FROM) {
        RemoveWatchTree(path);
      } else if ((event.mask & (IN_CREATE | IN_MOVED_TO)) &&
                 !std::string_view(event.name).starts_with('.') && !IsSkipped(path)) {
        Status first = AddWatch(path);
        ScanDir(path, now, first);
        return first;
      }
      return Status::Ok();
    }

    std::optional<std::string> rel = RelativeTo(path, root_);
    if (!rel || !AcceptsRelative(options_, *rel)) return Status::Ok();
    if (event.mask & IN_MOVED_FROM) {
      Forget(path);
    } else if (event.mask & IN_MOVED_TO) {
      // A rename is atomic: whoever renamed the file into place is done with it.
      if (Observe(path)) {
        MarkReady(path);
      } else {
        Forget(path);
      }
    } else if (event.mask & (IN_CREATE | IN_CLOSE_WRITE)) {
      Schedule(path, now);
    } else if ((event.mask & IN_MODIFY) && !pending_.contains(path)) {
      // Only a new sighting: for a file already pending, its next check will see
      // the new mtime anyway, and a busy writer must not cause a stat per write.
      Schedule(path, now);
    }
    return Status::Ok();
  }

  const WatchOptions options_;
  const std::string root_;              // canonical; returned paths start with it
  const std::string given_root_;        // options_.root made absolute, for Accepts
  std::vector<std::string> skip_dirs_;  // canonical

  int fd_ = -1;  // inotify, or -1 when scanning only
  int root_wd_ = -1;
  std::unordered_map<int, std::string> dir_of_wd_;
  std::map<std::string, int> wd_of_dir_;  // ordered, to find a directory's subtree

  std::unordered_map<std::string, Pending> pending_;
  std::set<std::pair<Clock::time_point, std::string>> due_;  // one entry per pending file
  std::vector<std::string> ready_;

  std::set<std::string> unwatched_;  // directories left to rescans (ordered for subtrees)
  std::string watch_error_;          // why the last of them could not be watched

  Clock::time_point next_rescan_;
  bool rescan_requested_ = false;
  Status root_status_;  // Unavailable while the root is missing
};

}  // namespace

Result<std::unique_ptr<DirWatcher>> DirWatcher::Open(WatchOptions options) {
  if (options.root.empty()) return Status::InvalidArgument("watch root is empty");
  if (options.settle.count() < 0) return Status::InvalidArgument("settle must not be negative");
  if (options.rescan.count() <= 0) return Status::InvalidArgument("rescan must be positive");
  std::error_code ec;
  const fs::file_status status = fs::status(options.root, ec);
  if (status.type() == fs::file_type::not_found) {
    return Status::NotFound("landing folder " + options.root + " does not exist");
  }
  if (ec) return Status::Unavailable("stat " + options.root + ": " + ec.message());
  if (!fs::is_directory(status)) {
    return Status::InvalidArgument("landing folder " + options.root + " is not a directory");
  }
  const fs::path canonical = fs::canonical(options.root, ec);
  if (ec) return Status::Unavailable("resolve " + options.root + ": " + ec.message());
  auto watcher = std::make_unique<InotifyDirWatcher>(std::move(options), Normalise(canonical));
  RETURN_IF_ERROR(watcher->Start());
  return std::unique_ptr<DirWatcher>(std::move(watcher));
}

}  // namespace sluice

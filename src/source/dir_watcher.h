// DirWatcher: finds the files in a landing folder that are ready to be read.
//
// Sources of truth, combined: a scan at start-up, inotify events while running,
// and a periodic rescan (so files whose events were missed are still found). A
// file is ready once it has settled: its mtime is at least `settle` old (and its
// size unchanged since it was last seen). A file renamed into the folder
// (IN_MOVED_TO) is complete and ready at once; IN_CLOSE_WRITE only triggers an
// early re-check, because a writer may reopen the file and append.
//
// A file whose mtime lies in the future (clock skew), or whose size changed
// without its mtime moving forward, is instead ready once size and mtime have
// stayed the same for `settle`.
//
// Ignored: names starting with '.' (files and directories), and *.tmp, *.part,
// *.crdownload, *._COPYING_, anything under `skip_dirs`, names not matching
// `include` (if given) or matching `exclude`. Globs are fnmatch patterns: one
// containing '/' is matched against the path relative to the root (FNM_PATHNAME,
// so '*' does not cross '/'), any other against the base name. Only regular
// files are reported. A symlink to a file is followed (and reported under the
// link's own path) only when its canonical target lies inside the canonical
// root; symlinked directories are never entered. Without `recursive`,
// sub-directories are ignored.
//
// Paths are absolute and start with the canonical root (symlinks in `root`
// resolved). skip_dirs are compared canonically too; a relative one is taken
// relative to the working directory, like any path.
//
// A ready path is returned once per sighting: it is returned again only after a
// new event or rescan sees it still there (the pipeline then asks the ledger
// whether it is already done). So every periodic rescan returns again every file
// still in the folder, including files the pipeline is working on.
//
// Without inotify watches (fs.inotify.max_user_watches reached, or no inotify
// instance left) the watcher does not fail: directories it cannot watch are
// found by rescans, run at most every kUnwatchedRescan while any is unwatched,
// and unwatched_dirs() / watch_status() say so. A landing folder that goes away
// (renamed, deleted, unmounted) is waited for: Poll reports Unavailable while it
// is missing, checks for it every second, and picks up where it left off once
// it is back.
//
// Thread-safety: none; one thread polls.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sluice {

// The glob rule used for include/exclude (and for the configuration's table
// rules): a pattern containing '/' is matched against the whole relative path with
// FNM_PATHNAME, any other pattern against the base name.
bool GlobMatches(const std::string& pattern, std::string_view relative_path);

struct WatchOptions {
  std::string root;
  bool recursive = false;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<std::string> skip_dirs;  // e.g. processed/ and quarantine/ when inside root
  std::chrono::milliseconds settle{1000};
  std::chrono::milliseconds rescan{30000};
  bool use_inotify = true;  // false: scans only (sluice once)
  // At most this many inotify watches (0: only the kernel's limit). A seam for
  // tests: it behaves as fs.inotify.max_user_watches being reached.
  size_t max_watches = 0;
};

// While some directory has no inotify watch, the rescan runs at least this often.
inline constexpr std::chrono::milliseconds kUnwatchedRescan{5000};
// While the landing folder is missing, it is looked for this often.
inline constexpr std::chrono::milliseconds kMissingRootRecheck{1000};

// True if a watcher with `options` would report a regular file at `path` (which
// need not exist): it lies under the root (both compared with symlinks resolved),
// passes the name, recursion and glob rules, and is not in a skip dir below the
// root (the root itself is never skipped). For refusing at start-up a file
// sluice writes itself inside the landing folder.
bool WouldWatch(const WatchOptions& options, const std::string& path);

class DirWatcher {
 public:
  // Opens the watcher and performs the start-up scan; the files it found are
  // checked and returned by the first Poll. Errors: NotFound (root missing),
  // InvalidArgument (root not a directory, negative settle, rescan not
  // positive), Unavailable (inotify, or a directory that cannot be watched).
  static Result<std::unique_ptr<DirWatcher>> Open(WatchOptions options);
  virtual ~DirWatcher() = default;

  // Waits up to `timeout` for events, re-checks files waiting to settle, rescans
  // when due, and returns the absolute paths that are ready now (sorted, without
  // duplicates). Returns as soon as at least one path is ready, else empty when
  // `timeout` has passed; timeout 0 only takes what is ready without waiting.
  // While waiting it sleeps until the next event or due re-check (no spinning).
  // Errors: Unavailable when the root is missing (returned once `timeout` has
  // passed with the root still missing; the root is looked for again every
  // kMissingRootRecheck while Poll waits) or a rescan or the inotify read failed:
  // poll again; paths found ready before the error are returned by a later Poll.
  // A directory that cannot be watched is not an error (see unwatched_dirs).
  virtual Result<std::vector<std::string>> Poll(std::chrono::milliseconds timeout) = 0;
  // Number of files seen but not yet settled (includes files found by a scan and
  // not yet checked). `sluice once` polls until this is 0 and Poll returns none.
  virtual size_t unsettled() const = 0;
  // Directories (the root included) that have no inotify watch, as of the last
  // rescan and the events since: files in them are found by rescans only.
  // 0 in scan-only mode (use_inotify false), where that is what was asked.
  virtual size_t unwatched_dirs() const = 0;
  // Ok while every directory is watched, else Unavailable saying why not (the
  // kernel's error and which limit to raise) and how often rescans run.
  virtual Status watch_status() const = 0;
  // Forces a full rescan at the next Poll.
  virtual void RequestRescan() = 0;
  // True if `path` (absolute, under the root as given or as canonical) passes
  // this watcher's name, recursion, glob and skip_dirs rules. Does not look at
  // the file itself (type, symlink target, settling).
  virtual bool Accepts(const std::string& path) const = 0;
};

}  // namespace sluice

// DirWatcher: finds the files in a landing folder that are ready to be read.
//
// Sources of truth, combined: a scan at start-up, inotify events while running,
// and a periodic rescan (so files whose events were missed are still found). A
// file is ready once it has settled: its mtime is at least `settle` old (and its
// size unchanged since it was last seen). A file renamed into the folder
// (IN_MOVED_TO) is complete and ready at once; IN_CLOSE_WRITE only triggers an
// early re-check, because a writer may reopen the file and append.
//
// Ignored: names starting with '.', and *.tmp, *.part, *.crdownload, *._COPYING_,
// anything under `skip_dirs`, names not matching `include` (if given) or
// matching `exclude`. Globs are fnmatch patterns matched against the path
// relative to the root (and, for patterns without '/', the base name).
// Symlinks are followed only when their target lies inside the root.
//
// A ready path is returned once per sighting: it is returned again only after a
// new event or rescan sees it still there (the pipeline then asks the ledger
// whether it is already done).
//
// Thread-safety: none; one thread polls.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace sluice {

struct WatchOptions {
  std::string root;
  bool recursive = false;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<std::string> skip_dirs;  // e.g. processed/ and quarantine/ when inside root
  std::chrono::milliseconds settle{1000};
  std::chrono::milliseconds rescan{30000};
  bool use_inotify = true;  // false: scans only (sluice once)
};

class DirWatcher {
 public:
  // Opens the watcher and performs the start-up scan. Errors: NotFound (root
  // missing), InvalidArgument (root not a directory), Unavailable (inotify).
  static Result<std::unique_ptr<DirWatcher>> Open(WatchOptions options);
  virtual ~DirWatcher() = default;

  // Waits up to `timeout` for events, re-checks files waiting to settle, rescans
  // when due, and returns the absolute paths that are ready now (may be empty).
  virtual Result<std::vector<std::string>> Poll(std::chrono::milliseconds timeout) = 0;
  // Number of files seen but not yet settled.
  virtual size_t unsettled() const = 0;
  // Forces a full rescan at the next Poll.
  virtual void RequestRescan() = 0;
  // True if `path` (absolute) would be considered at all by this watcher's rules.
  virtual bool Accepts(const std::string& path) const = 0;
};

}  // namespace sluice

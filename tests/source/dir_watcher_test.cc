#include "source/dir_watcher.h"

#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TempDir;
using testing::WriteFile;
using Clock = std::chrono::steady_clock;
using Paths = std::vector<std::string>;

WatchOptions Options(const TempDir& dir) {
  WatchOptions options;
  options.root = dir.path();
  options.settle = 200ms;
  options.rescan = 60s;  // only tests about rescans rely on them
  return options;
}

std::string Canonical(const TempDir& dir) { return fs::canonical(dir.path()).string(); }

// Writes `content` with an mtime an hour ago: a file that has long settled.
void WriteOldFile(const std::string& path, const std::string& content = "id\n1\n") {
  WriteFile(path, content);
  fs::last_write_time(path, fs::file_time_type::clock::now() - 1h);
}

void Append(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << content;
}

// Everything Poll returns during `duration`, in order.
Paths PollFor(DirWatcher& watcher, Clock::duration duration) {
  Paths seen;
  const Clock::time_point end = Clock::now() + duration;
  for (Clock::time_point now; (now = Clock::now()) < end;) {
    auto got = watcher.Poll(std::chrono::ceil<std::chrono::milliseconds>(end - now));
    EXPECT_TRUE(got.has_value()) << got.error().ToString();
    if (got.has_value()) seen.insert(seen.end(), got->begin(), got->end());
  }
  return seen;
}

// Polls until `path` is returned; when it was, or nullopt after `limit`.
std::optional<Clock::time_point> PollUntil(DirWatcher& watcher, const std::string& path,
                                           Clock::duration limit) {
  const Clock::time_point end = Clock::now() + limit;
  for (Clock::time_point now; (now = Clock::now()) < end;) {
    auto got = watcher.Poll(std::chrono::ceil<std::chrono::milliseconds>(end - now));
    if (!got.has_value()) {
      ADD_FAILURE() << got.error().ToString();
      return std::nullopt;
    }
    for (const std::string& p : *got) {
      if (p == path) return Clock::now();
    }
  }
  return std::nullopt;
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

#define OPEN_WATCHER(var, options)                                          \
  auto var##_result = DirWatcher::Open(options);                            \
  ASSERT_TRUE(var##_result.has_value()) << var##_result.error().ToString(); \
  DirWatcher& var = **var##_result

TEST(DirWatcherTest, StartupScanReturnsSettledFilesOnce) {
  TempDir dir;
  WriteOldFile(dir / "b.json");
  WriteOldFile(dir / "a.csv");
  OPEN_WATCHER(watcher, Options(dir));
  EXPECT_EQ(watcher.unsettled(), 2u);

  auto first = watcher.Poll(0ms);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  const std::string root = Canonical(dir);
  EXPECT_EQ(*first, (Paths{root + "/a.csv", root + "/b.json"}));
  EXPECT_EQ(watcher.unsettled(), 0u);
  // Unchanged files are not returned again before the next rescan.
  EXPECT_EQ(PollFor(watcher, 300ms), Paths{});
}

TEST(DirWatcherTest, FreshFileAtStartupWaitsForSettleInOnePoll) {
  TempDir dir;
  WatchOptions options = Options(dir);
  options.settle = 400ms;
  WriteFile(dir / "fresh.csv", "id\n1\n");
  const Clock::time_point written = Clock::now();
  OPEN_WATCHER(watcher, options);

  auto now = watcher.Poll(0ms);
  ASSERT_TRUE(now.has_value());
  EXPECT_TRUE(now->empty());
  EXPECT_EQ(watcher.unsettled(), 1u);

  // One long Poll wakes for the due re-check instead of sleeping to its timeout.
  auto got = watcher.Poll(5000ms);
  const Clock::duration waited = Clock::now() - written;
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, Paths{Canonical(dir) + "/fresh.csv"});
  EXPECT_GE(waited, 380ms);  // mtime granularity may make the file look a little older
  EXPECT_LT(waited, 1500ms);
  EXPECT_EQ(watcher.unsettled(), 0u);
}

TEST(DirWatcherTest, WaitingForSettleDoesNotSpin) {
  TempDir dir;
  WatchOptions options = Options(dir);
  options.settle = 2s;
  WriteFile(dir / "fresh.csv", "id\n1\n");
  OPEN_WATCHER(watcher, options);
  const double cpu_before = CpuSeconds();
  const Clock::time_point start = Clock::now();
  auto got = watcher.Poll(600ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->empty());
  EXPECT_GE(Clock::now() - start, 590ms);
  EXPECT_LT(CpuSeconds() - cpu_before, 0.1);
  EXPECT_EQ(watcher.unsettled(), 1u);
}

TEST(DirWatcherTest, InotifyFindsNewFileAfterSettle) {
  TempDir dir;
  OPEN_WATCHER(watcher, Options(dir));
  ASSERT_EQ(PollFor(watcher, 50ms), Paths{});

  WriteFile(dir / "new.csv", "id\n1\n");
  const Clock::time_point written = Clock::now();
  auto at = PollUntil(watcher, Canonical(dir) + "/new.csv", 3s);
  ASSERT_TRUE(at.has_value()) << "new file never reported";
  EXPECT_GE(*at - written, 180ms);
  EXPECT_LT(*at - written, 1500ms);
}

TEST(DirWatcherTest, SlowWriterIsNotReturnedUntilItStops) {
  TempDir dir;
  WatchOptions options = Options(dir);
  options.settle = 400ms;
  OPEN_WATCHER(watcher, options);
  const std::string path = dir / "slow.csv";
  const std::string row = "0123456789\n";
  constexpr int kRows = 10;

  // Time just before the last append: the file's final mtime is not earlier.
  std::atomic<int64_t> last_append_ns{0};
  std::thread writer([&] {
    for (int i = 0; i < kRows; ++i) {
      last_append_ns = Clock::now().time_since_epoch().count();
      Append(path, row);
      std::this_thread::sleep_for(100ms);
    }
  });

  std::vector<std::pair<Clock::time_point, uintmax_t>> reported;  // when, size then
  const Clock::time_point end = Clock::now() + 2200ms;
  for (Clock::time_point now; (now = Clock::now()) < end;) {
    auto got = watcher.Poll(std::chrono::ceil<std::chrono::milliseconds>(end - now));
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    for (const std::string& p : *got) {
      EXPECT_EQ(p, Canonical(dir) + "/slow.csv");
      reported.emplace_back(Clock::now(), fs::file_size(path));
    }
  }
  writer.join();

  ASSERT_EQ(reported.size(), 1u);
  const Clock::time_point last_append{Clock::duration(last_append_ns.load())};
  EXPECT_GE(reported[0].first - last_append, 380ms);
  EXPECT_EQ(reported[0].second, row.size() * kRows);
}

TEST(DirWatcherTest, RenameIntoFolderIsReadyAtOnce) {
  TempDir dir;
  TempDir staging;
  WatchOptions options = Options(dir);
  options.settle = 5s;
  OPEN_WATCHER(watcher, options);

  WriteFile(staging / "moved.csv", "id\n1\n");
  WriteFile(dir / "inplace.csv.part", "id\n2\n");
  const Clock::time_point start = Clock::now();
  fs::rename(staging / "moved.csv", dir / "moved.csv");
  fs::rename(dir / "inplace.csv.part", dir / "inplace.csv");

  Paths seen;
  while (seen.size() < 2 && Clock::now() - start < 2s) {
    auto got = watcher.Poll(2000ms);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    seen.insert(seen.end(), got->begin(), got->end());
  }
  EXPECT_LT(Clock::now() - start, 1s);
  std::sort(seen.begin(), seen.end());
  const std::string root = Canonical(dir);
  EXPECT_EQ(seen, (Paths{root + "/inplace.csv", root + "/moved.csv"}));
}

TEST(DirWatcherTest, IgnoresHiddenAndPartialNames) {
  TempDir dir;
  for (const char* name : {".hidden.csv", "a.tmp", "b.csv.part", "c.crdownload", "d._COPYING_",
                           ".staging/e.csv", "ok.csv"}) {
    WriteOldFile(dir / name);
  }
  WatchOptions options = Options(dir);
  options.recursive = true;
  OPEN_WATCHER(watcher, options);
  const std::string root = Canonical(dir);
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{root + "/ok.csv"});

  WriteFile(dir / ".late.csv", "x");
  WriteFile(dir / "late.csv.tmp", "x");
  WriteFile(dir / ".staging/late.csv", "x");
  EXPECT_EQ(PollFor(watcher, 500ms), Paths{});
  EXPECT_EQ(watcher.unsettled(), 0u);

  EXPECT_TRUE(watcher.Accepts(root + "/ok.csv"));
  EXPECT_TRUE(watcher.Accepts(root + "/sub/other.csv"));
  EXPECT_FALSE(watcher.Accepts(root + "/a.tmp"));
  EXPECT_FALSE(watcher.Accepts(root + "/.hidden.csv"));
  EXPECT_FALSE(watcher.Accepts(root + "/.staging/e.csv"));
  EXPECT_FALSE(watcher.Accepts("/elsewhere/ok.csv"));
  EXPECT_FALSE(watcher.Accepts(root));
}

TEST(DirWatcherTest, IncludeAndExcludeGlobs) {
  TempDir dir;
  for (const char* name : {"a.csv", "a_bad.csv", "b.txt", "sub/c.csv", "json/d.json",
                           "other/e.json", "json/deep/f.json", "archive/g.csv"}) {
    WriteOldFile(dir / name);
  }
  WatchOptions options = Options(dir);
  options.recursive = true;
  options.include = {"*.csv", "json/*.json"};
  options.exclude = {"*_bad.csv", "archive/*"};
  OPEN_WATCHER(watcher, options);
  const std::string root = Canonical(dir);
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, (Paths{root + "/a.csv", root + "/json/d.json", root + "/sub/c.csv"}));

  EXPECT_TRUE(watcher.Accepts(root + "/x/y/z.csv"));
  EXPECT_FALSE(watcher.Accepts(root + "/x_bad.csv"));
  EXPECT_FALSE(watcher.Accepts(root + "/json/deep/f.json"));
  EXPECT_FALSE(watcher.Accepts(root + "/archive/new.csv"));
}

TEST(DirWatcherTest, NonRecursiveIgnoresSubdirectories) {
  TempDir dir;
  WriteOldFile(dir / "a.csv");
  WriteOldFile(dir / "sub/b.csv");
  OPEN_WATCHER(watcher, Options(dir));
  const std::string root = Canonical(dir);
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{root + "/a.csv"});

  WriteFile(dir / "sub2/c.csv", "x");
  WriteFile(dir / "sub/d.csv", "x");
  WriteFile(dir / "e.csv", "x");
  EXPECT_EQ(PollFor(watcher, 600ms), Paths{root + "/e.csv"});
  EXPECT_FALSE(watcher.Accepts(root + "/sub/b.csv"));
}

TEST(DirWatcherTest, RecursiveFollowsNewAndMovedDirectories) {
  TempDir dir;
  TempDir staging;
  WriteOldFile(dir / "a.csv");
  WriteOldFile(dir / "sub/b.csv");
  WriteOldFile(dir / "sub/deep/c.csv");
  WatchOptions options = Options(dir);
  options.recursive = true;
  OPEN_WATCHER(watcher, options);
  const std::string root = Canonical(dir);
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, (Paths{root + "/a.csv", root + "/sub/b.csv", root + "/sub/deep/c.csv"}));

  // Created right after the directory, possibly before its watch exists.
  WriteFile(dir / "new/inner/f.csv", "id\n1\n");
  EXPECT_TRUE(PollUntil(watcher, root + "/new/inner/f.csv", 3s).has_value());
  // Written later, through the new directory's own watch.
  WriteFile(dir / "new/inner/g.csv", "id\n1\n");
  EXPECT_TRUE(PollUntil(watcher, root + "/new/inner/g.csv", 3s).has_value());

  WriteOldFile(staging / "batch/h.csv");
  fs::rename(staging / "batch", dir / "batch");
  EXPECT_TRUE(PollUntil(watcher, root + "/batch/h.csv", 1s).has_value());

  // A directory moved away is forgotten; under its new name it is watched.
  fs::rename(dir / "sub", dir / "renamed");
  EXPECT_EQ(PollFor(watcher, 100ms),
            (Paths{root + "/renamed/b.csv", root + "/renamed/deep/c.csv"}));
  WriteFile(dir / "renamed/deep/i.csv", "x");
  EXPECT_EQ(PollFor(watcher, 600ms), Paths{root + "/renamed/deep/i.csv"});
}

TEST(DirWatcherTest, SymlinksFollowedOnlyInsideRoot) {
  TempDir dir;
  TempDir outside;
  WriteOldFile(dir / "sub/target.csv");
  WriteOldFile(outside / "secret.csv");
  fs::create_symlink(dir / "sub/target.csv", dir / "inside.csv");
  fs::create_symlink(outside / "secret.csv", dir / "outside.csv");
  fs::create_symlink(dir / "missing.csv", dir / "dangling.csv");
  fs::create_directory_symlink(outside.path(), dir / "outdir");
  OPEN_WATCHER(watcher, Options(dir));
  const std::string root = Canonical(dir);
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{root + "/inside.csv"});

  fs::create_symlink("sub/target.csv", dir / "relative.csv");
  fs::create_symlink(outside / "secret.csv", dir / "outside2.csv");
  EXPECT_EQ(PollFor(watcher, 400ms), Paths{root + "/relative.csv"});
  EXPECT_EQ(watcher.unsettled(), 0u);
}

TEST(DirWatcherTest, SkipDirsComparedCanonically) {
  TempDir dir;
  WriteOldFile(dir / "processed/p.csv");
  WriteOldFile(dir / "quarantine/q.csv");
  WriteOldFile(dir / "keep/k.csv");
  WatchOptions options = Options(dir);
  options.recursive = true;
  options.skip_dirs = {dir / "keep/../processed", dir / "quarantine/", dir / "later"};
  OPEN_WATCHER(watcher, options);
  const std::string root = Canonical(dir);
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{root + "/keep/k.csv"});

  // Archiving into a skip dir, and a skip dir that appears after start-up.
  fs::rename(dir / "keep/k.csv", dir / "processed/k.csv");
  WriteFile(dir / "processed/new.csv", "x");
  WriteFile(dir / "later/l.csv", "x");
  EXPECT_EQ(PollFor(watcher, 500ms), Paths{});

  EXPECT_FALSE(watcher.Accepts(root + "/processed/x.csv"));
  EXPECT_FALSE(watcher.Accepts(root + "/later/x.csv"));
  EXPECT_TRUE(watcher.Accepts(root + "/keep/x.csv"));
}

TEST(DirWatcherTest, PeriodicAndRequestedRescansRefindFiles) {
  TempDir dir;
  WriteOldFile(dir / "a.csv");
  WatchOptions options = Options(dir);
  options.rescan = 500ms;
  const Clock::time_point opened = Clock::now();
  OPEN_WATCHER(watcher, options);
  const std::string path = Canonical(dir) + "/a.csv";
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{path});

  EXPECT_EQ(PollFor(watcher, 300ms), Paths{});
  auto at = PollUntil(watcher, path, 2s);
  ASSERT_TRUE(at.has_value());
  EXPECT_GE(*at - opened, 490ms);

  watcher.RequestRescan();
  got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{path});
}

TEST(DirWatcherTest, ScanOnlyModeAsUsedBySluiceOnce) {
  TempDir dir;
  WriteFile(dir / "fresh.csv", "id\n1\n");
  WriteOldFile(dir / "old.csv");
  WatchOptions options = Options(dir);
  options.use_inotify = false;
  options.settle = 300ms;
  const Clock::time_point start = Clock::now();
  OPEN_WATCHER(watcher, options);

  Paths seen;
  for (;;) {
    auto got = watcher.Poll(100ms);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    seen.insert(seen.end(), got->begin(), got->end());
    if (got->empty() && watcher.unsettled() == 0) break;
    ASSERT_LT(Clock::now() - start, 3s);
  }
  const std::string root = Canonical(dir);
  EXPECT_EQ(seen, (Paths{root + "/old.csv", root + "/fresh.csv"}));
  EXPECT_GE(Clock::now() - start, 280ms);

  // Without inotify a new file waits for a rescan.
  WriteOldFile(dir / "new.csv");
  EXPECT_EQ(PollFor(watcher, 300ms), Paths{});
  watcher.RequestRescan();
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, (Paths{root + "/fresh.csv", root + "/new.csv", root + "/old.csv"}));
}

TEST(DirWatcherTest, FileChangedAfterReportIsReportedAgain) {
  TempDir dir;
  WriteOldFile(dir / "a.csv");
  OPEN_WATCHER(watcher, Options(dir));
  const std::string path = Canonical(dir) + "/a.csv";
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{path});

  Append(dir / "a.csv", "2\n");
  const Clock::time_point appended = Clock::now();
  auto at = PollUntil(watcher, path, 2s);
  ASSERT_TRUE(at.has_value());
  EXPECT_GE(*at - appended, 180ms);
}

TEST(DirWatcherTest, OpenErrors) {
  TempDir dir;
  WatchOptions options = Options(dir);
  options.root = dir / "missing";
  auto missing = DirWatcher::Open(options);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);

  WriteFile(dir / "file.csv", "x");
  options.root = dir / "file.csv";
  auto file = DirWatcher::Open(options);
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code(), StatusCode::kInvalidArgument);

  options = Options(dir);
  options.rescan = 0ms;
  auto bad_rescan = DirWatcher::Open(options);
  ASSERT_FALSE(bad_rescan.has_value());
  EXPECT_EQ(bad_rescan.error().code(), StatusCode::kInvalidArgument);
}

TEST(DirWatcherTest, RootRemovedIsUnavailableAndRecovers) {
  TempDir dir;
  fs::create_directory(dir / "landing");
  WatchOptions options = Options(dir);
  options.root = dir / "landing";
  OPEN_WATCHER(watcher, options);
  ASSERT_EQ(PollFor(watcher, 50ms), Paths{});

  fs::remove_all(dir / "landing");
  auto got = watcher.Poll(1000ms);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), StatusCode::kUnavailable);

  WriteOldFile(dir / "landing/back.csv");
  watcher.RequestRescan();
  got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, Paths{Canonical(dir) + "/landing/back.csv"});
  // Watched again: a new file is found by its events.
  WriteFile(dir / "landing/next.csv", "x");
  EXPECT_TRUE(PollUntil(watcher, Canonical(dir) + "/landing/next.csv", 2s).has_value());
}

// Issue 12, item 8: a landing folder renamed away is waited for. Every Poll
// says it is missing (none answers "nothing new" in between, which would read as
// "back"), and once it is back it is found without anyone asking for a rescan.
TEST(DirWatcherTest, MissingRootIsReportedUntilBackThenWatchedAgain) {
  TempDir dir;
  fs::create_directory(dir / "landing");
  WatchOptions options = Options(dir);
  options.root = dir / "landing";
  OPEN_WATCHER(watcher, options);
  ASSERT_EQ(PollFor(watcher, 50ms), Paths{});

  fs::rename(dir / "landing", dir / "away");
  for (int i = 0; i < 4; ++i) {
    auto got = watcher.Poll(300ms);
    ASSERT_FALSE(got.has_value()) << "poll " << i << " after the rename";
    EXPECT_EQ(got.error().code(), StatusCode::kUnavailable);
    EXPECT_NE(got.error().message().find("is missing"), std::string::npos)
        << got.error().ToString();
  }

  fs::rename(dir / "away", dir / "landing");
  WriteOldFile(dir / "landing/back.csv");
  const std::string back = Canonical(dir) + "/landing/back.csv";
  bool found = false;
  for (const Clock::time_point end = Clock::now() + 5s; !found && Clock::now() < end;) {
    auto got = watcher.Poll(200ms);
    if (got.has_value()) found = std::find(got->begin(), got->end(), back) != got->end();
  }
  EXPECT_TRUE(found) << "the folder came back but its file was not found";
  // Watched again: a new file is found by its events.
  WriteFile(dir / "landing/next.csv", "x");
  EXPECT_TRUE(PollUntil(watcher, Canonical(dir) + "/landing/next.csv", 2s).has_value());
}

// Issue 12, item 8: at the inotify watch limit (simulated by max_watches; the
// kernel's ENOSPC takes the same path) the watcher does not fail: directories
// without a watch are rescanned, and it says so.
TEST(DirWatcherTest, WatchLimitFallsBackToRescans) {
  TempDir dir;
  for (const char* sub : {"a", "b", "c"}) fs::create_directory(dir / sub);
  WatchOptions options = Options(dir);
  options.recursive = true;
  options.rescan = 300ms;
  options.max_watches = 2;  // the root and one sub-directory
  OPEN_WATCHER(watcher, options);
  ASSERT_EQ(PollFor(watcher, 50ms), Paths{});
  EXPECT_EQ(watcher.unwatched_dirs(), 2u);
  Status status = watcher.watch_status();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("max_user_watches"), std::string::npos) << status.ToString();

  // Whichever sub-directories went without a watch, files in all of them load.
  for (const char* sub : {"a", "b", "c"}) {
    const std::string path = dir / (std::string(sub) + "/late.csv");
    WriteOldFile(path);
    EXPECT_TRUE(PollUntil(watcher, Canonical(dir) + "/" + sub + "/late.csv", 5s).has_value())
        << path;
  }
  // A directory made later, beyond the limit, is rescanned too.
  WriteOldFile(dir / "d/new.csv");
  EXPECT_TRUE(PollUntil(watcher, Canonical(dir) + "/d/new.csv", 5s).has_value());
  EXPECT_EQ(watcher.unwatched_dirs(), 3u);
}

// Scan-only mode (sluice once) is not "unwatched": nothing was asked for.
TEST(DirWatcherTest, ScanOnlyModeReportsNoUnwatchedDirs) {
  TempDir dir;
  fs::create_directory(dir / "a");
  WatchOptions options = Options(dir);
  options.recursive = true;
  options.use_inotify = false;
  OPEN_WATCHER(watcher, options);
  EXPECT_EQ(watcher.unwatched_dirs(), 0u);
  EXPECT_TRUE(watcher.watch_status().ok());
}

TEST(DirWatcherTest, RootGivenThroughSymlinkReportsCanonicalPaths) {
  TempDir dir;
  WriteOldFile(dir / "real/a.csv");
  fs::create_directory_symlink(dir / "real", dir / "alias");
  WatchOptions options = Options(dir);
  options.root = dir / "alias";
  OPEN_WATCHER(watcher, options);
  auto got = watcher.Poll(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Paths{Canonical(dir) + "/real/a.csv"});
  EXPECT_TRUE(watcher.Accepts(dir / "alias/b.csv"));
  EXPECT_TRUE(watcher.Accepts(Canonical(dir) + "/real/b.csv"));
}

}  // namespace
}  // namespace sluice

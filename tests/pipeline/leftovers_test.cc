// SettleLeftovers: entries left under a pending name by a stop in the middle of
// an archive or a removal are removed or finished when the ledger knows their
// content, and otherwise put back to be loaded once.
#include "pipeline/leftovers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "file_loader_fixture.h"
#include "pipeline/archive.h"

namespace fs = std::filesystem;

namespace sluice::testing {
namespace {

constexpr char kNewcomer[] = "id,name\n3,c\n";
// The mark of an archive folder searched once for earlier versions' names.
constexpr char kSearchedMark[] = "earlier-names-settled";

// The entries of `dir` (not recursive), sorted.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class LeftoversTest : public FileLoaderTest {
 protected:
  // Loads kOrders as in/orders.csv (archived to processed/orders.csv).
  void LoadOrders() {
    ASSERT_EQ(ProcessOne(Land("orders.csv", kOrders)).outcome, FileOutcome::kLoaded);
    ASSERT_EQ(sink_->Rows("orders").size(), 2u);
  }
  Result<LeftoversSettled> Settle(int64_t skip_pid = 0) {
    return SettleLeftovers(config_.source, {config_.processed, config_.quarantine}, *ledger_,
                           skip_pid);
  }
  std::string In(const std::string& name) { return config_.source + "/" + name; }
};

TEST_F(LeftoversTest, ARemovalLeftoverOfLoadedContentIsRemoved) {
  LoadOrders();
  // As a stop between DeleteLanded's rename and its unlink leaves it.
  WriteFile(In(".sluice-removing-999-0-orders.csv"), kOrders);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->removed, 1u);
  EXPECT_EQ(settled->restored, 0u);
  EXPECT_EQ(Entries(config_.source), std::vector<std::string>{});
  EXPECT_EQ(sink_->Rows("orders").size(), 2u);
}

TEST_F(LeftoversTest, ARemovalLeftoverThatIsANewcomerIsPutBackAndLoadedOnce) {
  LoadOrders();
  // A file swapped in under the loaded one's name as it was being removed.
  WriteFile(In(".sluice-removing-999-1-orders.csv"), kNewcomer);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored, 1u);
  EXPECT_EQ(Entries(config_.source), std::vector<std::string>{"orders.csv"});
  EXPECT_EQ(ReadFile(In("orders.csv")), kNewcomer);
  EXPECT_EQ(ProcessOne(In("orders.csv")).outcome, FileOutcome::kLoaded);
  EXPECT_EQ(sink_->Rows("orders").size(), 3u);
  // Settled once: nothing is left to settle or load again.
  auto again = Settle();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->restored + again->removed + again->archived, 0u);
  EXPECT_EQ(Entries(config_.source), std::vector<std::string>{});
}

TEST_F(LeftoversTest, APutBackNeverOverwritesAFileThatTookTheName) {
  LoadOrders();
  WriteFile(In(".sluice-removing-999-1-orders.csv"), kNewcomer);
  Land("orders.csv", "id,name\n4,d\n");
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(Entries(config_.source), (std::vector<std::string>{"orders.1.csv", "orders.csv"}));
  EXPECT_EQ(ReadFile(In("orders.1.csv")), kNewcomer);
  EXPECT_EQ(ReadFile(In("orders.csv")), "id,name\n4,d\n");
}

TEST_F(LeftoversTest, AnArchiveLeftoverOfLoadedContentIsArchived) {
  LoadOrders();
  // As a stop between ArchiveLanded's two renames leaves it (processed/orders.csv
  // is another copy's archive).
  WriteFile(Processed(".sluice-archiving-999-2-orders.csv"), kOrders);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->archived, 1u);
  EXPECT_EQ(Entries(config_.processed),
            (std::vector<std::string>{kPendingFolder, "orders.1.csv", "orders.csv"}));
  EXPECT_EQ(ReadFile(Processed("orders.1.csv")), kOrders);
  EXPECT_EQ(Entries(config_.source), std::vector<std::string>{});
  EXPECT_EQ(sink_->Rows("orders").size(), 2u);
}

TEST_F(LeftoversTest, AnArchiveLeftoverThatIsANewcomerGoesBackToItsFolderAndIsLoadedOnce) {
  LoadOrders();
  fs::create_directories(In("sub"));
  fs::create_directories(Processed("sub"));
  WriteFile(Processed("sub/.sluice-archiving-999-3-orders.csv"), kNewcomer);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored, 1u);
  EXPECT_EQ(Entries(Processed("sub")), std::vector<std::string>{});
  EXPECT_EQ(ReadFile(In("sub/orders.csv")), kNewcomer);
  EXPECT_EQ(ProcessOne(In("sub/orders.csv")).outcome, FileOutcome::kLoaded);
  EXPECT_EQ(sink_->Rows("orders").size(), 3u);
}

TEST_F(LeftoversTest, AnArchiveLeftoverWhoseFolderIsGoneGoesToTheTop) {
  fs::create_directories(Processed("gone"));
  WriteFile(Processed("gone/.sluice-archiving-999-4-new.csv"), kNewcomer);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored, 1u);
  EXPECT_EQ(ReadFile(In("new.csv")), kNewcomer);
}

TEST_F(LeftoversTest, AQuarantineLeftoverOfRefusedContentStaysInQuarantine) {
  const std::string bad = "id,name\n1,a\nx,b\ny,c\n";
  config_.defaults.schema =
      Schema{{{"id", ColumnType::kInteger, false, {}}, {"name", ColumnType::kString, true, {}}}};
  config_.defaults.max_rejects = 1;
  ASSERT_EQ(ProcessOne(Land("bad.csv", bad)).outcome, FileOutcome::kQuarantined);
  // Another copy of the refused bytes, caught between the two renames of its move.
  WriteFile(Quarantined(".sluice-archiving-999-5-bad.csv"), bad);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->archived, 1u);
  EXPECT_EQ(ReadFile(Quarantined("bad.1.csv")), bad);
  EXPECT_EQ(Entries(config_.source), std::vector<std::string>{});
}

TEST_F(LeftoversTest, ALinkLeadingOutsideIsPutBackUnread) {
  const std::string outside = dir_ / "outside.csv";
  WriteFile(outside, kOrders);
  LoadOrders();  // the same bytes are loaded: still, they are never read through the link
  fs::create_symlink(outside, In(".sluice-removing-999-6-link.csv"));
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored, 1u);
  EXPECT_TRUE(fs::is_symlink(In("link.csv")));
  EXPECT_EQ(fs::read_symlink(In("link.csv")), outside);
  EXPECT_EQ(ReadFile(outside), kOrders);
}

TEST_F(LeftoversTest, ALinkedFolderIsNotEntered) {
  const std::string outside = dir_ / "elsewhere";
  fs::create_directories(outside);
  WriteFile(outside + "/.sluice-removing-999-7-x.csv", kNewcomer);
  fs::create_directory_symlink(outside, In("linked"));
  fs::create_directory_symlink(outside, Processed("linked"));
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored + settled->removed + settled->archived + settled->failed, 0u);
  EXPECT_EQ(Entries(outside), std::vector<std::string>{".sluice-removing-999-7-x.csv"});
}

TEST_F(LeftoversTest, OtherNamesAndRunningWorkersNamesAreLeftAlone) {
  WriteFile(In(".sluice-removing-999-7"), kNewcomer);  // an earlier version's, a worker's
  WriteFile(In(".hidden.csv"), kNewcomer);
  WriteFile(In(".sluice-removing-999-8-mine.csv"), kNewcomer);
  fs::create_directories(In(".sluice-removing-999-9-dir.csv"));
  fs::create_directories(In(".hidden"));
  WriteFile(In(".hidden/.sluice-removing-999-10-deep.csv"), kNewcomer);
  auto settled = Settle(/*skip_pid=*/999);
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored + settled->removed + settled->archived + settled->failed, 0u);
  EXPECT_EQ(Entries(config_.source),
            (std::vector<std::string>{".hidden", ".hidden.csv", ".sluice-removing-999-7",
                                      ".sluice-removing-999-8-mine.csv",
                                      ".sluice-removing-999-9-dir.csv"}));
}

TEST_F(LeftoversTest, DeleteAndArchiveLeaveNoPendingName) {
  ASSERT_EQ(ProcessOne(Land("a.csv", kOrders)).outcome, FileOutcome::kLoaded);
  config_.defaults.after_load = AfterLoad::kDelete;
  ASSERT_EQ(ProcessOne(Land("b.csv", kNewcomer)).outcome, FileOutcome::kLoaded);
  EXPECT_EQ(Entries(config_.source), std::vector<std::string>{});
  EXPECT_EQ(Entries(config_.processed), (std::vector<std::string>{kPendingFolder, "a.csv"}));
  EXPECT_EQ(Entries(Processed(kPendingFolder)), std::vector<std::string>{});
}

// A stop between ArchiveLanded's two renames now leaves the entry in the archive
// folder's pending folder, under a name recording its whole relative path.
TEST_F(LeftoversTest, APendingFolderLeftoverOfLoadedContentIsArchivedAtItsPath) {
  fs::create_directories(In("sub"));
  ASSERT_EQ(ProcessOne(Land("sub/orders.csv", kOrders)).outcome, FileOutcome::kLoaded);
  WriteFile(Processed(std::string(kPendingFolder) + "/.sluice-archiving-999-2-sub%2Forders.csv"),
            kOrders);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->archived, 1u);
  EXPECT_EQ(Entries(Processed("sub")), (std::vector<std::string>{"orders.1.csv", "orders.csv"}));
  EXPECT_EQ(ReadFile(Processed("sub/orders.1.csv")), kOrders);
  EXPECT_EQ(Entries(Processed(kPendingFolder)), std::vector<std::string>{kSearchedMark});
  EXPECT_EQ(Entries(In("sub")), std::vector<std::string>{});
}

TEST_F(LeftoversTest, APendingFolderNewcomerGoesBackToItsFolderAndIsLoadedOnce) {
  LoadOrders();
  fs::create_directories(In("a%b/c"));
  WriteFile(Quarantined(std::string(kPendingFolder) + "/.sluice-archiving-999-3-a%25b%2Fc%2Fn.csv"),
            kNewcomer);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored, 1u);
  EXPECT_EQ(ReadFile(In("a%b/c/n.csv")), kNewcomer);
  EXPECT_EQ(ProcessOne(In("a%b/c/n.csv")).outcome, FileOutcome::kLoaded);
  auto again = Settle();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->restored + again->removed + again->archived + again->failed, 0u);
}

TEST_F(LeftoversTest, ArchiveLandedRecordsThePathInThePendingName) {
  const std::string pending = PendingName(PendingKind::kArchiving, "2026/11/a%b.csv");
  auto parsed = ParsePendingName(pending);
  ASSERT_TRUE(parsed.has_value()) << pending;
  EXPECT_EQ(parsed->name.find('/'), std::string::npos) << pending;
  EXPECT_EQ(PendingPath(parsed->name), "2026/11/a%b.csv");
  // Too deep to record: the base name, put back at the top.
  const std::string deep = std::string(300, 'd') + "/x.csv";
  auto shortened = ParsePendingName(PendingName(PendingKind::kArchiving, deep));
  ASSERT_TRUE(shortened.has_value());
  EXPECT_EQ(PendingPath(shortened->name), "x.csv");
  for (const char* hostile : {"..%2Fx.csv", "%2Fetc%2Fx", "a%2F%2Fb", "a%2F", "a%2F.%2Fb", ".."}) {
    EXPECT_FALSE(PendingPath(hostile).has_value()) << hostile;
  }
}

TEST_F(LeftoversTest, AHostilePendingFolderIsNotFollowed) {
  const std::string outside = dir_ / "elsewhere";
  fs::create_directories(outside);
  WriteFile(outside + "/.sluice-archiving-999-1-x.csv", kNewcomer);
  fs::create_directories(config_.processed);
  fs::create_directory_symlink(outside, Processed(kPendingFolder));
  fs::create_directories(Quarantined(kPendingFolder));
  WriteFile(Quarantined(std::string(kPendingFolder) + "/.sluice-archiving-999-2-..%2Fy.csv"),
            kNewcomer);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->restored + settled->removed + settled->archived, 0u);
  EXPECT_EQ(Entries(outside), std::vector<std::string>{".sluice-archiving-999-1-x.csv"});
  EXPECT_EQ(Entries(config_.source), std::vector<std::string>{});
}

// The archive may hold millions of files: once searched for earlier versions'
// names, a start reads only its pending folder.
TEST_F(LeftoversTest, OnceSearchedTheArchiveFoldersAreNotWalkedAgain) {
  LoadOrders();
  auto first = Settle();
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_TRUE(fs::is_directory(Processed(std::string(kPendingFolder) + "/" + kSearchedMark)));
  fs::create_directories(Processed("sub"));
  WriteFile(Processed("sub/.sluice-archiving-999-2-orders.csv"), kOrders);
  WriteFile(Processed(std::string(kPendingFolder) + "/.sluice-archiving-999-3-orders.csv"),
            kOrders);
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->archived, 1u);
  EXPECT_EQ(ReadFile(Processed("orders.1.csv")), kOrders);
  EXPECT_EQ(Entries(Processed("sub")),
            std::vector<std::string>{".sluice-archiving-999-2-orders.csv"});
}

TEST_F(LeftoversTest, UnpublishedArchiveFilesAreRemoved) {
  fs::create_directories(Processed(kPendingFolder));
  fs::create_directories(Processed("sub"));
  WriteFile(Processed(std::string(kPendingFolder) + "/.orders.parquet.sluice-tmp-999-0"), "PAR1");
  WriteFile(Processed(std::string(kPendingFolder) + "/.mine.parquet.sluice-tmp-998-0"), "PAR1");
  // An earlier version wrote them beside the final name.
  WriteFile(Processed("sub/.orders.parquet.sluice-tmp-999-1"), "PAR1");
  WriteFile(Processed("sub/orders.parquet"), "PAR1");
  auto settled = Settle(/*skip_pid=*/998);
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->removed, 2u);
  EXPECT_EQ(Entries(Processed(kPendingFolder)),
            (std::vector<std::string>{".mine.parquet.sluice-tmp-998-0", kSearchedMark}));
  EXPECT_EQ(Entries(Processed("sub")), std::vector<std::string>{"orders.parquet"});
}

TEST_F(LeftoversTest, AnEarlierVersionsRemovalNameIsRemovedOrPutBack) {
  LoadOrders();
  fs::create_directories(In("sub"));
  WriteFile(In("sub/.sluice-removing-998-1"), kOrders);  // loaded content
  WriteFile(In(".sluice-removing-998-2"), kNewcomer);    // never loaded
  auto settled = Settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().ToString();
  EXPECT_EQ(settled->removed, 1u);
  EXPECT_EQ(settled->restored, 1u);
  EXPECT_EQ(Entries(In("sub")), std::vector<std::string>{});
  EXPECT_EQ(Entries(config_.source), (std::vector<std::string>{"recovered-998-2", "sub"}));
  EXPECT_EQ(ReadFile(In("recovered-998-2")), kNewcomer);
}

TEST(PendingNameTest, RecordsTheOriginalNameAndParsesBack) {
  const std::string removing = PendingName(PendingKind::kRemoving, "orders 1.csv.gz");
  EXPECT_TRUE(removing.starts_with(".sluice-removing-" + std::to_string(getpid()) + "-"));
  auto parsed = ParsePendingName(removing);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->kind, PendingKind::kRemoving);
  EXPECT_EQ(parsed->pid, getpid());
  EXPECT_EQ(parsed->name, "orders 1.csv.gz");
  auto archiving = ParsePendingName(PendingName(PendingKind::kArchiving, "-1-x"));
  ASSERT_TRUE(archiving.has_value());
  EXPECT_EQ(archiving->kind, PendingKind::kArchiving);
  EXPECT_EQ(archiving->name, "-1-x");
  EXPECT_NE(PendingName(PendingKind::kRemoving, "a"), PendingName(PendingKind::kRemoving, "a"));
}

TEST(PendingNameTest, ALongNameIsShortenedKeepingItsExtensions) {
  const std::string long_name = std::string(250, 'x') + ".csv.gz";
  const std::string pending = PendingName(PendingKind::kArchiving, long_name);
  EXPECT_EQ(pending.size(), size_t{NAME_MAX});
  auto parsed = ParsePendingName(pending);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->name.ends_with("x.csv.gz")) << parsed->name;
  EXPECT_TRUE(parsed->name.starts_with("xxx")) << parsed->name;
  const std::string dots = "a" + std::string(250, '.');
  EXPECT_LE(PendingName(PendingKind::kRemoving, dots).size(), size_t{NAME_MAX});
}

TEST(PendingNameTest, OtherNamesAreNotPending) {
  for (const char* name :
       {".sluice-removing-12-3", ".sluice-removing-12-3-", ".sluice-removing-x-3-a.csv",
        ".sluice-removing--3-a.csv", ".sluice-archiving-1-2-..", ".sluice-archiving-1-2-.",
        ".orders.parquet.sluice-tmp-1-2", "a.csv", ".sluice-removing-99999999999999999999-1-a"}) {
    EXPECT_FALSE(ParsePendingName(name).has_value()) << name;
  }
}

}  // namespace
}  // namespace sluice::testing

// FileLoaderTest: a real FileLoader with a real Ledger (an SQLite file), real
// landing, processed and quarantine folders, and a FakeSink that fails, throws
// or loses answers on demand.
#include "pipeline/file_loader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fake_sink.h"
#include "file_loader_fixture.h"
#include "source/landed_file.h"
#include "test_util.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Exists;
using testing::FakeCall;
using testing::FakeSink;
using testing::FileLoaderTest;
using testing::kOrders;

TEST_F(FileLoaderTest, LoadsAFileAndArchivesIt) {
  const std::string path = Land("orders.csv", kOrders);
  const std::string hash = Hash("orders.csv");
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(r.table, "orders");
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "2|b"}));
  EXPECT_EQ(sink_->Table("orders")->columns[0].type, ColumnType::kInteger);
  EXPECT_EQ(sink_->Commits(hash), 1);
  ExpectLoaded("orders.csv");
  EXPECT_EQ(Record("orders.csv")->rows_loaded, 2u);
  EXPECT_EQ(sink_->CallLog(), "is_committed describe ensure describe begin(1) write(0) commit");
}

TEST_F(FileLoaderTest, SkipsContentLoadedBeforeUnderAnotherName) {
  ASSERT_EQ(ProcessOne(Land("orders_1.csv", kOrders)).outcome, FileOutcome::kLoaded);
  FileResult r = ProcessOne(Land("orders_2.csv", kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kDuplicate);
  EXPECT_EQ(sink_->Rows("orders").size(), 2u);
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);
  EXPECT_EQ(Record("orders_2.csv")->state, FileState::kDuplicate);
  EXPECT_TRUE(Exists(Processed("orders_2.csv")));
}

class FileLoaderRejectsTest : public FileLoaderTest {
 protected:
  FileLoaderRejectsTest() {
    config_.defaults.schema =
        Schema{{{"id", ColumnType::kInteger, false, {}}, {"name", ColumnType::kString, true, {}}}};
    config_.defaults.max_rejects = 1;
  }
};

TEST_F(FileLoaderRejectsTest, BadRowsWithinTheThresholdLoadWithARejectsFile) {
  FileResult r = ProcessOne(Land("orders.csv", "id,name\n1,a\nx,b\n3,c\n"));
  EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "3|c"}));
  ExpectLoaded("orders.csv");
  const std::string rejects = testing::ReadFile(Quarantined("orders.csv.rejects.jsonl"));
  const auto line = nlohmann::json::parse(rejects.substr(0, rejects.find('\n')));
  EXPECT_EQ(line["line"], 3);
  EXPECT_EQ(line["column"], "id");
  EXPECT_EQ(Record("orders.csv")->rejects_file, Quarantined("orders.csv.rejects.jsonl"));
}

// A group's members record their own rejects files with their outcomes.
TEST_F(FileLoaderRejectsTest, AGroupsMembersRecordTheirOwnRejectsFiles) {
  std::vector<std::string> paths = {Land("orders_1.csv", "id,name\n1,a\nx,b\n"),
                                    Land("orders_2.csv", "id,name\n2,b\n"),
                                    Land("orders_3.csv", "id,name\ny,c\n3,c\n")};
  for (const FileResult& r : Process(paths)) {
    EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  }
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);
  EXPECT_EQ(Record("orders_1.csv")->rejects_file, Quarantined("orders_1.csv.rejects.jsonl"));
  EXPECT_EQ(Record("orders_2.csv")->rejects_file, "");
  EXPECT_EQ(Record("orders_3.csv")->rejects_file, Quarantined("orders_3.csv.rejects.jsonl"));
  EXPECT_TRUE(Exists(Quarantined("orders_3.csv.rejects.jsonl")));
}

TEST_F(FileLoaderRejectsTest, BadRowsPastTheThresholdQuarantineTheFileWithAReport) {
  FileResult r = ProcessOne(Land("orders.csv", "id,name\n1,a\nx,b\ny,c\n"));
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_EQ(r.error.code(), StatusCode::kInvalidData);
  EXPECT_TRUE(sink_->Rows("orders").empty());
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 0);
  EXPECT_EQ(Record("orders.csv")->state, FileState::kQuarantined);
  EXPECT_TRUE(Exists(Quarantined("orders.csv")));
  EXPECT_FALSE(Exists(config_.source + "/orders.csv"));
  const auto report =
      nlohmann::json::parse(testing::ReadFile(Quarantined("orders.csv.error.json")));
  EXPECT_EQ(report["rows_rejected"], 2);
  EXPECT_EQ(report["rejects_file"], Quarantined("orders.csv.rejects.jsonl"));
  EXPECT_EQ(report["errors"].size(), 2u);
  EXPECT_EQ(Record("orders.csv")->rejects_file, Quarantined("orders.csv.rejects.jsonl"));
}

// The sink calls a load of kOrders makes (Abort and Ping only on failures).
const auto kEachCall =
    ::testing::Values(FakeCall::kIsCommitted, FakeCall::kDescribe, FakeCall::kEnsure,
                      FakeCall::kAddColumns, FakeCall::kBegin, FakeCall::kWrite, FakeCall::kCommit);
std::string CallName(const ::testing::TestParamInfo<FakeCall>& info) {
  return std::string(FakeCallName(info.param));
}

// A transient fault (a lost connection: Unavailable) at one call is retried and
// the file loads, once.
class FileLoaderTransientTest : public FileLoaderTest,
                                public ::testing::WithParamInterface<FakeCall> {};

TEST_P(FileLoaderTransientTest, IsRetriedThenLoaded) {
  const FakeCall call = GetParam();
  Reach(call);
  sink_->Fail(call, Status::Unavailable("fake: connection lost"));
  FileResult r = ProcessOne(Land("orders.csv", kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString() << "\n" << sink_->CallLog();
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "2|b"}));
  ExpectLoaded("orders.csv");
  EXPECT_NE(sink_->CallLog().find('!'), std::string::npos) << sink_->CallLog();
  if (call != FakeCall::kIsCommitted) {  // its failure only skips a shortcut
    EXPECT_GE(sink_->Count(call), 2) << sink_->CallLog();
    const bool began =
        call == FakeCall::kBegin || call == FakeCall::kWrite || call == FakeCall::kCommit;
    EXPECT_EQ(sink_->Count(FakeCall::kBegin), began ? 2 : 1) << sink_->CallLog();
  }
}

INSTANTIATE_TEST_SUITE_P(EachCall, FileLoaderTransientTest, kEachCall, CallName);

// A sink that throws (a driver's exception, a bug) fails that file alone: it is
// quarantined with the exception as its reason, and the next file loads.
class FileLoaderThrowTest : public FileLoaderTest,
                            public ::testing::WithParamInterface<FakeCall> {};

TEST_P(FileLoaderThrowTest, IsContainedAndTheNextFileLoads) {
  const FakeCall call = GetParam();
  Reach(call);
  sink_->Throw(call);
  FileResult r = ProcessOne(Land("orders.csv", kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined) << sink_->CallLog();
  EXPECT_EQ(r.error.code(), StatusCode::kInternal);
  EXPECT_NE(r.error.message().find("fake: thrown from"), std::string::npos) << r.error.message();
  EXPECT_EQ(Record("orders.csv")->state, FileState::kQuarantined);
  EXPECT_TRUE(Exists(Quarantined("orders.csv.error.json")));

  FileResult next = ProcessOne(Land("orders_2.csv", "id,name\n3,c\n"));
  EXPECT_EQ(next.outcome, FileOutcome::kLoaded) << next.error.ToString();
  EXPECT_EQ(sink_->Rows("orders").back(), "3|c");
}

INSTANTIATE_TEST_SUITE_P(EachCall, FileLoaderThrowTest, kEachCall, CallName);

TEST_F(FileLoaderTest, TransientFailurePastTheBudgetLeavesTheFilePending) {
  config_.retry_budget = 200ms;
  sink_->Fail(FakeCall::kBegin, Status::Unavailable("fake: connection lost"), -1);
  FileResult r = ProcessOne(Land("orders.csv", kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kRetryLater);
  EXPECT_EQ(r.error.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(r.sink_down);  // the sink answers a ping: only this load failed
  EXPECT_GE(sink_->Count(FakeCall::kBegin), 2);
  EXPECT_TRUE(sink_->Rows("orders").empty());
  ExpectPending("orders.csv");
}

TEST_F(FileLoaderTest, EachFailedAttemptIsCountedInTheLedgerAndReported) {
  config_.retry_budget = 200ms;
  sink_->Fail(FakeCall::kBegin, Status::Unavailable("fake: connection lost"), -1);
  const std::string path = Land("orders.csv", kOrders);
  EXPECT_EQ(ProcessOne(path).attempts, 1);
  // The next try of the pending file continues its count: the engine's retry
  // delay and `once`'s giving up go by it.
  FileResult again = ProcessOne(path);
  EXPECT_EQ(again.outcome, FileOutcome::kRetryLater);
  EXPECT_EQ(again.attempts, 2);
  ExpectPending("orders.csv");
}

TEST_F(FileLoaderTest, TransientFailurePastTheBudgetWithoutAPingIsTheSinkDown) {
  config_.retry_budget = 200ms;
  sink_->Fail(FakeCall::kBegin, Status::Unavailable("fake: connection lost"), -1);
  sink_->Fail(FakeCall::kPing, Status::Unavailable("fake: connection refused"), -1);
  FileResult r = ProcessOne(Land("orders.csv", kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kRetryLater);
  EXPECT_TRUE(r.sink_down);
  ExpectPending("orders.csv");
}

TEST_F(FileLoaderTest, PermissionDeniedIsTheSinkDownNotTheFile) {
  sink_->Fail(FakeCall::kBegin, Status::PermissionDenied("fake: password authentication failed"));
  FileResult r = ProcessOne(Land("orders.csv", kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kRetryLater);
  EXPECT_TRUE(r.sink_down);
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);  // not retried
  ExpectPending("orders.csv");
}

TEST_F(FileLoaderTest, PermanentFailureAtCommitQuarantinesTheFile) {
  sink_->Fail(FakeCall::kCommit, Status::InvalidData("fake: value out of range"));
  const std::string path = Land("orders.csv", kOrders);
  const std::string hash = Hash("orders.csv");
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_EQ(r.error.message(), "fake: value out of range");
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 1);  // not retried
  EXPECT_EQ(sink_->Commits(hash), 0);
  EXPECT_EQ(Record("orders.csv")->state, FileState::kQuarantined);
  const auto report =
      nlohmann::json::parse(testing::ReadFile(Quarantined("orders.csv.error.json")));
  EXPECT_EQ(report["reason"], "fake: value out of range");
  EXPECT_EQ(report["hash"], hash);
}

TEST_F(FileLoaderTest, AGroupLoadsInOneSinkTransactionAndOneLedgerRecord) {
  std::vector<std::string> paths = {Land("orders_1.csv", "id,name\n1,a\n"),
                                    Land("orders_2.csv", "id,name\n2,b\n"),
                                    Land("orders_3.csv", "id,name\n3,c\n")};
  std::vector<FileResult> results = Process(paths);
  for (const FileResult& r : results) {
    EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
    EXPECT_EQ(r.rows, 1u);
  }
  EXPECT_EQ(sink_->CallLog(),
            "describe ensure describe begin(3) write(0) write(1) write(2) commit");
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "2|b", "3|c"}));
  for (const char* name : {"orders_1.csv", "orders_2.csv", "orders_3.csv"}) ExpectLoaded(name);
}

TEST_F(FileLoaderTest, GroupsTakeNoMoreLoadsThanTheSinkAsks) {
  sink_->LimitGroups(2);
  std::vector<std::string> paths;
  for (int i = 1; i <= 5; ++i) {
    paths.push_back(
        Land("orders_" + std::to_string(i) + ".csv", "id,name\n" + std::to_string(i) + ",x\n"));
  }
  for (const FileResult& r : Process(paths)) {
    EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  }
  // Two groups of two, and the fifth file alone.
  const std::string log = sink_->CallLog();
  std::vector<std::string> begins;
  for (size_t at = log.find("begin("); at != std::string::npos; at = log.find("begin(", at + 1)) {
    begins.push_back(log.substr(at, log.find(')', at) - at + 1));
  }
  EXPECT_EQ(begins, (std::vector<std::string>{"begin(2)", "begin(2)", "begin(1)"})) << log;
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|x", "2|x", "3|x", "4|x", "5|x"}));
}

TEST_F(FileLoaderTest, AGroupWithABadMemberLoadsTheOthersAndQuarantinesItAlone) {
  std::vector<std::string> paths = {Land("orders_1.csv", "id,name\n1,a\n"),
                                    Land("orders_2.csv", "id,name\n2,b\n"),
                                    Land("orders_3.csv", "id,name\n3,c\n")};
  sink_->Fail(FakeCall::kWrite, Status::InvalidData("fake: refused"), -1, 0, paths[1]);
  std::vector<FileResult> results = Process(paths);
  EXPECT_EQ(results[0].outcome, FileOutcome::kLoaded);
  EXPECT_EQ(results[1].outcome, FileOutcome::kQuarantined);
  EXPECT_EQ(results[1].error.message(), "fake: refused");
  EXPECT_EQ(results[2].outcome, FileOutcome::kLoaded);
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "3|c"}));
  ExpectLoaded("orders_1.csv");
  ExpectLoaded("orders_3.csv");
  EXPECT_EQ(Record("orders_2.csv")->state, FileState::kQuarantined);
  EXPECT_TRUE(Exists(Quarantined("orders_2.csv.error.json")));
  EXPECT_FALSE(Exists(Quarantined("orders_1.csv.error.json")));
  // The group, rolled back, then each file alone.
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 4);
  EXPECT_NE(
      sink_->CallLog().find("begin(3) write(0) write(1)! abort is_committed describe begin(1)"),
      std::string::npos)
      << sink_->CallLog();
}

TEST_F(FileLoaderTest, AGroupThatThrowsLoadsEachFileAlone) {
  std::vector<std::string> paths = {Land("orders_1.csv", "id,name\n1,a\n"),
                                    Land("orders_2.csv", "id,name\n2,b\n")};
  sink_->Throw(FakeCall::kWrite, 1, 1);  // the group's second write only
  std::vector<FileResult> results = Process(paths);
  EXPECT_EQ(results[0].outcome, FileOutcome::kLoaded) << results[0].error.ToString();
  EXPECT_EQ(results[1].outcome, FileOutcome::kLoaded) << results[1].error.ToString();
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "2|b"}));
}

TEST_F(FileLoaderTest, AStopRequestRollsTheLoadBack) {
  sink_->on_call = [&](FakeCall call) {
    if (call == FakeCall::kBegin) signals_.stop = true;
  };
  FileResult r = ProcessOne(Land("orders.csv", kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kInterrupted);
  EXPECT_EQ(sink_->Count(FakeCall::kAbort), 1);
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 0);
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);  // not retried
  EXPECT_TRUE(sink_->Rows("orders").empty());
  ExpectPending("orders.csv");
}

TEST_F(FileLoaderTest, AStopRequestRollsAGroupBackAndLoadsNoMemberAlone) {
  sink_->on_call = [&](FakeCall call) {
    if (call == FakeCall::kBegin) signals_.stop = true;
  };
  std::vector<FileResult> results =
      Process({Land("orders_1.csv", "id,name\n1,a\n"), Land("orders_2.csv", "id,name\n2,b\n")});
  for (const FileResult& r : results) EXPECT_EQ(r.outcome, FileOutcome::kInterrupted);
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);
  EXPECT_EQ(sink_->Count(FakeCall::kAbort), 1);
  EXPECT_TRUE(sink_->Rows("orders").empty());
  ExpectPending("orders_1.csv");
  ExpectPending("orders_2.csv");
}

TEST_F(FileLoaderTest, ACommitWhoseAnswerIsLostLoadsExactlyOnce) {
  sink_->LoseCommitAnswer();
  const std::string path = Land("orders.csv", kOrders);
  const std::string hash = Hash("orders.csv");
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Commits(hash), 1);
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "2|b"}));
  ExpectLoaded("orders.csv");
  // The retry found the marker at Begin and committed nothing more.
  const std::string log = sink_->CallLog();
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 2) << log;
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 1) << log;
  EXPECT_NE(log.find("begin(1)", log.find("commit!")), std::string::npos) << log;
}

TEST_F(FileLoaderTest, AGroupCommitWhoseAnswerIsLostLoadsEachFileExactlyOnce) {
  sink_->LoseCommitAnswer();
  std::vector<std::string> paths = {Land("orders_1.csv", "id,name\n1,a\n"),
                                    Land("orders_2.csv", "id,name\n2,b\n")};
  const std::string hash1 = Hash("orders_1.csv");
  const std::string hash2 = Hash("orders_2.csv");
  std::vector<FileResult> results = Process(paths);
  for (const FileResult& r : results) {
    // Alone, each finds its marker (IsCommitted) before loading anything.
    EXPECT_EQ(r.outcome, FileOutcome::kAlreadyDone) << r.error.ToString();
  }
  EXPECT_EQ(sink_->Commits(hash1), 1);
  EXPECT_EQ(sink_->Commits(hash2), 1);
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "2|b"}));
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);
  ExpectLoaded("orders_1.csv");
  ExpectLoaded("orders_2.csv");
}

TEST_F(FileLoaderTest, AFileChangedDuringItsLoadCommitsNothing) {
  const std::string path = Land("orders.csv", kOrders);
  sink_->on_call = [&](FakeCall call) {
    if (call == FakeCall::kWrite) std::ofstream(path, std::ios::app) << "3,c\n";
  };
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kRetryLater);
  EXPECT_NE(r.error.message().find("changed since it was hashed"), std::string::npos)
      << r.error.message();
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 0);
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);    // not retried: it is new content
  EXPECT_FALSE(Record("orders.csv").has_value());  // its claim is forgotten
  EXPECT_TRUE(Exists(path));
}

TEST_F(FileLoaderTest, ALargeFileLoadsOutsideTheGroups) {
  std::string large = "id,name\n";
  for (int i = 0; large.size() <= FileLoader::kGroupFileBytes; ++i) {
    large += std::to_string(i) + ",row number " + std::to_string(i) + "\n";
  }
  std::vector<FileResult> results =
      Process({Land("orders_1.csv", "id,name\n-1,a\n"), Land("orders_2.csv", large),
               Land("orders_3.csv", "id,name\n-3,c\n")});
  for (const FileResult& r : results) EXPECT_EQ(r.outcome, FileOutcome::kLoaded);
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 2);
  EXPECT_NE(sink_->CallLog().find("begin(2) write(0) write(1) commit"), std::string::npos);
  EXPECT_NE(sink_->CallLog().find("begin(1)"), std::string::npos);
}

TEST_F(FileLoaderTest, ASuspectOfACrashLoadsAloneAfterTheOthers) {
  const std::string suspect = Land("orders_1.csv", "id,name\n1,a\n");
  {
    // Claimed when sluice last stopped: one crash charged.
    auto folder = SourceFolder::Open(config_.source);
    auto landed = LandedFile::Open(*folder, "orders_1.csv");
    auto fp = landed->Fingerprint();
    auto claim = ledger_->ClaimFile({fp->hash, suspect, fp->size, fp->mtime_ns}, "orders");
    ASSERT_TRUE(claim.has_value());
    ASSERT_TRUE(ledger_->SettleCrashed(claim->file_id, 3).has_value());
  }
  std::vector<FileResult> results = Process(
      {suspect, Land("orders_2.csv", "id,name\n2,b\n"), Land("orders_3.csv", "id,name\n3,c\n")});
  for (const FileResult& r : results) EXPECT_EQ(r.outcome, FileOutcome::kLoaded);
  EXPECT_NE(sink_->CallLog().find("begin(2) write(0) write(1) commit is_committed describe "
                                  "begin(1) write(0) commit"),
            std::string::npos)
      << sink_->CallLog();
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"2|b", "3|c", "1|a"}));
}

TEST_F(FileLoaderTest, RecordsWithoutColumnsLoadNothingAndAreDone) {
  FileResult r = ProcessOne(Land("empty.jsonl", "{}\n{}\n"));
  EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(r.rows, 0u);
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 0);
  ExpectLoaded("empty.jsonl");
}

}  // namespace
}  // namespace sluice

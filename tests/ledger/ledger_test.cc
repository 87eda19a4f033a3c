#include "ledger/ledger.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include "ledger/ledger_fixture.h"
#include "test_util.h"

namespace sluice {
namespace {

using ::sluice::testing::File;
using ::sluice::testing::kHashA;
using ::sluice::testing::kHashB;
using ::sluice::testing::LedgerTest;

TEST_F(LedgerTest, NewContentIsClaimedAsProcessing) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv", 123, 456));
  EXPECT_EQ(claim.outcome, ClaimOutcome::kClaimed);
  EXPECT_GT(claim.file_id, 0);
  const FileRecord record = Record(claim.file_id);
  EXPECT_EQ(record.state, FileState::kProcessing);
  EXPECT_EQ(record.identity.hash, kHashA);
  EXPECT_EQ(record.identity.path, "/in/a.csv");
  EXPECT_EQ(record.identity.size, 123u);
  EXPECT_EQ(record.identity.mtime_ns, 456);
  EXPECT_EQ(record.table, "events");
  EXPECT_EQ(record.attempts, 0);                        // failed attempts
  EXPECT_GT(record.seen_at_us, 1'600'000'000'000'000);  // microseconds since the epoch
  EXPECT_GE(record.started_at_us, record.seen_at_us);
  EXPECT_EQ(record.finished_at_us, 0);

  auto processing = ledger_->ListProcessing();
  ASSERT_TRUE(processing.has_value());
  ASSERT_EQ(processing->size(), 1u);
  EXPECT_EQ((*processing)[0].id, claim.file_id);
}

TEST_F(LedgerTest, SameContentWhileProcessingIsBusy) {
  const Claim first = ClaimOk(File(kHashA, "/in/a.csv"));
  const Claim second = ClaimOk(File(kHashA, "/in/copy.csv"));
  EXPECT_EQ(second.outcome, ClaimOutcome::kBusy);
  EXPECT_EQ(second.file_id, 0);
  EXPECT_EQ(Count(FileState::kProcessing), 1u);
  EXPECT_EQ(ClaimOk(File(kHashB, "/in/b.csv")).outcome, ClaimOutcome::kClaimed);
  (void)first;
}

TEST_F(LedgerTest, SamePathAndContentAfterLoadIsAlreadyLoaded) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(claim.file_id, {10, 2, 1, 999}).ok());
  const FileRecord loaded = Record(claim.file_id);
  EXPECT_EQ(loaded.state, FileState::kLoaded);
  EXPECT_EQ(loaded.rows_loaded, 10u);
  EXPECT_EQ(loaded.rows_rejected, 2u);
  EXPECT_EQ(loaded.rows_skipped, 1u);
  EXPECT_EQ(loaded.bytes, 999u);
  EXPECT_GE(loaded.finished_at_us, loaded.started_at_us);

  const Claim again = ClaimOk(File(kHashA, "/in/a.csv", 100, 2'000));
  EXPECT_EQ(again.outcome, ClaimOutcome::kAlreadyLoaded);
  EXPECT_EQ(again.file_id, claim.file_id);
  EXPECT_EQ(again.earlier_path, "/in/a.csv");
  auto report = ledger_->Report(10);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->recent.size(), 1u);  // no new record
}

TEST_F(LedgerTest, SameContentUnderAnotherPathIsADuplicate) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(claim.file_id, {10, 0, 0, 100}).ok());
  const Claim dup = ClaimOk(File(kHashA, "/in/copy.csv", 100, 5));
  EXPECT_EQ(dup.outcome, ClaimOutcome::kDuplicate);
  EXPECT_EQ(dup.earlier_path, "/in/a.csv");
  ASSERT_NE(dup.file_id, claim.file_id);
  const FileRecord record = Record(dup.file_id);
  EXPECT_EQ(record.state, FileState::kDuplicate);
  EXPECT_EQ(record.identity.path, "/in/copy.csv");
  EXPECT_EQ(record.duplicate_of, "/in/a.csv");
  EXPECT_GT(record.finished_at_us, 0);
  EXPECT_EQ(record.rows_loaded, 0u);
  EXPECT_EQ(Count(FileState::kDuplicate), 1u);
  EXPECT_EQ(Count(FileState::kLoaded), 1u);
}

TEST_F(LedgerTest, SameContentAsAQuarantinedFileIsQuarantinedBefore) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(claim.file_id, {0, 50, 0, 100}, "too many bad rows").ok());
  const FileRecord quarantined = Record(claim.file_id);
  EXPECT_EQ(quarantined.state, FileState::kQuarantined);
  EXPECT_EQ(quarantined.error, "too many bad rows");
  EXPECT_EQ(quarantined.rows_rejected, 50u);

  const Claim again = ClaimOk(File(kHashA, "/in/again.csv"));
  EXPECT_EQ(again.outcome, ClaimOutcome::kQuarantinedBefore);
  EXPECT_EQ(again.earlier_path, "/in/a.csv");
  ASSERT_NE(again.file_id, claim.file_id);
  const FileRecord record = Record(again.file_id);
  EXPECT_EQ(record.state, FileState::kQuarantined);
  EXPECT_EQ(record.identity.path, "/in/again.csv");
  EXPECT_EQ(record.error, "same content was quarantined before as /in/a.csv");
  EXPECT_GT(record.finished_at_us, 0);
  EXPECT_EQ(Count(FileState::kQuarantined), 2u);
}

TEST_F(LedgerTest, ReleasedRecordIsTakenOverByTheNextClaim) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv", 100, 1), "old_table");
  auto released = ledger_->Release(claim.file_id, "database is locked");
  ASSERT_TRUE(released.has_value()) << released.status().ToString();
  EXPECT_EQ(*released, 1);
  EXPECT_EQ(Record(claim.file_id).state, FileState::kPending);
  EXPECT_TRUE(ledger_->ListProcessing()->empty());

  const Claim again = ClaimOk(File(kHashA, "/in/moved.csv", 100, 2), "new_table");
  EXPECT_EQ(again.outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(again.file_id, claim.file_id);
  const FileRecord record = Record(claim.file_id);
  EXPECT_EQ(record.state, FileState::kProcessing);
  EXPECT_EQ(record.attempts, 1);  // the claim is no failure
  EXPECT_EQ(record.identity.path, "/in/moved.csv");
  EXPECT_EQ(record.identity.mtime_ns, 2);
  EXPECT_EQ(record.table, "new_table");
  EXPECT_EQ(record.error, "database is locked");  // the last error is kept
  auto report = ledger_->Report(10);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->recent.size(), 1u);
}

TEST_F(LedgerTest, ForgetRemovesOnlyAClaimInProcessing) {
  const Claim changed = ClaimOk(File(kHashA, "/in/a.csv"));
  const Claim loaded = ClaimOk(File(kHashB, "/in/b.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(loaded.file_id, LoadSummary{1, 0, 0, 100}).ok());
  ASSERT_TRUE(ledger_->Forget(changed.file_id).ok());
  EXPECT_EQ(ledger_->Forget(changed.file_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->Forget(loaded.file_id).code(), StatusCode::kInternal);
  EXPECT_TRUE(ledger_->ListProcessing()->empty());
  auto report = ledger_->Report(10);
  ASSERT_TRUE(report.has_value());
  ASSERT_EQ(report->recent.size(), 1u);
  EXPECT_EQ(report->recent[0].identity.hash, kHashB);
  // The content is new again: claimed afresh, not taken over.
  const Claim again = ClaimOk(File(kHashA, "/in/a.csv"));
  EXPECT_EQ(again.outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(Record(again.file_id).attempts, 0);
}

TEST_F(LedgerTest, RequeueMakesQuarantinedContentClaimableAgain) {
  const Claim first = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(first.file_id, {}, "bad").ok());
  const Claim second = ClaimOk(File(kHashA, "/in/b.csv"));
  ASSERT_EQ(second.outcome, ClaimOutcome::kQuarantinedBefore);
  ASSERT_EQ(ClaimOk(File(kHashB, "/in/other.csv")).outcome, ClaimOutcome::kClaimed);

  auto requeued = ledger_->Requeue(kHashA);
  ASSERT_TRUE(requeued.has_value()) << requeued.status().ToString();
  EXPECT_EQ(*requeued, 2);
  EXPECT_EQ(Count(FileState::kQuarantined), 0u);
  EXPECT_EQ(Count(FileState::kPending), 2u);
  EXPECT_EQ(*ledger_->Requeue(kHashA), 0);
  EXPECT_EQ(*ledger_->Requeue("00000000000000000000000000000000"), 0);

  // The record of the same path is the one taken over.
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
  EXPECT_EQ(claim.outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(claim.file_id, first.file_id);
  EXPECT_EQ(Record(first.file_id).attempts, 0);
}

TEST_F(LedgerTest, UpdatesOfAnUnknownRecordAreNotFound) {
  EXPECT_EQ(ledger_->MarkLoaded(42, {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->MarkQuarantined(42, {}, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->Release(42, "x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->Unclaim(42, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->Forget(42).code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->SettleCrashed(42, 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->SetFinalPath(42, "/done/x").code(), StatusCode::kNotFound);
}

TEST_F(LedgerTest, IsFinishedUnchangedOnlyForFinishedRecordsOfTheSameFile) {
  const std::string path = "/in/a.csv";
  EXPECT_FALSE(*ledger_->IsFinishedUnchanged(path, 100, 7));
  const Claim claim = ClaimOk(File(kHashA, path, 100, 7));
  EXPECT_FALSE(*ledger_->IsFinishedUnchanged(path, 100, 7));  // still processing
  ASSERT_TRUE(ledger_->MarkLoaded(claim.file_id, {}).ok());
  EXPECT_TRUE(*ledger_->IsFinishedUnchanged(path, 100, 7));
  EXPECT_FALSE(*ledger_->IsFinishedUnchanged(path, 101, 7));
  EXPECT_FALSE(*ledger_->IsFinishedUnchanged(path, 100, 8));
  EXPECT_FALSE(*ledger_->IsFinishedUnchanged("/in/b.csv", 100, 7));

  ASSERT_EQ(ClaimOk(File(kHashA, "/in/dup.csv", 100, 9)).outcome, ClaimOutcome::kDuplicate);
  EXPECT_TRUE(*ledger_->IsFinishedUnchanged("/in/dup.csv", 100, 9));

  const Claim bad = ClaimOk(File(kHashB, "/in/bad.csv", 5, 5));
  ASSERT_TRUE(ledger_->MarkQuarantined(bad.file_id, {}, "bad").ok());
  EXPECT_TRUE(*ledger_->IsFinishedUnchanged("/in/bad.csv", 5, 5));
  ASSERT_EQ(*ledger_->Requeue(kHashB), 1);
  EXPECT_FALSE(*ledger_->IsFinishedUnchanged("/in/bad.csv", 5, 5));
}

TEST_F(LedgerTest, FindByPathFindsQuarantinedRecordsByOriginalOrFinalPath) {
  const Claim first = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(first.file_id, {}, "bad").ok());
  ASSERT_TRUE(ledger_->SetFinalPath(first.file_id, "/quarantine/a.csv").ok());
  const Claim loaded = ClaimOk(File(kHashB, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(loaded.file_id, {}).ok());
  ASSERT_TRUE(ledger_->SetFinalPath(loaded.file_id, "/processed/a.csv").ok());

  for (const char* path : {"/quarantine/a.csv", "/in/a.csv"}) {
    auto found = ledger_->FindByPath(path);
    ASSERT_TRUE(found.has_value()) << found.status().ToString();
    ASSERT_EQ(found->size(), 1u) << path;
    EXPECT_EQ((*found)[0].id, first.file_id);
    EXPECT_EQ((*found)[0].final_path, "/quarantine/a.csv");
  }
  EXPECT_TRUE(ledger_->FindByPath("/processed/a.csv")->empty());
}

// Two loads of one name each keep their own rejects file, recorded by the write
// that records the outcome; a quarantined file's with its final path.
TEST_F(LedgerTest, EachRecordKeepsTheRejectsFileItsOutcomeWasRecordedWith) {
  const Claim day1 = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(day1.file_id, {9, 1, 0, 100, "/q/a.csv.rejects.jsonl"}).ok());
  ASSERT_TRUE(ledger_->SetFinalPath(day1.file_id, "/processed/a.csv").ok());  // kept
  const Claim day2 = ClaimOk(File(kHashB, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(day2.file_id, {8, 2, 0, 100, "/q/a.1.csv.rejects.jsonl"}).ok());
  EXPECT_EQ(Record(day1.file_id).rejects_file, "/q/a.csv.rejects.jsonl");
  EXPECT_EQ(Record(day2.file_id).rejects_file, "/q/a.1.csv.rejects.jsonl");
  auto found = ledger_->FindByName("a.csv");
  ASSERT_TRUE(found.has_value()) << found.status().ToString();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].rejects_file, "/q/a.1.csv.rejects.jsonl");
  EXPECT_EQ((*found)[1].rejects_file, "/q/a.csv.rejects.jsonl");

  const Claim bad = ClaimOk(File("c0000000000000000000000000000000", "/in/b.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(bad.file_id, {0, 5, 0, 100}, "bad").ok());
  EXPECT_EQ(Record(bad.file_id).rejects_file, "");
  ASSERT_TRUE(ledger_->SetFinalPath(bad.file_id, "/q/b.csv", "/q/b.csv.rejects.jsonl").ok());
  EXPECT_EQ(Record(bad.file_id).final_path, "/q/b.csv");
  EXPECT_EQ(Record(bad.file_id).rejects_file, "/q/b.csv.rejects.jsonl");
  // Reloaded after a requeue without bad rows: the old rejects are not its own.
  ASSERT_EQ(*ledger_->Requeue("c0000000000000000000000000000000"), 1);
  ASSERT_EQ(ClaimOk(File("c0000000000000000000000000000000", "/in/b.csv")).file_id, bad.file_id);
  ASSERT_TRUE(ledger_->MarkLoaded(bad.file_id, {5, 0, 0, 100}).ok());
  EXPECT_EQ(Record(bad.file_id).rejects_file, "");
}

TEST_F(LedgerTest, ReportCountsTotalsAndRecentRecords) {
  const Claim a = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(a.file_id, {100, 3, 0, 1000}).ok());
  const Claim b = ClaimOk(File(kHashB, "/in/b.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(b.file_id, {7, 500, 0, 1000}, "too many bad rows").ok());
  const Claim c = ClaimOk(File("c0000000000000000000000000000000", "/in/c.csv"));
  ASSERT_TRUE(ledger_->Release(c.file_id, "disk full").has_value());
  const Claim d = ClaimOk(File("d0000000000000000000000000000000", "/in/d.csv"));
  const Claim e = ClaimOk(File("e0000000000000000000000000000000", "/in/e.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(e.file_id, {20, 1, 5, 10}).ok());
  const Claim dup = ClaimOk(File(kHashA, "/in/a2.csv"));
  ASSERT_EQ(dup.outcome, ClaimOutcome::kDuplicate);

  auto report = ledger_->Report(3);
  ASSERT_TRUE(report.has_value()) << report.status().ToString();
  const std::map<FileState, uint64_t> expected = {
      {FileState::kProcessing, 1}, {FileState::kPending, 1},     {FileState::kLoaded, 2},
      {FileState::kDuplicate, 1},  {FileState::kQuarantined, 1},
  };
  EXPECT_EQ(report->files_by_state, expected);
  EXPECT_EQ(report->rows_loaded, 120u);  // loaded records only
  EXPECT_EQ(report->rows_rejected, 4u);  // not the quarantined file's 500
  ASSERT_EQ(report->recent.size(), 3u);  // most recent first
  EXPECT_EQ(report->recent[0].id, dup.file_id);
  EXPECT_EQ(report->recent[1].id, e.file_id);
  EXPECT_EQ(report->recent[2].id, d.file_id);
  ASSERT_EQ(report->recent_errors.size(), 2u);
  EXPECT_EQ(report->recent_errors[0].id, c.file_id);
  EXPECT_EQ(report->recent_errors[0].error, "disk full");
  EXPECT_EQ(report->recent_errors[1].id, b.file_id);

  auto one = ledger_->Report(1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->recent.size(), 1u);
  EXPECT_EQ(one->recent_errors.size(), 1u);
}

TEST_F(LedgerTest, ReportCountsFilesPerTableAndState) {
  const Claim a = ClaimOk(File(kHashA, "/in/a.csv"), "sales");
  ASSERT_TRUE(ledger_->MarkLoaded(a.file_id, {10, 0, 0, 100}).ok());
  const Claim b = ClaimOk(File(kHashB, "/in/b.csv"), "sales");
  ASSERT_TRUE(ledger_->MarkQuarantined(b.file_id, {0, 9, 0, 100}, "bad").ok());
  const Claim c = ClaimOk(File("c0000000000000000000000000000000", "/in/c.csv"), "users");
  ASSERT_TRUE(ledger_->MarkLoaded(c.file_id, {1, 0, 0, 10}).ok());

  auto report = ledger_->Report(10);
  ASSERT_TRUE(report.has_value()) << report.status().ToString();
  const std::map<std::string, std::map<FileState, uint64_t>> expected = {
      {"sales", {{FileState::kLoaded, 1}, {FileState::kQuarantined, 1}}},
      {"users", {{FileState::kLoaded, 1}}},
  };
  EXPECT_EQ(report->files_by_table, expected);
  EXPECT_EQ(report->files_by_state[FileState::kLoaded], 2u);
}

TEST_F(LedgerTest, FindByNameMatchesBaseNamesOfEitherPath) {
  const Claim a = ClaimOk(File(kHashA, "/in/sub/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(a.file_id, {10, 0, 0, 100}).ok());
  ASSERT_TRUE(ledger_->SetFinalPath(a.file_id, "/processed/sub/a.csv").ok());
  const Claim b = ClaimOk(File(kHashB, "/in/xa.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(b.file_id, {0, 1, 0, 100}, "bad").ok());

  auto by_base = ledger_->FindByName("a.csv");
  ASSERT_TRUE(by_base.has_value()) << by_base.status().ToString();
  ASSERT_EQ(by_base->size(), 1u);  // not xa.csv
  EXPECT_EQ((*by_base)[0].id, a.file_id);
  EXPECT_EQ((*by_base)[0].state, FileState::kLoaded);
  auto by_relative = ledger_->FindByName("sub/a.csv");
  ASSERT_TRUE(by_relative.has_value());
  EXPECT_EQ(by_relative->size(), 1u);
  auto by_final = ledger_->FindByName("/processed/sub/a.csv");
  ASSERT_TRUE(by_final.has_value());
  EXPECT_EQ(by_final->size(), 1u);
  EXPECT_TRUE(ledger_->FindByName("b.csv")->empty());
  EXPECT_TRUE(ledger_->FindByName("%.csv")->empty());
}

TEST_F(LedgerTest, ConcurrentClaimsOfOneContentYieldOneOwner) {
  constexpr int kThreads = 8;
  // Once through one shared Ledger (its mutex), once with a Ledger per thread, as
  // separate processes would be (SQLite's write lock).
  for (bool shared : {true, false}) {
    SCOPED_TRACE(shared ? "shared ledger" : "ledger per thread");
    const std::string hash = shared ? kHashA : kHashB;
    std::latch start(kThreads);
    std::vector<Result<Claim>> claims(kThreads, Status::Internal("not run"));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::unique_ptr<Ledger> own;
        Ledger* ledger = ledger_.get();
        if (!shared) {
          auto opened = Ledger::Open(path_);
          if (!opened.has_value()) {
            claims[t] = opened.error();
            return;
          }
          own = std::move(*opened);
          ledger = own.get();
        }
        start.arrive_and_wait();
        claims[t] = ledger->ClaimFile(File(hash, "/in/copy" + std::to_string(t) + ".csv"), "t");
      });
    }
    for (auto& thread : threads) thread.join();
    int claimed = 0;
    int busy = 0;
    for (const auto& claim : claims) {
      ASSERT_TRUE(claim.has_value()) << claim.status().ToString();
      if (claim->outcome == ClaimOutcome::kClaimed) ++claimed;
      if (claim->outcome == ClaimOutcome::kBusy) ++busy;
    }
    EXPECT_EQ(claimed, 1);
    EXPECT_EQ(busy, kThreads - 1);
  }
  EXPECT_EQ(Count(FileState::kProcessing), 2u);
}

// Workers (or a CLI command and the daemon) may create the ledger at the same time.
TEST_F(LedgerTest, ConcurrentOpensOfAFreshLedgerSucceed) {
  constexpr int kThreads = 4;
  const std::string fresh = dir_ / "fresh/ledger.db";
  std::latch start(kThreads);
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto ledger = Ledger::Open(fresh);
      results[t] = ledger.has_value()
                       ? (*ledger)->ClaimFile(File(kHashA, "/in/a.csv"), "t").status()
                       : ledger.error();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& status : results) EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(LedgerTest, ReopenedLedgerRemembers) {
  const Claim loaded = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(loaded.file_id, {5, 0, 0, 50}).ok());
  ASSERT_TRUE(ledger_->SetFinalPath(loaded.file_id, "/processed/a.csv").ok());
  const Claim in_flight = ClaimOk(File(kHashB, "/in/b.csv"));
  ledger_.reset();

  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  const FileRecord record = Record(loaded.file_id);
  EXPECT_EQ(record.state, FileState::kLoaded);
  EXPECT_EQ(record.final_path, "/processed/a.csv");
  EXPECT_EQ(record.rows_loaded, 5u);
  auto processing = ledger_->ListProcessing();
  ASSERT_TRUE(processing.has_value());
  ASSERT_EQ(processing->size(), 1u);
  EXPECT_EQ((*processing)[0].id, in_flight.file_id);
  EXPECT_EQ(ClaimOk(File(kHashA, "/in/a.csv")).outcome, ClaimOutcome::kAlreadyLoaded);
}

TEST_F(LedgerTest, RecordsAddedColumnsMostRecentFirst) {
  ASSERT_TRUE(ledger_->RecordColumnAdded({"events", "c", "integer", "/in/b.csv", 2'000}).ok());
  ASSERT_TRUE(ledger_->RecordColumnAdded({"events", "d", "string", "/in/c.csv", 3'000}).ok());
  ASSERT_TRUE(ledger_->RecordColumnAdded({"other", "e", "float", "/in/d.csv", 0}).ok());  // now
  ledger_.reset();
  ledger_ = Open();
  auto report = ledger_->Report(2);
  ASSERT_TRUE(report.has_value()) << report.status().ToString();
  ASSERT_EQ(report->columns_added.size(), 2u);  // limited like the recent lists
  const ColumnAdded& newest = report->columns_added[0];
  EXPECT_EQ(newest.table, "other");
  EXPECT_EQ(newest.column, "e");
  EXPECT_GT(newest.added_at_us, 3'000);
  const ColumnAdded& second = report->columns_added[1];
  EXPECT_EQ(second.table, "events");
  EXPECT_EQ(second.column, "d");
  EXPECT_EQ(second.type, "string");
  EXPECT_EQ(second.file, "/in/c.csv");
  EXPECT_EQ(second.added_at_us, 3'000);
}

TEST_F(LedgerTest, ARecordInFlightDuringLimitCrashesIsQuarantined) {
  const Claim other = ClaimOk(File(kHashB, "/in/other.csv"));
  int64_t id = 0;
  for (int crash = 1; crash <= 3; ++crash) {
    const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
    ASSERT_EQ(claim.outcome, ClaimOutcome::kClaimed);
    EXPECT_EQ(claim.crashes, crash - 1);
    if (id != 0) {
      EXPECT_EQ(claim.file_id, id);
    }
    id = claim.file_id;
    auto settled = ledger_->SettleCrashed(id, 3);
    ASSERT_TRUE(settled.has_value()) << settled.status().ToString();
    const FileRecord record = Record(id);
    EXPECT_EQ(record.crashes, crash);
    EXPECT_EQ(settled->crashes, crash);
    EXPECT_EQ(settled->attempts, crash);  // a crash is a failed attempt
    EXPECT_EQ(record.attempts, crash);
    if (crash < 3) {
      EXPECT_EQ(settled->state, FileState::kPending);
      EXPECT_EQ(record.state, FileState::kPending);
    } else {
      EXPECT_EQ(settled->state, FileState::kQuarantined);
      EXPECT_EQ(record.state, FileState::kQuarantined);
      EXPECT_EQ(record.error, "sluice stopped 3 times while loading this file");
      EXPECT_GT(record.finished_at_us, 0);
    }
  }
  // Quarantined for good: the next sighting is not loaded.
  EXPECT_EQ(ClaimOk(File(kHashA, "/in/a.csv")).outcome, ClaimOutcome::kQuarantinedBefore);
  // Only records still processing are settled; the others are untouched.
  EXPECT_EQ(ledger_->SettleCrashed(id, 3).status().code(), StatusCode::kInternal);
  EXPECT_EQ(Record(other.file_id).state, FileState::kProcessing);
  EXPECT_EQ(Record(other.file_id).crashes, 0);

  // A requeue gives the file its full allowance again.
  ASSERT_EQ(*ledger_->Requeue(kHashA), 2);
  const Claim requeued = ClaimOk(File(kHashA, "/in/a.csv"));
  EXPECT_EQ(requeued.outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(requeued.crashes, 0);
  EXPECT_EQ(requeued.attempts, 0);
}

TEST_F(LedgerTest, ALimitOfZeroNeverQuarantines) {
  for (int crash = 1; crash <= 5; ++crash) {
    const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
    EXPECT_EQ(ledger_->SettleCrashed(claim.file_id, 0)->state, FileState::kPending);
  }
}

TEST_F(LedgerTest, AFailedQuarantineMoveRetriedAsQuarantinedBeforeKeepsOneRecord) {
  const Claim first = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(first.file_id, {}, "bad").ok());
  const Claim second = ClaimOk(File(kHashA, "/in/b.csv"));
  ASSERT_EQ(second.outcome, ClaimOutcome::kQuarantinedBefore);
  // Its move to quarantine failed: back to pending, then sighted again.
  ASSERT_TRUE(ledger_->Release(second.file_id, "cannot move").has_value());
  const Claim third = ClaimOk(File(kHashA, "/in/b.csv"));
  EXPECT_EQ(third.outcome, ClaimOutcome::kQuarantinedBefore);
  EXPECT_EQ(third.file_id, second.file_id);
  EXPECT_EQ(Record(third.file_id).state, FileState::kQuarantined);
  EXPECT_EQ(Count(FileState::kQuarantined), 2u);
  EXPECT_EQ(Count(FileState::kPending), 0u);
}

TEST_F(LedgerTest, RequeueMovesTheFileBackUnderTheWriteLock) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkQuarantined(claim.file_id, {}, "bad").ok());

  // A move that fails leaves the record quarantined.
  auto failed = ledger_->Requeue(kHashA, [] { return Status::Unavailable("cannot move"); });
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Record(claim.file_id).state, FileState::kQuarantined);

  // While the file moves, the record is already pending and no other connection
  // (a running sluice) can write.
  bool called = false;
  auto requeued = ledger_->Requeue(kHashA, [&] {
    called = true;
    sqlite3* other = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
    sqlite3_busy_timeout(other, 0);
    EXPECT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_BUSY);
    sqlite3_close(other);
    return Status::Ok();
  });
  ASSERT_TRUE(requeued.has_value()) << requeued.status().ToString();
  EXPECT_EQ(*requeued, 1);
  EXPECT_TRUE(called);
  EXPECT_EQ(Record(claim.file_id).state, FileState::kPending);
  // Nothing to requeue: the file is not moved.
  called = false;
  EXPECT_EQ(*ledger_->Requeue(kHashA,
                              [&] {
                                called = true;
                                return Status::Ok();
                              }),
            0);
  EXPECT_FALSE(called);
}

TEST(FileStateTest, NamesAreStable) {
  EXPECT_EQ(FileStateName(FileState::kProcessing), "processing");
  EXPECT_EQ(FileStateName(FileState::kPending), "pending");
  EXPECT_EQ(FileStateName(FileState::kLoaded), "loaded");
  EXPECT_EQ(FileStateName(FileState::kDuplicate), "duplicate");
  EXPECT_EQ(FileStateName(FileState::kQuarantined), "quarantined");
  for (FileState state : kAllFileStates) EXPECT_EQ(ParseFileState(FileStateName(state)), state);
  EXPECT_EQ(ParseFileState("Loaded"), std::nullopt);
  EXPECT_EQ(ParseFileState(""), std::nullopt);
}

TEST_F(LedgerTest, BatchMakesItsCallsDurableTogetherAtCommit) {
  Claim a, b;
  {
    Ledger::Batch batch(*ledger_);
    a = ClaimOk(File(kHashA, "/in/a.csv"));
    b = ClaimOk(File(kHashB, "/in/b.csv"));
    ASSERT_TRUE(ledger_->MarkLoaded(a.file_id, {5, 0, 0, 100}).ok());
    ASSERT_TRUE(batch.Commit().ok());
  }
  ledger_ = Open();  // what a restart finds
  auto report = ledger_->Report(10);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->files_by_state.at(FileState::kLoaded), 1u);
  EXPECT_EQ(report->files_by_state.at(FileState::kProcessing), 1u);
  EXPECT_EQ(Record(b.file_id).state, FileState::kProcessing);
}

TEST_F(LedgerTest, BatchWithoutCommitRollsBackAndAFailedCallKeepsTheOthers) {
  {
    Ledger::Batch batch(*ledger_);
    ClaimOk(File(kHashA, "/in/a.csv"));
  }  // no Commit
  EXPECT_TRUE(ledger_->ListProcessing()->empty());

  Ledger::Batch batch(*ledger_);
  const Claim a = ClaimOk(File(kHashA, "/in/a.csv"));
  EXPECT_EQ(ledger_->MarkLoaded(a.file_id + 1000, {}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(ledger_->MarkLoaded(a.file_id, {7, 0, 0, 1}).ok());
  ASSERT_TRUE(batch.Commit().ok());
  EXPECT_EQ(Record(a.file_id).state, FileState::kLoaded);
  EXPECT_EQ(Record(a.file_id).rows_loaded, 7u);
}

TEST_F(LedgerTest, OtherThreadsWaitForAnOpenBatch) {
  std::atomic<bool> claimed{false};
  std::thread other;
  {
    Ledger::Batch batch(*ledger_);
    ClaimOk(File(kHashA, "/in/a.csv"));
    other = std::thread([&] {
      // The same content: busy once the batch has committed its claim.
      auto claim = ledger_->ClaimFile(File(kHashA, "/in/copy.csv"), "events");
      EXPECT_TRUE(claim.has_value());
      EXPECT_EQ(claim->outcome, ClaimOutcome::kBusy);
      claimed = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(claimed.load());
    ASSERT_TRUE(batch.Commit().ok());
  }
  other.join();
  EXPECT_TRUE(claimed.load());
}

}  // namespace
}  // namespace sluice

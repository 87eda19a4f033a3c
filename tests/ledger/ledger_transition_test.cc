// The ledger's state machine, one test per transition: each allowed transition
// made through the operation that makes it, and each operation refused in every
// other state (Internal, nothing changed). The list of allowed transitions here
// is written out independently of kFileTransitions, and a test checks that the
// two agree. Also: the failed-attempt count, across Close and Open.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "ledger/file_state.h"
#include "ledger/ledger.h"
#include "ledger/ledger_fixture.h"

namespace sluice {
namespace {

using ::sluice::testing::File;
using ::sluice::testing::kHashA;
using ::sluice::testing::kHashB;
using ::sluice::testing::LedgerTest;

constexpr auto kProcessing = FileState::kProcessing;
constexpr auto kPending = FileState::kPending;
constexpr auto kLoaded = FileState::kLoaded;
constexpr auto kDuplicate = FileState::kDuplicate;
constexpr auto kQuarantined = FileState::kQuarantined;

// Every allowed transition, as the tests below make them.
const std::vector<FileTransition> kExpected = {
    {std::nullopt, kProcessing, LedgerOp::kClaim},
    {std::nullopt, kDuplicate, LedgerOp::kClaim},
    {std::nullopt, kQuarantined, LedgerOp::kClaim},
    {kPending, kProcessing, LedgerOp::kClaim},
    {kPending, kQuarantined, LedgerOp::kClaim},
    {kProcessing, kLoaded, LedgerOp::kMarkLoaded},
    {kProcessing, kQuarantined, LedgerOp::kMarkQuarantined},
    {kQuarantined, kQuarantined, LedgerOp::kMarkQuarantined},
    {kPending, kQuarantined, LedgerOp::kMarkQuarantined},
    {kProcessing, kPending, LedgerOp::kRelease},
    {kQuarantined, kPending, LedgerOp::kRelease},
    {kProcessing, kPending, LedgerOp::kUnclaim},
    {kProcessing, kPending, LedgerOp::kSettleCrashed},
    {kProcessing, kQuarantined, LedgerOp::kSettleCrashed},
    {kQuarantined, kPending, LedgerOp::kRequeue},
    {kProcessing, std::nullopt, LedgerOp::kForget},
    {kLoaded, kLoaded, LedgerOp::kSetFinalPath},
    {kDuplicate, kDuplicate, LedgerOp::kSetFinalPath},
    {kQuarantined, kQuarantined, LedgerOp::kSetFinalPath},
};

auto Key(const FileTransition& t) { return std::make_tuple(t.from, t.to, t.op); }

class LedgerTransitionTest : public LedgerTest {
 protected:
  // A record of content `hash` in `state`, reached through the ledger's own
  // operations.
  int64_t RecordIn(FileState state, const std::string& hash = kHashA) {
    const std::string path = "/in/" + hash.substr(0, 4) + ".csv";
    if (state == kDuplicate) {
      const Claim original = ClaimOk(File(hash, path));
      EXPECT_TRUE(ledger_->MarkLoaded(original.file_id, {}).ok());
      const Claim copy = ClaimOk(File(hash, "/in/copy.csv"));
      EXPECT_EQ(copy.outcome, ClaimOutcome::kDuplicate);
      return copy.file_id;
    }
    const Claim claim = ClaimOk(File(hash, path));
    EXPECT_EQ(claim.outcome, ClaimOutcome::kClaimed);
    switch (state) {
      case kPending:
        EXPECT_TRUE(ledger_->Release(claim.file_id, "sink down").has_value());
        break;
      case kLoaded:
        EXPECT_TRUE(ledger_->MarkLoaded(claim.file_id, {}).ok());
        break;
      case kQuarantined:
        EXPECT_TRUE(ledger_->MarkQuarantined(claim.file_id, {}, "bad").ok());
        break;
      default:
        break;
    }
    EXPECT_EQ(Record(claim.file_id).state, state);
    return claim.file_id;
  }

  // Applies `op` to record `id` (a claim: of its file; a requeue: of its content).
  Status Apply(LedgerOp op, int64_t id) {
    const FileRecord record = Record(id);
    switch (op) {
      case LedgerOp::kClaim:
        return ledger_->ClaimFile(record.identity, "events").status();
      case LedgerOp::kMarkLoaded:
        return ledger_->MarkLoaded(id, {1, 0, 0, 10});
      case LedgerOp::kMarkQuarantined:
        return ledger_->MarkQuarantined(id, {}, "refused");
      case LedgerOp::kRelease:
        return ledger_->Release(id, "failed").status();
      case LedgerOp::kUnclaim:
        return ledger_->Unclaim(id, "put off");
      case LedgerOp::kSettleCrashed:
        return ledger_->SettleCrashed(id, 3).status();
      case LedgerOp::kRequeue:
        return ledger_->Requeue(record.identity.hash).status();
      case LedgerOp::kForget:
        return ledger_->Forget(id);
      case LedgerOp::kSetFinalPath:
        return ledger_->SetFinalPath(id, "/done/x.csv");
    }
    return Status::Internal("unknown op");
  }

  // The record `id` (nullopt if it is gone).
  std::optional<FileRecord> Find(int64_t id) {
    auto report = ledger_->Report(1000);
    EXPECT_TRUE(report.has_value());
    for (const FileRecord& record : report->recent) {
      if (record.id == id) return record;
    }
    return std::nullopt;
  }
};

auto Fields(const FileRecord& r) {
  return std::make_tuple(r.state, r.attempts, r.crashes, r.error, r.final_path, r.rows_loaded,
                         r.identity.path, r.finished_at_us);
}

// Allowed: records created by a claim.

TEST_F(LedgerTransitionTest, ClaimCreatesProcessingForNewContent) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
  EXPECT_EQ(claim.outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(Record(claim.file_id).state, kProcessing);
}

TEST_F(LedgerTransitionTest, ClaimCreatesDuplicateForLoadedContent) {
  RecordIn(kLoaded);
  const Claim claim = ClaimOk(File(kHashA, "/in/other.csv"));
  EXPECT_EQ(claim.outcome, ClaimOutcome::kDuplicate);
  EXPECT_EQ(Record(claim.file_id).state, kDuplicate);
}

TEST_F(LedgerTransitionTest, ClaimCreatesQuarantinedForQuarantinedContent) {
  const int64_t refused = RecordIn(kQuarantined);
  const Claim claim = ClaimOk(File(kHashA, "/in/other.csv"));
  EXPECT_EQ(claim.outcome, ClaimOutcome::kQuarantinedBefore);
  EXPECT_NE(claim.file_id, refused);
  EXPECT_EQ(Record(claim.file_id).state, kQuarantined);
}

// Allowed: changes of a record.

TEST_F(LedgerTransitionTest, ClaimTakesPendingToProcessing) {
  const int64_t id = RecordIn(kPending);
  ASSERT_TRUE(Apply(LedgerOp::kClaim, id).ok());
  EXPECT_EQ(Record(id).state, kProcessing);
}

TEST_F(LedgerTransitionTest, ClaimTakesPendingToQuarantinedWhenTheContentWasRefused) {
  RecordIn(kQuarantined);
  // A sighting of the refused content under another path, whose move to
  // quarantine failed: its record is pending.
  const Claim copy = ClaimOk(File(kHashA, "/in/b.csv"));
  ASSERT_EQ(copy.outcome, ClaimOutcome::kQuarantinedBefore);
  ASSERT_TRUE(ledger_->Release(copy.file_id, "cannot move").has_value());
  ASSERT_EQ(Record(copy.file_id).state, kPending);
  const Claim again = ClaimOk(File(kHashA, "/in/b.csv"));
  EXPECT_EQ(again.outcome, ClaimOutcome::kQuarantinedBefore);
  EXPECT_EQ(again.file_id, copy.file_id);
  EXPECT_EQ(Record(copy.file_id).state, kQuarantined);
}

TEST_F(LedgerTransitionTest, MarkLoadedTakesProcessingToLoaded) {
  const int64_t id = RecordIn(kProcessing);
  ASSERT_TRUE(Apply(LedgerOp::kMarkLoaded, id).ok());
  EXPECT_EQ(Record(id).state, kLoaded);
  EXPECT_EQ(Record(id).rows_loaded, 1u);
}

TEST_F(LedgerTransitionTest, MarkQuarantinedTakesProcessingToQuarantined) {
  const int64_t id = RecordIn(kProcessing);
  ASSERT_TRUE(Apply(LedgerOp::kMarkQuarantined, id).ok());
  EXPECT_EQ(Record(id).state, kQuarantined);
  EXPECT_EQ(Record(id).error, "refused");
}

TEST_F(LedgerTransitionTest, MarkQuarantinedRecordsTheRefusalOfAQuarantinedRecord) {
  const int64_t id = RecordIn(kQuarantined);
  ASSERT_TRUE(ledger_->MarkQuarantined(id, {0, 9, 0, 10}, "refused again").ok());
  EXPECT_EQ(Record(id).state, kQuarantined);
  EXPECT_EQ(Record(id).error, "refused again");
  EXPECT_EQ(Record(id).rows_rejected, 9u);
}

TEST_F(LedgerTransitionTest, MarkQuarantinedTakesPendingToQuarantined) {
  // The crash guard's file whose move to quarantine failed (released) stays refused.
  const int64_t id = RecordIn(kProcessing);
  ASSERT_EQ(ledger_->SettleCrashed(id, 1)->state, kQuarantined);
  ASSERT_TRUE(ledger_->Release(id, "cannot move").has_value());
  ASSERT_TRUE(Apply(LedgerOp::kMarkQuarantined, id).ok());
  EXPECT_EQ(Record(id).state, kQuarantined);
}

TEST_F(LedgerTransitionTest, ReleaseTakesProcessingToPendingAndCountsTheAttempt) {
  const int64_t id = RecordIn(kProcessing);
  auto attempts = ledger_->Release(id, "sink down");
  ASSERT_TRUE(attempts.has_value()) << attempts.status().ToString();
  EXPECT_EQ(*attempts, 1);
  EXPECT_EQ(Record(id).state, kPending);
  EXPECT_EQ(Record(id).error, "sink down");
}

TEST_F(LedgerTransitionTest, ReleaseTakesQuarantinedToPendingWhenTheMoveFailed) {
  const int64_t id = RecordIn(kQuarantined);
  auto attempts = ledger_->Release(id, "cannot move to quarantine");
  ASSERT_TRUE(attempts.has_value()) << attempts.status().ToString();
  EXPECT_EQ(*attempts, 1);
  EXPECT_EQ(Record(id).state, kPending);
}

TEST_F(LedgerTransitionTest, UnclaimTakesProcessingToPendingWithoutCountingAnAttempt) {
  const int64_t id = RecordIn(kProcessing);
  ASSERT_TRUE(Apply(LedgerOp::kUnclaim, id).ok());
  EXPECT_EQ(Record(id).state, kPending);
  EXPECT_EQ(Record(id).attempts, 0);
  EXPECT_EQ(Record(id).error, "put off");
}

TEST_F(LedgerTransitionTest, SettleCrashedTakesProcessingToPending) {
  const int64_t id = RecordIn(kProcessing);
  auto settled = ledger_->SettleCrashed(id, 3);
  ASSERT_TRUE(settled.has_value()) << settled.status().ToString();
  EXPECT_EQ(settled->state, kPending);
  EXPECT_EQ(Record(id).state, kPending);
  EXPECT_EQ(Record(id).crashes, 1);
  EXPECT_EQ(Record(id).attempts, 1);
}

TEST_F(LedgerTransitionTest, SettleCrashedTakesProcessingToQuarantinedAtTheLimit) {
  const int64_t id = RecordIn(kProcessing);
  auto settled = ledger_->SettleCrashed(id, 1);
  ASSERT_TRUE(settled.has_value()) << settled.status().ToString();
  EXPECT_EQ(settled->state, kQuarantined);
  EXPECT_EQ(Record(id).state, kQuarantined);
  EXPECT_EQ(Record(id).error, CrashedReason(1));
}

TEST_F(LedgerTransitionTest, RequeueTakesQuarantinedToPendingAndResetsTheCounts) {
  const int64_t id = RecordIn(kProcessing);
  ASSERT_EQ(ledger_->SettleCrashed(id, 1)->state, kQuarantined);
  ASSERT_EQ(*ledger_->Requeue(kHashA), 1);
  const FileRecord record = Record(id);
  EXPECT_EQ(record.state, kPending);
  EXPECT_EQ(record.crashes, 0);
  EXPECT_EQ(record.attempts, 0);
}

TEST_F(LedgerTransitionTest, ForgetDeletesAProcessingRecord) {
  const int64_t id = RecordIn(kProcessing);
  ASSERT_TRUE(Apply(LedgerOp::kForget, id).ok());
  EXPECT_FALSE(Find(id).has_value());
}

TEST_F(LedgerTransitionTest, SetFinalPathKeepsLoaded) {
  const int64_t id = RecordIn(kLoaded);
  ASSERT_TRUE(Apply(LedgerOp::kSetFinalPath, id).ok());
  EXPECT_EQ(Record(id).state, kLoaded);
  EXPECT_EQ(Record(id).final_path, "/done/x.csv");
}

TEST_F(LedgerTransitionTest, SetFinalPathKeepsDuplicate) {
  const int64_t id = RecordIn(kDuplicate);
  ASSERT_TRUE(Apply(LedgerOp::kSetFinalPath, id).ok());
  EXPECT_EQ(Record(id).state, kDuplicate);
  EXPECT_EQ(Record(id).final_path, "/done/x.csv");
}

TEST_F(LedgerTransitionTest, SetFinalPathKeepsQuarantined) {
  const int64_t id = RecordIn(kQuarantined);
  ASSERT_TRUE(Apply(LedgerOp::kSetFinalPath, id).ok());
  EXPECT_EQ(Record(id).state, kQuarantined);
  EXPECT_EQ(Record(id).final_path, "/done/x.csv");
}

// The bug this state machine fixes: a refused file could be recorded loaded.
TEST_F(LedgerTransitionTest, MarkLoadedIsRefusedOnAQuarantinedRecord) {
  const int64_t id = RecordIn(kQuarantined);
  const Status loaded = ledger_->MarkLoaded(id, {5, 0, 0, 10});
  EXPECT_EQ(loaded.code(), StatusCode::kInternal) << loaded.ToString();
  EXPECT_EQ(loaded.message(), "ledger: mark loaded refused for file record " + std::to_string(id) +
                                  " (/in/0123.csv): it is quarantined, expected processing");
  EXPECT_EQ(Record(id).state, kQuarantined);
  EXPECT_EQ(Record(id).rows_loaded, 0u);
}

// Refused: every operation in every state the table does not allow it from.

struct Refused {
  LedgerOp op;
  FileState from;
};

std::vector<Refused> AllRefused() {
  std::vector<Refused> refused;
  for (LedgerOp op : kAllLedgerOps) {
    for (FileState from : kAllFileStates) {
      const bool allowed = std::any_of(kExpected.begin(), kExpected.end(),
                                       [&](const auto& t) { return t.op == op && t.from == from; });
      if (!allowed) refused.push_back({op, from});
    }
  }
  return refused;
}

std::string Camel(std::string_view name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == ' ') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

class LedgerRefusedTransitionTest : public LedgerTransitionTest,
                                    public ::testing::WithParamInterface<Refused> {};

TEST_P(LedgerRefusedTransitionTest, ChangesNothing) {
  const auto [op, from] = GetParam();
  const int64_t id = RecordIn(from);
  const FileRecord before = Record(id);
  const Status status = Apply(op, id);
  if (op == LedgerOp::kClaim || op == LedgerOp::kRequeue) {
    // Not addressed to one record: the claim settles the sighting otherwise, the
    // requeue finds nothing to move.
    EXPECT_TRUE(status.ok()) << status.ToString();
  } else {
    EXPECT_EQ(status.code(), StatusCode::kInternal) << status.ToString();
    const std::string& message = status.message();
    EXPECT_NE(message.find(std::string(LedgerOpName(op)) + " refused for file record " +
                           std::to_string(id)),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("it is " + std::string(FileStateName(from)) + ", expected "),
              std::string::npos)
        << message;
  }
  const std::optional<FileRecord> after = Find(id);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(Fields(*after), Fields(before));
}

INSTANTIATE_TEST_SUITE_P(LedgerTransitionTest, LedgerRefusedTransitionTest,
                         ::testing::ValuesIn(AllRefused()), [](const auto& info) {
                           return Camel(LedgerOpName(info.param.op)) + "From" +
                                  Camel(FileStateName(info.param.from));
                         });

TEST(LedgerTransitionTableTest, ListsExactlyTheTestedTransitions) {
  std::vector<std::tuple<std::optional<FileState>, std::optional<FileState>, LedgerOp>> table,
      expected;
  for (const FileTransition& t : kFileTransitions) table.push_back(Key(t));
  for (const FileTransition& t : kExpected) expected.push_back(Key(t));
  std::sort(table.begin(), table.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(table, expected);
  static_assert(TransitionSources(LedgerOp::kMarkLoaded, FileState::kLoaded).Has(kProcessing));
  static_assert(!TransitionSources(LedgerOp::kMarkLoaded, FileState::kLoaded).Has(kQuarantined));
}

// The failed-attempt count.

TEST_F(LedgerTransitionTest, AttemptsArePersistedAcrossCloseAndOpen) {
  const int64_t id = RecordIn(kProcessing);
  ASSERT_EQ(*ledger_->Release(id, "sink down"), 1);
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(Record(id).attempts, 1);

  const Claim again = ClaimOk(File(kHashA, "/in/0123.csv"));
  ASSERT_EQ(again.file_id, id);
  EXPECT_EQ(again.attempts, 1);
  ASSERT_EQ(*ledger_->Release(id, "sink down"), 2);
  ledger_ = Open();
  // Stopped while loading it: the crash counts too.
  ASSERT_EQ(ClaimOk(File(kHashA, "/in/0123.csv")).attempts, 2);
  ledger_ = Open();
  auto settled = ledger_->SettleCrashed(id, 3);
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->attempts, 3);
  EXPECT_EQ(settled->crashes, 1);
  ledger_ = Open();
  const FileRecord record = Record(id);
  EXPECT_EQ(record.attempts, 3);
  EXPECT_EQ(record.crashes, 1);
  // Put off is no failure; a load keeps the count as its history.
  ASSERT_EQ(ClaimOk(File(kHashA, "/in/0123.csv")).attempts, 3);
  ASSERT_TRUE(ledger_->Unclaim(id, "stop requested").ok());
  ASSERT_EQ(ClaimOk(File(kHashA, "/in/0123.csv")).attempts, 3);
  ASSERT_TRUE(ledger_->MarkLoaded(id, {}).ok());
  ledger_ = Open();
  EXPECT_EQ(Record(id).attempts, 3);
}

TEST_F(LedgerTransitionTest, EachContentCountsItsOwnAttempts) {
  const int64_t a = RecordIn(kProcessing, kHashA);
  const int64_t b = RecordIn(kProcessing, kHashB);
  ASSERT_EQ(*ledger_->Release(a, "x"), 1);
  ASSERT_EQ(*ledger_->Release(b, "x"), 1);
  ASSERT_EQ(ClaimOk(File(kHashA, "/in/0123.csv")).file_id, a);
  EXPECT_EQ(*ledger_->Release(a, "x"), 2);
  EXPECT_EQ(Record(b).attempts, 1);
}

}  // namespace
}  // namespace sluice

// SchedulerTest: the engine's scheduling decisions, driven by hand with a fake
// clock (a time point the test moves) and a jitter draw of 1 (every delay is its
// policy's ceiling). No threads, no sleeps: a worker is a Take followed by
// Completed.
#include "pipeline/scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = Scheduler::TimePoint;
using Paths = std::vector<std::string>;

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

Scheduler Make(size_t workers = 1, bool once = false, bool track_found = false) {
  Scheduler::Options options;
  options.workers = workers;
  options.once = once;
  options.track_found = track_found;
  options.draw = [] { return 1.0; };
  return Scheduler(std::move(options));
}

FileResult Result(FileOutcome outcome, uint64_t rows = 0, uint64_t bytes = 0) {
  FileResult r;
  r.outcome = outcome;
  r.rows = rows;
  r.bytes = bytes;
  return r;
}

FileResult RetryLater(int persisted_attempts = 0, bool sink_down = false) {
  FileResult r = Result(FileOutcome::kRetryLater);
  r.error = Status::Unavailable("connection refused");
  r.attempts = persisted_attempts;
  r.sink_down = sink_down;
  return r;
}

// A worker takes its share and every path it took ends with `result`; then the
// main loop settles.
std::vector<Scheduler::Settled> Work(Scheduler& s, const FileResult& result, TimePoint now) {
  Paths taken = s.Take();
  s.Completed(taken, std::vector<FileResult>(taken.size(), result));
  return s.Settle(now);
}

// Makes `path` fail with a report that the sink is down, at `now`.
void SinkGoesDown(Scheduler& s, const std::string& path, TimePoint now) {
  s.Plan({path}, 0, now);
  auto settled = Work(s, RetryLater(0, true), now);
  ASSERT_EQ(settled.size(), 1u);
  ASSERT_TRUE(settled[0].sink_went_down);
}

// The probe is first due at exactly `at`.
void ExpectProbeDueAt(const Scheduler& s, TimePoint at) {
  EXPECT_FALSE(s.ProbeDue(at - milliseconds(1)));
  EXPECT_TRUE(s.ProbeDue(at));
}

// The probe is first due `delay` after `now`; returns that time.
TimePoint ProbeDueAfter(const Scheduler& s, TimePoint now, milliseconds delay) {
  ExpectProbeDueAt(s, now + delay);
  return now + delay;
}

// The probe finds the sink back at `now`; the file that waited then loads.
void SinkComesBack(Scheduler& s, TimePoint now) {
  EXPECT_EQ(s.SinkBack(now), 1u);
  s.Plan({}, 0, now);
  EXPECT_EQ(Work(s, Result(FileOutcome::kLoaded), now).size(), 1u);
}

TEST(SchedulerTest, NewPathsAreQueuedOnceInTheOrderSighted) {
  Scheduler s = Make();
  EXPECT_EQ(s.Plan({"a", "b"}, 0, kT0).queued, 2u);
  // The watcher may report a path again (a rescan): it is queued already.
  EXPECT_EQ(s.Plan({"b", "a", "c"}, 0, kT0).queued, 1u);
  EXPECT_EQ(s.queued(), 3u);
  EXPECT_EQ(s.Take(), (Paths{"a", "b", "c"}));
  EXPECT_TRUE(s.Take().empty());
}

TEST(SchedulerTest, APathInFlightOrWaitingForARetryIsNotQueuedAgain) {
  Scheduler s = Make();
  s.Plan({"a"}, 0, kT0);
  ASSERT_EQ(s.Take(), Paths{"a"});
  EXPECT_EQ(s.Plan({"a"}, 0, kT0).queued, 0u);  // in flight
  s.Completed({"a"}, {RetryLater()});
  EXPECT_EQ(s.Plan({"a"}, 0, kT0).queued, 0u);  // completed, not yet settled
  s.Settle(kT0);
  ASSERT_EQ(s.due("a"), kT0 + seconds(1));
  EXPECT_EQ(s.Plan({"a"}, 0, kT0 + milliseconds(999)).queued, 0u);  // waiting
  // Due, and sighted in the same turn: queued once.
  EXPECT_EQ(s.Plan({"a"}, 0, kT0 + seconds(1)).queued, 1u);
  EXPECT_EQ(s.queued(), 1u);
  // Until it is settled its retry stays; while queued it is not queued again.
  EXPECT_EQ(s.Plan({"a"}, 0, kT0 + seconds(2)).queued, 0u);
  Work(s, Result(FileOutcome::kLoaded), kT0 + seconds(2));
  EXPECT_EQ(s.due("a"), std::nullopt);
  EXPECT_EQ(s.Plan({"a"}, 0, kT0 + seconds(2)).queued, 1u);  // sighted again: new content
}

TEST(SchedulerTest, RetryDelaysGrowWithAttemptsAndCap) {
  Scheduler s = Make();
  TimePoint now = kT0;
  s.Plan({"a"}, 0, now);
  const int expected_s[] = {1, 2, 4, 8, 16, 30, 30, 30};
  for (int want : expected_s) {
    ASSERT_EQ(s.queued(), 1u);
    Work(s, RetryLater(), now);
    ASSERT_TRUE(s.due("a"));
    EXPECT_EQ(*s.due("a") - now, seconds(want));
    now = *s.due("a");
    EXPECT_EQ(s.Plan({}, 0, now).queued, 1u);
  }
}

TEST(SchedulerTest, RetryDelayGoesByTheLedgersAttemptsWhenItHasThem) {
  Scheduler s = Make();
  s.Plan({"a", "b"}, 0, kT0);
  Paths taken = s.Take();
  // a failed 4 times before this run (and once now); b has no ledger count.
  s.Completed(taken, {RetryLater(5), RetryLater(0)});
  s.Settle(kT0);
  EXPECT_EQ(s.due("a"), kT0 + seconds(16));
  EXPECT_EQ(s.due("b"), kT0 + seconds(1));
}

TEST(SchedulerTest, DelaysAreDrawnBetweenHalfTheCeilingAndTheCeiling) {
  Scheduler::Options options;
  options.draw = [] { return 0.0; };
  Scheduler s(std::move(options));
  s.Plan({"a"}, 0, kT0);
  Work(s, RetryLater(4), kT0);
  EXPECT_EQ(s.due("a"), kT0 + seconds(4));  // ceiling 8 s
}

TEST(SchedulerTest, EachOutcomeUpdatesTheSummaryAndTheFilesDone) {
  Scheduler s = Make();
  s.Plan({"loaded", "dup", "bad", "done", "gone", "stopped", "later"}, 0, kT0);
  Paths taken = s.Take();
  ASSERT_EQ(taken.size(), 7u);
  s.Completed(taken, {Result(FileOutcome::kLoaded, 10, 100), Result(FileOutcome::kDuplicate, 0, 20),
                      Result(FileOutcome::kQuarantined, 0, 3), Result(FileOutcome::kAlreadyDone),
                      Result(FileOutcome::kGone), Result(FileOutcome::kInterrupted), RetryLater()});
  auto settled = s.Settle(kT0);
  ASSERT_EQ(settled.size(), 7u);
  EXPECT_EQ(settled[0].path, "loaded");
  EXPECT_EQ(settled[0].result.rows, 10u);
  const RunSummary& sum = s.summary();
  EXPECT_EQ(sum.loaded, 1u);
  EXPECT_EQ(sum.rows, 10u);
  EXPECT_EQ(sum.duplicates, 1u);
  EXPECT_EQ(sum.quarantined, 1u);
  EXPECT_EQ(sum.failed, 0u);
  // Every outcome but "retry later" finishes the file.
  EXPECT_EQ(s.files_done(), 6u);
  EXPECT_EQ(s.bytes_done(), 123u);
  EXPECT_TRUE(s.due("later"));
  for (const char* p : {"loaded", "dup", "bad", "done", "gone", "stopped"}) {
    EXPECT_FALSE(s.due(p)) << p;
  }
  EXPECT_EQ(s.backlog(kT0).files, 1u);
}

TEST(SchedulerTest, SinkDownHoldsEverythingUntilTheProbeFindsItBack) {
  Scheduler s = Make(2);
  s.Plan({"a", "b", "c", "d", "e"}, 0, kT0);
  Paths first = s.Take();  // 5 / 2 workers
  ASSERT_EQ(first, (Paths{"a", "b"}));
  s.Completed(first, {RetryLater(0, true), Result(FileOutcome::kLoaded)});
  auto settled = s.Settle(kT0);
  EXPECT_TRUE(settled[0].sink_went_down);
  EXPECT_FALSE(settled[1].sink_went_down);
  EXPECT_TRUE(s.sink_down());

  // What was queued and not taken waits; new files too; nothing is handed out,
  // even once the retry of "a" is due.
  EXPECT_EQ(s.Plan({"f"}, 0, kT0).queued, 0u);
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_TRUE(s.Take().empty());
  EXPECT_EQ(s.Plan({}, 0, kT0 + seconds(60)).queued, 0u);
  EXPECT_EQ(s.backlog(kT0).files, 5u);  // a, c, d, e, f

  ExpectProbeDueAt(s, kT0 + seconds(1));
  s.ProbeFailed(kT0 + seconds(1));
  EXPECT_FALSE(s.ProbeDue(kT0 + seconds(2)));
  EXPECT_EQ(s.Plan({}, 0, kT0 + seconds(2)).queued, 0u);

  const TimePoint back = kT0 + seconds(3);
  ASSERT_TRUE(s.ProbeDue(back));
  EXPECT_EQ(s.SinkBack(back), 5u);
  EXPECT_FALSE(s.sink_down());
  EXPECT_FALSE(s.ProbeDue(back + seconds(100)));
  // Everything waiting is due at once, by path.
  EXPECT_EQ(s.Plan({}, 0, back).queued, 5u);
  EXPECT_EQ(s.Take(), (Paths{"a", "c"}));
}

TEST(SchedulerTest, ASinkReportedDownWhileDownDoesNotRestartTheProbe) {
  Scheduler s = Make(2);
  s.Plan({"a", "b"}, 0, kT0);
  Paths taken = s.Take();
  Paths other = s.Take();
  s.Completed(taken, {RetryLater(0, true)});
  EXPECT_TRUE(s.Settle(kT0)[0].sink_went_down);
  s.Completed(other, {RetryLater(0, true)});
  EXPECT_FALSE(s.Settle(kT0 + milliseconds(500))[0].sink_went_down);
  ExpectProbeDueAt(s, kT0 + seconds(1));
}

TEST(SchedulerTest, ProbeBackoffGrowsAndIsKeptWhenTheSinkFlapsWithinAMinute) {
  Scheduler s = Make();
  TimePoint now = kT0;
  SinkGoesDown(s, "a", now);
  for (int delay : {1, 2}) {
    now = ProbeDueAfter(s, now, seconds(delay));
    s.ProbeFailed(now);
  }
  now = ProbeDueAfter(s, now, seconds(4));
  SinkComesBack(s, now);

  // Down again 30 s after it came back (it answers pings, refuses loads): the
  // probe goes on from where it was.
  now += seconds(30);
  SinkGoesDown(s, "b", now);
  now = ProbeDueAfter(s, now, seconds(8));
  s.ProbeFailed(now);
  now = ProbeDueAfter(s, now, seconds(16));
  SinkComesBack(s, now);

  // Down again more than a minute later: a new outage, the probe starts over.
  now += seconds(61);
  SinkGoesDown(s, "c", now);
  ProbeDueAfter(s, now, seconds(1));
}

TEST(SchedulerTest, ProbeBackoffCaps) {
  Scheduler s = Make();
  TimePoint now = kT0;
  SinkGoesDown(s, "a", now);
  for (int i = 0; i < 10; ++i) {
    now += seconds(30);
    s.ProbeFailed(now);
  }
  ExpectProbeDueAt(s, now + seconds(30));
}

TEST(SchedulerTest, OnceFinishesWhenNothingIsLeft) {
  Scheduler s = Make(1, true);
  EXPECT_FALSE(s.Plan({"a"}, 0, kT0).finished);
  EXPECT_FALSE(s.Plan({}, 0, kT0).finished);  // queued
  Paths taken = s.Take();
  EXPECT_FALSE(s.Plan({}, 0, kT0).finished);  // in flight
  s.Completed(taken, {RetryLater()});
  EXPECT_FALSE(s.Plan({}, 0, kT0).finished);  // completed, not settled
  s.Settle(kT0);
  EXPECT_FALSE(s.Plan({}, 0, kT0).finished);  // waiting for its retry
  s.Plan({}, 0, kT0 + seconds(1));
  Work(s, Result(FileOutcome::kLoaded), kT0 + seconds(1));
  EXPECT_FALSE(s.Plan({}, 1, kT0 + seconds(1)).finished);  // the watcher waits on one
  EXPECT_TRUE(s.Plan({}, 0, kT0 + seconds(1)).finished);
  EXPECT_EQ(s.summary().loaded, 1u);
  EXPECT_EQ(s.summary().failed, 0u);
}

TEST(SchedulerTest, OnceGivesUpAfterThreeFailedAttempts) {
  Scheduler s = Make(1, true);
  TimePoint now = kT0;
  s.Plan({"a"}, 0, now);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_EQ(s.queued(), 1u) << attempt;
    auto settled = Work(s, RetryLater(), now);
    ASSERT_EQ(settled.size(), 1u);
    EXPECT_EQ(settled[0].gave_up, attempt == 3);
    if (attempt < 3) {
      now = *s.due("a");
      EXPECT_FALSE(s.Plan({}, 0, now).finished);
    }
  }
  EXPECT_FALSE(s.due("a"));
  EXPECT_EQ(s.summary().failed, 1u);
  EXPECT_EQ(s.files_done(), 1u);
  EXPECT_TRUE(s.Plan({}, 0, now).finished);
}

TEST(SchedulerTest, RunKeepsRetryingPastThreeAttempts) {
  Scheduler s = Make(1, false);
  s.Plan({"a"}, 0, kT0);
  auto settled = Work(s, RetryLater(7), kT0);
  EXPECT_FALSE(settled[0].gave_up);
  EXPECT_EQ(s.due("a"), kT0 + seconds(30));
  EXPECT_EQ(s.summary().failed, 0u);
}

TEST(SchedulerTest, OnceGivesUpByTheAttemptsTheLedgerKeptAcrossRestarts) {
  Scheduler s = Make(1, true);
  s.Plan({"old", "young"}, 0, kT0);
  Paths taken = s.Take();
  // "old" failed twice in earlier runs and now a third time; "young" failed once before.
  s.Completed(taken, {RetryLater(3), RetryLater(2)});
  auto settled = s.Settle(kT0);
  EXPECT_TRUE(settled[0].gave_up);
  EXPECT_FALSE(settled[1].gave_up);
  EXPECT_EQ(s.summary().failed, 1u);
  EXPECT_EQ(s.due("young"), kT0 + seconds(2));
}

TEST(SchedulerTest, OnceStopsAtOnceWhenTheSinkIsDownCountingWhatIsLeftAsFailed) {
  Scheduler s = Make(2, true);
  s.Plan({"a", "b", "c", "d", "e"}, 0, kT0);
  Paths first = s.Take();   // a, b
  Paths second = s.Take();  // c
  ASSERT_EQ(second, Paths{"c"});
  s.Completed(first, {RetryLater(0, true), Result(FileOutcome::kLoaded)});
  s.Settle(kT0);
  EXPECT_FALSE(s.ProbeDue(kT0 + seconds(60)));  // once never waits for the sink
  Scheduler::Turn turn = s.Plan({"f"}, 3, kT0);
  EXPECT_TRUE(turn.finished);
  // a (waiting), c (in flight), d and e (queued); f and the unsettled ones were
  // never queued.
  EXPECT_EQ(turn.abandoned, 4u);
  EXPECT_EQ(turn.queued, 0u);
  EXPECT_EQ(s.summary().failed, 4u);
  EXPECT_EQ(s.summary().loaded, 1u);
}

// A retry in flight is both waiting (it has a due time) and in flight; the
// engine counted it twice as failed when `once` stopped for the sink.
TEST(SchedulerTest, OnceWithTheSinkDownCountsARetryInFlightOnce) {
  Scheduler s = Make(2, true);
  s.Plan({"a", "b"}, 0, kT0);
  Paths a = s.Take();
  Paths b = s.Take();
  ASSERT_EQ(a, Paths{"a"});
  s.Completed(a, {RetryLater()});
  s.Settle(kT0);
  ASSERT_EQ(s.Plan({}, 0, kT0 + seconds(1)).queued, 1u);
  ASSERT_EQ(s.Take(), Paths{"a"});  // the retry of a, in flight
  s.Completed(b, {RetryLater(0, true)});
  s.Settle(kT0 + seconds(1));
  Scheduler::Turn turn = s.Plan({}, 0, kT0 + seconds(1));
  EXPECT_TRUE(turn.finished);
  EXPECT_EQ(turn.abandoned, 2u);
  EXPECT_EQ(s.summary().failed, 2u);
}

TEST(SchedulerTest, BacklogCountsWaitingFilesAndTheOldestAge) {
  Scheduler s = Make();
  EXPECT_EQ(s.backlog(kT0).files, 0u);
  EXPECT_EQ(s.backlog(kT0).oldest_age_seconds, 0.0);
  s.Plan({"a"}, 0, kT0);
  s.Plan({"b"}, 0, kT0 + seconds(5));
  Scheduler::Backlog b = s.backlog(kT0 + seconds(10));
  EXPECT_EQ(b.files, 2u);
  EXPECT_EQ(b.oldest_age_seconds, 10.0);

  Paths taken = s.Take();
  s.Completed(taken, {Result(FileOutcome::kLoaded), RetryLater()});
  s.Settle(kT0 + seconds(10));
  // b waits for its retry; it has waited since it was first sighted.
  b = s.backlog(kT0 + seconds(10));
  EXPECT_EQ(b.files, 1u);
  EXPECT_EQ(b.oldest_age_seconds, 5.0);
  s.Plan({}, 0, kT0 + seconds(11));  // b queued again, still one file
  b = s.backlog(kT0 + seconds(12));
  EXPECT_EQ(b.files, 1u);
  EXPECT_EQ(b.oldest_age_seconds, 7.0);
  Work(s, Result(FileOutcome::kLoaded), kT0 + seconds(12));
  b = s.backlog(kT0 + seconds(12));
  EXPECT_EQ(b.files, 0u);
  EXPECT_EQ(b.oldest_age_seconds, 0.0);
}

TEST(SchedulerTest, AWorkerTakesAFairShareOfTheQueue) {
  Scheduler four = Make(4);
  Paths many;
  for (int i = 0; i < 10; ++i) many.push_back(std::to_string(i));
  four.Plan(many, 0, kT0);
  EXPECT_EQ(four.Take().size(), 2u);  // 10 / 4
  EXPECT_EQ(four.Take().size(), 2u);  // 8 / 4
  EXPECT_EQ(four.Take().size(), 1u);  // 6 / 4
  EXPECT_EQ(four.Take().size(), 1u);  // 5 / 4
  EXPECT_EQ(four.Take().size(), 1u);  // 4 / 4
  EXPECT_EQ(four.Take().size(), 1u);  // 3 / 4, at least one
  EXPECT_EQ(four.queued(), 2u);

  Scheduler one = Make(1);
  Paths lots;
  const size_t n = FileLoader::kGroupFiles + 36;
  for (size_t i = 0; i < n; ++i) lots.push_back(std::to_string(i));
  one.Plan(lots, 0, kT0);
  EXPECT_EQ(one.Take().size(), FileLoader::kGroupFiles);  // at most a group
  EXPECT_EQ(one.Take().size(), 36u);
  EXPECT_TRUE(one.Take().empty());
}

TEST(SchedulerTest, FirstSightingsAreReportedForTheProgressBar) {
  Scheduler s = Make(1, true, true);
  EXPECT_EQ(s.Plan({"a", "b"}, 0, kT0).first_seen, (Paths{"a", "b"}));
  EXPECT_EQ(s.Plan({"a", "c"}, 0, kT0).first_seen, Paths{"c"});
  EXPECT_EQ(s.files_found(), 3u);

  Scheduler untracked = Make(1, true, false);
  EXPECT_TRUE(untracked.Plan({"a"}, 0, kT0).first_seen.empty());
  EXPECT_EQ(untracked.files_found(), 0u);
}

}  // namespace
}  // namespace sluice

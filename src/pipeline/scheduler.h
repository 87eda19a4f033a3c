// Scheduler: decides which files the engine's workers load and when. It keeps
// the queue of ready paths, the paths in flight, the due times of retries, how
// long each file has waited (the backlog), the sink's outage (held files, the
// probe's due time) and `once`'s termination, and counts the outcomes.
//
// It is a state machine and nothing more: time comes in as `now` on every call,
// the jitter of delays from an injected draw, and every decision goes back to
// the caller (Engine::Run), which owns the threads, the watcher, the sink's
// ping, the log and the metrics. No call blocks, sleeps or does I/O.
//
// Thread-safety: none; the engine calls it under its own mutex, from its main
// thread and its workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/retry_policy.h"
#include "pipeline/file_loader.h"

namespace sluice {

struct RunSummary {
  uint64_t loaded = 0;
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;
  uint64_t failed = 0;  // given up on for now (sink down past the retry budget)
  uint64_t rows = 0;
};

class Scheduler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // A file whose load failed transiently is tried again after this (its loader
  // already retried within the retry budget), by its count of failed attempts.
  static constexpr RetryPolicy kFileRetry{std::chrono::seconds(1), std::chrono::seconds(30)};
  // The probe of a sink that is down, by the probes since it went down.
  static constexpr RetryPolicy kSinkProbe{std::chrono::seconds(1), std::chrono::seconds(30)};
  // A sink that goes down again this soon after its probe found it back (one that
  // answers pings but refuses loads) keeps its probe's backoff.
  static constexpr std::chrono::minutes kFlapWindow{1};
  // `once` gives up on a file after this many failed attempts, so that it ends
  // (with exit code 1) while the sink keeps failing.
  static constexpr int kOnceMaxAttempts = 3;

  struct Options {
    size_t workers = 1;
    bool once = false;
    // Remember every path sighted, for the progress bar's file total.
    bool track_found = false;
    // Draws the jitter of retry and probe delays, in [0, 1] (1 gives the policy's
    // ceiling); unset, a random draw.
    std::function<double()> draw;
  };

  // What became of one file's result.
  struct Settled {
    std::string path;
    FileResult result;
    bool sink_went_down = false;  // this result reported the sink down: hold the files
    bool gave_up = false;         // `once` gave up on the file (counted as failed)
  };

  // What to do after a turn (Plan).
  struct Turn {
    size_t queued = 0;                    // paths newly queued: wake as many workers
    std::vector<std::string> first_seen;  // sighted for the first time (track_found)
    // `once`: stop. Everything is done, or the sink is down (sink_down()): `once`
    // does not wait for it, and the files left (waiting, queued or in flight) are
    // `abandoned`, counted as failed.
    bool finished = false;
    uint64_t abandoned = 0;
  };

  struct Backlog {
    uint64_t files = 0;  // queued, in flight or waiting for a retry
    double oldest_age_seconds = 0;
  };

  explicit Scheduler(Options options);

  // The engine's main thread, once per turn, in this order.

  // True when the sink is down and its probe is due (never in `once`); the
  // caller pings the sink and reports with SinkBack or ProbeFailed.
  bool ProbeDue(TimePoint now) const;
  // The probe found the sink back: every waiting file is due now. Returns their
  // number.
  size_t SinkBack(TimePoint now);
  // The probe failed: the next one is due after a longer delay.
  void ProbeFailed(TimePoint now);
  // Takes the results the workers completed since the last call and updates the
  // queue, retries, outage and counts from them, in order.
  std::vector<Settled> Settle(TimePoint now);
  // Queues the `sighted` paths (those the watcher reported ready) except those
  // already queued, in flight or waiting for a retry, and the retries now due.
  // While the sink is down nothing is queued: what is queued and not yet taken
  // waits with the rest, due at once when the sink is back. `unsettled`: files
  // the watcher still waits on, which keep `once` going.
  Turn Plan(const std::vector<std::string>& sighted, size_t unsettled, TimePoint now);

  // The workers' side.

  // Takes a fair share of the queue for one worker (its length divided by the
  // workers, 1 to FileLoader::kGroupFiles paths), so that small files load in
  // groups while every worker stays busy; empty if nothing is queued.
  std::vector<std::string> Take();
  // A worker's outcomes of the paths it took, one per path in order.
  void Completed(std::vector<std::string> paths, std::vector<FileResult> results);

  size_t queued() const { return queue_.size(); }
  bool has_completed() const { return !completed_.empty(); }
  bool sink_down() const { return sink_down_; }
  // Files queued, in flight or waiting for a retry, and how long the oldest of
  // them has waited since it was sighted.
  Backlog backlog(TimePoint now) const;
  // Files done (anything but retry later, and those `once` gave up on) and their
  // bytes; files sighted (with track_found).
  uint64_t files_done() const { return files_done_; }
  uint64_t bytes_done() const { return bytes_done_; }
  uint64_t files_found() const { return found_.size(); }
  const RunSummary& summary() const { return summary_; }
  // When the file at `path` is due again; nullopt unless it waits for a retry.
  std::optional<TimePoint> due(const std::string& path) const;

 private:
  struct Retry {
    TimePoint due;
    int attempts = 0;  // failed attempts counted here (the ledger's when it has them)
  };
  std::chrono::milliseconds Delay(const RetryPolicy& policy, int retry);
  Settled Finish(std::string path, FileResult result, TimePoint now);
  void Enqueue(const std::string& path, TimePoint now, Turn& turn);

  Options options_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> active_;  // queued, in flight, or completed and not settled
  std::vector<std::pair<std::string, FileResult>> completed_;
  std::map<std::string, Retry> retries_;  // ordered: waiting files are requeued by path
  std::unordered_map<std::string, TimePoint> waiting_since_;  // sighted and not done
  std::unordered_set<std::string> found_;                     // only with track_found
  bool sink_down_ = false;
  int probes_ = 0;  // delays drawn since the sink went down (or since it flapped)
  TimePoint probe_at_;
  std::optional<TimePoint> up_at_;  // when the probe last found the sink back
  RunSummary summary_;
  uint64_t files_done_ = 0;
  uint64_t bytes_done_ = 0;
};

}  // namespace sluice

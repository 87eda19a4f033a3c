#include "pipeline/scheduler.h"

#include <algorithm>
#include <iterator>

namespace sluice {

Scheduler::Scheduler(Options options) : options_(std::move(options)) {
  options_.workers = std::max<size_t>(options_.workers, 1);
}

std::chrono::milliseconds Scheduler::Delay(const RetryPolicy& policy, int retry) {
  return options_.draw ? policy.Delay(retry, options_.draw()) : policy.Delay(retry);
}

bool Scheduler::ProbeDue(TimePoint now) const {
  // `once` does not wait for the sink, so it never probes it.
  return sink_down_ && !options_.once && now >= probe_at_;
}

size_t Scheduler::SinkBack(TimePoint now) {
  sink_down_ = false;
  up_at_ = now;
  for (auto& [path, retry] : retries_) retry.due = now;
  return retries_.size();
}

void Scheduler::ProbeFailed(TimePoint now) { probe_at_ = now + Delay(kSinkProbe, ++probes_); }

std::vector<Scheduler::Settled> Scheduler::Settle(TimePoint now) {
  std::vector<Settled> settled;
  settled.reserve(completed_.size());
  for (auto& [path, result] : completed_) {
    settled.push_back(Finish(std::move(path), std::move(result), now));
  }
  completed_.clear();
  return settled;
}

Scheduler::Settled Scheduler::Finish(std::string path, FileResult result, TimePoint now) {
  Settled s{std::move(path), std::move(result)};
  const std::string& p = s.path;
  const FileResult& r = s.result;
  active_.erase(p);
  if (r.outcome != FileOutcome::kRetryLater) {
    waiting_since_.erase(p);
    retries_.erase(p);
    ++files_done_;
    bytes_done_ += r.bytes;
  }
  switch (r.outcome) {
    case FileOutcome::kLoaded:
      ++summary_.loaded;
      summary_.rows += r.rows;
      break;
    case FileOutcome::kDuplicate:
      ++summary_.duplicates;
      break;
    case FileOutcome::kQuarantined:
      ++summary_.quarantined;
      break;
    case FileOutcome::kRetryLater: {
      // The ledger's count survives restarts; a file it keeps no count for is
      // counted here.
      auto it = retries_.find(p);
      const int attempts =
          r.attempts > 0 ? r.attempts : (it != retries_.end() ? it->second.attempts + 1 : 1);
      if (r.sink_down && !sink_down_) {
        sink_down_ = true;
        s.sink_went_down = true;
        if (!up_at_ || now - *up_at_ > kFlapWindow) probes_ = 0;
        probe_at_ = now + Delay(kSinkProbe, ++probes_);
      }
      if (options_.once && attempts >= kOnceMaxAttempts) {
        ++summary_.failed;
        ++files_done_;
        waiting_since_.erase(p);
        if (it != retries_.end()) retries_.erase(it);
        s.gave_up = true;
      } else {
        retries_[p] = Retry{now + Delay(kFileRetry, attempts), attempts};
      }
      break;
    }
    case FileOutcome::kAlreadyDone:
    case FileOutcome::kGone:
    case FileOutcome::kInterrupted:
      break;
  }
  return s;
}

Scheduler::Turn Scheduler::Plan(const std::vector<std::string>& sighted, size_t unsettled,
                                TimePoint now) {
  Turn turn;
  if (sink_down_) {
    for (const auto& path : queue_) {
      active_.erase(path);
      retries_.emplace(path, Retry{now, 0});
    }
    queue_.clear();
    if (options_.once) {
      // Left: every file waiting, and those in flight (a retry in flight is both,
      // and counted once). They stay pending in the ledger.
      uint64_t left = retries_.size();
      for (const auto& path : active_) left += retries_.count(path) ? 0 : 1;
      turn.finished = true;
      turn.abandoned = left;
      summary_.failed += left;
      return turn;
    }
  }
  for (const auto& path : sighted) {
    if (!retries_.count(path)) Enqueue(path, now, turn);
  }
  if (!sink_down_) {
    for (const auto& [path, retry] : retries_) {
      if (retry.due <= now) Enqueue(path, now, turn);
    }
  }
  // Whatever is queued or in flight is active, and a file waiting for a retry is
  // in retries_, so nothing is left when both are empty.
  turn.finished = options_.once && active_.empty() && retries_.empty() && unsettled == 0;
  return turn;
}

void Scheduler::Enqueue(const std::string& path, TimePoint now, Turn& turn) {
  waiting_since_.emplace(path, now);
  if (options_.track_found && found_.insert(path).second) turn.first_seen.push_back(path);
  if (sink_down_) {
    retries_.emplace(path, Retry{now, 0});
  } else if (active_.insert(path).second) {
    queue_.push_back(path);
    ++turn.queued;
  }
}

std::vector<std::string> Scheduler::Take() {
  if (queue_.empty()) return {};
  const size_t take =
      std::clamp<size_t>(queue_.size() / options_.workers, 1, FileLoader::kGroupFiles);
  std::vector<std::string> paths(std::make_move_iterator(queue_.begin()),
                                 std::make_move_iterator(queue_.begin() + take));
  queue_.erase(queue_.begin(), queue_.begin() + take);
  return paths;
}

void Scheduler::Completed(std::vector<std::string> paths, std::vector<FileResult> results) {
  for (size_t i = 0; i < paths.size() && i < results.size(); ++i) {
    completed_.emplace_back(std::move(paths[i]), std::move(results[i]));
  }
}

Scheduler::Backlog Scheduler::backlog(TimePoint now) const {
  TimePoint oldest = now;
  for (const auto& [path, since] : waiting_since_) oldest = std::min(oldest, since);
  uint64_t waiting = 0;
  for (const auto& [path, retry] : retries_) waiting += active_.count(path) ? 0 : 1;
  return {active_.size() + waiting, std::chrono::duration<double>(now - oldest).count()};
}

std::optional<Scheduler::TimePoint> Scheduler::due(const std::string& path) const {
  auto it = retries_.find(path);
  if (it == retries_.end()) return std::nullopt;
  return it->second.due;
}

}  // namespace sluice

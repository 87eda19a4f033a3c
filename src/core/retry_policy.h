// RetryPolicy: the one rule for how long to wait before trying something
// transient again (a sink's load, a ledger write, a file's next try, the probe of
// a sink that is down, a clean-up that waits for the database): exponential
// delays capped at `max`, with jitter so that workers that failed together do
// not retry together. Each user names its policy as a constant beside its loop.
//
// Thread-safety: RetryPolicy is a value; Delay(retry) without a random draw uses
// a thread-local generator. A Backoff has one owner.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace sluice {

struct RetryPolicy {
  std::chrono::milliseconds initial;
  std::chrono::milliseconds max;

  // The longest delay before retry number `retry` (1 for the first): initial
  // doubled retry-1 times, at most max.
  constexpr std::chrono::milliseconds Ceiling(int retry) const {
    auto d = initial;
    for (int i = 1; i < retry && d < max; ++i) d *= 2;
    return std::min(d, max);
  }
  // The delay before retry number `retry`, given `unit` drawn uniformly from
  // [0, 1): in [Ceiling/2, Ceiling].
  constexpr std::chrono::milliseconds Delay(int retry, double unit) const {
    const auto cap = Ceiling(retry).count();
    const auto low = cap / 2;
    return std::chrono::milliseconds(std::min<int64_t>(
        cap, low + static_cast<int64_t>(unit * static_cast<double>(cap - low + 1))));
  }
  // As above, drawn from this thread's generator.
  std::chrono::milliseconds Delay(int retry) const {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return Delay(retry, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  }
};

// Successive delays of one policy: the first Next() is retry 1.
class Backoff {
 public:
  explicit Backoff(RetryPolicy policy) : policy_(policy) {}
  std::chrono::milliseconds Next() { return policy_.Delay(++retries_); }
  int retries() const { return retries_; }

 private:
  RetryPolicy policy_;
  int retries_ = 0;
};

}  // namespace sluice

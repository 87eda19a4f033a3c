// Backoff: exponential delays with full jitter for retrying transient faults.
//
// Thread-safety: one owner.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace sluice {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : next_(initial), max_(max), rng_(std::random_device{}()) {}

  // The delay before the next try: uniform in [next/2, next], then next doubles up
  // to max. Jitter keeps workers that failed together from retrying together.
  std::chrono::milliseconds Next() {
    auto cap = next_;
    next_ = std::min(next_ * 2, max_);
    std::uniform_int_distribution<int64_t> d(cap.count() / 2, cap.count());
    return std::chrono::milliseconds(d(rng_));
  }

 private:
  std::chrono::milliseconds next_;
  std::chrono::milliseconds max_;
  std::mt19937_64 rng_;
};

}  // namespace sluice

// Wall-clock time as sluice records it: microseconds since the Unix epoch, UTC.
//
// Thread-safety: pure function.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice {

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice

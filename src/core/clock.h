// Wall-clock time as sluice records it: microseconds since the Unix epoch, UTC.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace sluice {

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `micros` as ISO 8601 UTC to the second: "2026-11-22T07:48:00Z".
inline std::string FormatTimeUtc(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace sluice

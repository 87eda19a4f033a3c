// Progress: a one-line progress bar for `sluice once` on a terminal — files and
// bytes done of the total known so far, the rate and the time left.
//
// Thread-safety: a ProgressBar is used from one thread (the engine's loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace sluice {

struct ProgressCounts {
  uint64_t files_done = 0;
  uint64_t files_total = 0;  // grows as files are found
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
};

// The bar line for `counts` after `seconds`, at most `width` columns, e.g.
// "[#######.............]  120/2000 files  3.1/50.2 MiB  12.3 MiB/s  ETA 4s".
// The rate and time left come from bytes (files when no size is known yet).
std::string FormatProgress(const ProgressCounts& counts, double seconds, size_t width);

class ProgressBar {
 public:
  // Draws on `out` (a terminal), redrawing at most 10 times a second. While the
  // bar is shown, log lines clear it first (see SetLogClearsLine).
  explicit ProgressBar(FILE* out);
  // Ends the bar's line.
  ~ProgressBar();

  void Update(const ProgressCounts& counts);

 private:
  void Draw(const ProgressCounts& counts);

  FILE* out_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  ProgressCounts last_;
  bool drawn_ = false;
};

}  // namespace sluice

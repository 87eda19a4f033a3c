#include "observe/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "observe/log.h"

namespace sluice {
namespace {

std::string Bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string Duration(double s) {
  char buf[32];
  if (s < 60) {
    snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 3600) {
    snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  } else {
    snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600,
             static_cast<int>(s) % 3600 / 60);
  }
  return buf;
}

}  // namespace

std::string FormatProgress(const ProgressCounts& c, double seconds, size_t width) {
  std::string text = "  " + std::to_string(c.files_done) + "/" + std::to_string(c.files_total) +
                     " files  " + Bytes(static_cast<double>(c.bytes_done)) + "/" +
                     Bytes(static_cast<double>(c.bytes_total));
  bool by_bytes = c.bytes_total > 0;
  double done = by_bytes ? static_cast<double>(c.bytes_done) : static_cast<double>(c.files_done);
  double total = by_bytes ? static_cast<double>(c.bytes_total) : static_cast<double>(c.files_total);
  if (seconds > 0 && done > 0) {
    double rate = done / seconds;
    text += "  " +
            (by_bytes ? Bytes(rate) : std::to_string(static_cast<int64_t>(rate)) + " files") + "/s";
    if (total > done) text += "  ETA " + Duration((total - done) / rate);
  }
  double fraction = total > 0 ? std::min(1.0, done / total) : 0.0;
  size_t bar = width > text.size() + 12 ? std::min<size_t>(40, width - text.size() - 2) : 10;
  auto filled = static_cast<size_t>(std::round(fraction * static_cast<double>(bar)));
  std::string line = "[" + std::string(filled, '#') + std::string(bar - filled, '.') + "]" + text;
  if (line.size() > width) line.resize(width);
  return line;
}

ProgressBar::ProgressBar(FILE* out)
    : out_(out), start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  SetLogClearsLine(true);
}

ProgressBar::~ProgressBar() {
  if (drawn_) {
    Draw(last_);
    fputc('\n', out_);
    fflush(out_);
  }
  SetLogClearsLine(false);
}

void ProgressBar::Update(const ProgressCounts& counts) {
  last_ = counts;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(counts);
}

void ProgressBar::Draw(const ProgressCounts& counts) {
  struct winsize ws;
  size_t width = ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // Carriage return, the line, then erase to the end of the line.
  std::string line = "\r" + FormatProgress(counts, seconds, width - 1) + "\033[K";
  fwrite(line.data(), 1, line.size(), out_);
  fflush(out_);
  drawn_ = true;
}

}  // namespace sluice

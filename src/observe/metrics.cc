#include "observe/metrics.h"

#include <charconv>
#include <chrono>
#include <cmath>

namespace sluice {
namespace {

void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendSeries(std::string& out, std::string_view name, const Labels& labels,
                  const std::pair<std::string, std::string>* extra, const std::string& value) {
  out += name;
  if (!labels.empty() || extra != nullptr) {
    out += '{';
    bool first = true;
    auto one = [&](const std::pair<std::string, std::string>& l) {
      if (!first) out += ',';
      first = false;
      out += l.first;
      out += "=\"";
      AppendEscaped(out, l.second, true);
      out += '"';
    };
    for (const auto& l : labels) one(l);
    if (extra != nullptr) one(*extra);
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

void Registry::Declare(std::string name, std::string help, Kind kind, std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  families_.push_back(Family{std::move(name), std::move(help), kind, std::move(buckets), {}});
}

void Registry::DeclareCounter(std::string name, std::string help) {
  Declare(std::move(name), std::move(help), Kind::kCounter, {});
}

void Registry::DeclareGauge(std::string name, std::string help) {
  Declare(std::move(name), std::move(help), Kind::kGauge, {});
}

void Registry::DeclareHistogram(std::string name, std::string help, std::vector<double> buckets) {
  Declare(std::move(name), std::move(help), Kind::kHistogram, std::move(buckets));
}

Registry::Family* Registry::Find(std::string_view name, Kind kind) {
  for (auto& f : families_) {
    if (f.name == name && f.kind == kind) return &f;
  }
  return nullptr;
}

void Registry::Add(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  if (Family* f = Find(name, Kind::kCounter); f != nullptr && value >= 0) {
    f->series[labels].value += value;
  }
}

void Registry::Set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  if (Family* f = Find(name, Kind::kGauge); f != nullptr) f->series[labels].value = value;
}

void Registry::Observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family* f = Find(name, Kind::kHistogram);
  if (f == nullptr) return;
  Series& s = f->series[labels];
  if (s.counts.empty()) s.counts.assign(f->buckets.size() + 1, 0);
  size_t i = 0;
  while (i < f->buckets.size() && value > f->buckets[i]) ++i;
  ++s.counts[i];
  s.sum += value;
  ++s.count;
}

double Registry::Value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f.name != name || f.kind == Kind::kHistogram) continue;
    auto it = f.series.find(labels);
    return it == f.series.end() ? 0 : it->second.value;
  }
  return 0;
}

std::string Registry::Expose() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + ' ';
    AppendEscaped(out, f.help, false);
    out += "\n# TYPE " + f.name + ' ';
    out += f.kind == Kind::kCounter ? "counter" : f.kind == Kind::kGauge ? "gauge" : "histogram";
    out += '\n';
    for (const auto& [labels, s] : f.series) {
      if (f.kind != Kind::kHistogram) {
        AppendSeries(out, f.name, labels, nullptr, FormatMetricValue(s.value));
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= f.buckets.size(); ++i) {
        cumulative += s.counts[i];
        std::pair<std::string, std::string> le{
            "le", i < f.buckets.size() ? FormatMetricValue(f.buckets[i]) : "+Inf"};
        AppendSeries(out, f.name + "_bucket", labels, &le, std::to_string(cumulative));
      }
      AppendSeries(out, f.name + "_sum", labels, nullptr, FormatMetricValue(s.sum));
      AppendSeries(out, f.name + "_count", labels, nullptr, std::to_string(s.count));
    }
  }
  return out;
}

IngestMetrics::IngestMetrics() {
  Registry& r = registry_;
  r.DeclareCounter("sluice_files_total", "Files finished, by table and outcome.");
  r.DeclareCounter("sluice_rows_loaded_total", "Rows committed to the sink, by table.");
  r.DeclareCounter("sluice_rows_rejected_total",
                   "Bad rows of finished files, by table and reason (the row error's kind).");
  r.DeclareCounter("sluice_rows_filtered_total",
                   "Rows of loaded files skipped by their table's filter, by table.");
  r.DeclareCounter("sluice_files_flagged_total",
                   "Loaded files whose mean of an aggregated column lay more than 3 standard "
                   "deviations from the earlier files' means, by table and column.");
  r.DeclareCounter("sluice_bytes_read_total", "Bytes of files read.");
  r.DeclareHistogram("sluice_load_duration_seconds",
                     "Time to load one file (loaded or quarantined), from claim to archive.",
                     {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});
  r.DeclareGauge("sluice_backlog_files", "Files queued, waiting to settle or waiting to retry.");
  r.DeclareGauge("sluice_oldest_pending_file_age_seconds",
                 "Age of the oldest file waiting to be loaded (0 when none).");
  r.DeclareCounter("sluice_sink_retries_total", "Loads retried after a transient sink error.");
  r.DeclareCounter("sluice_quarantine_move_failures_total",
                   "Refused files that could not be moved to quarantine (left pending).");
  r.DeclareGauge("sluice_sink_up", "1 if the sink answered the last load or ping, else 0.");
  r.DeclareGauge("sluice_source_up",
                 "1 while the landing folder is there and scanned, 0 while it is missing or "
                 "failing (sluice waits for it).");
  r.DeclareGauge("sluice_source_unwatched_dirs",
                 "Folders without an inotify watch (watch limit reached), found by rescans.");
  r.DeclareGauge("sluice_last_success_timestamp_seconds",
                 "Unix time of the last file loaded (0 before the first).");
  // Series without labels exist from the start so that alerts see them at once.
  r.Add("sluice_bytes_read_total", {}, 0);
  r.Add("sluice_sink_retries_total", {}, 0);
  r.Set("sluice_backlog_files", {}, 0);
  r.Set("sluice_oldest_pending_file_age_seconds", {}, 0);
  r.Set("sluice_sink_up", {}, 1);
  r.Set("sluice_last_success_timestamp_seconds", {}, 0);
  r.Set("sluice_source_up", {}, 1);
  r.Set("sluice_source_unwatched_dirs", {}, 0);
}

void IngestMetrics::FileDone(const std::string& table, std::string_view outcome, uint64_t rows,
                             uint64_t bytes, double seconds) {
  Registry& r = registry_;
  r.Add("sluice_files_total", {{"table", table}, {"outcome", std::string(outcome)}});
  r.Add("sluice_bytes_read_total", {}, static_cast<double>(bytes));
  if (outcome == "duplicate") return;
  r.Add("sluice_rows_loaded_total", {{"table", table}}, static_cast<double>(rows));
  r.Observe("sluice_load_duration_seconds", {}, seconds);
  r.Set("sluice_sink_up", {}, 1);
  if (outcome == "loaded") r.Set("sluice_last_success_timestamp_seconds", {}, NowSeconds());
}

void IngestMetrics::RowsRejected(const std::string& table, const RowErrorCounts& counts) {
  for (size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] == 0) continue;
    registry_.Add(
        "sluice_rows_rejected_total",
        {{"table", table}, {"reason", std::string(RowErrorKindName(static_cast<RowErrorKind>(k)))}},
        static_cast<double>(counts[k]));
  }
}

void IngestMetrics::RowsFiltered(const std::string& table, uint64_t rows) {
  registry_.Add("sluice_rows_filtered_total", {{"table", table}}, static_cast<double>(rows));
}

void IngestMetrics::FileFlagged(const std::string& table, const std::string& column) {
  registry_.Add("sluice_files_flagged_total", {{"table", table}, {"column", column}});
}

void IngestMetrics::SinkRetry() { registry_.Add("sluice_sink_retries_total", {}); }

void IngestMetrics::QuarantineMoveFailed() {
  registry_.Add("sluice_quarantine_move_failures_total", {});
}

void IngestMetrics::SetSinkUp(bool up) { registry_.Set("sluice_sink_up", {}, up ? 1 : 0); }

void IngestMetrics::SetSourceUp(bool up) { registry_.Set("sluice_source_up", {}, up ? 1 : 0); }

void IngestMetrics::SetUnwatchedDirs(uint64_t dirs) {
  registry_.Set("sluice_source_unwatched_dirs", {}, static_cast<double>(dirs));
}

void IngestMetrics::SetBacklog(uint64_t files, double oldest_age_seconds) {
  registry_.Set("sluice_backlog_files", {}, static_cast<double>(files));
  registry_.Set("sluice_oldest_pending_file_age_seconds", {}, oldest_age_seconds);
}

IngestMetrics& GlobalMetrics() {
  static IngestMetrics* metrics = new IngestMetrics();
  return *metrics;
}

}  // namespace sluice

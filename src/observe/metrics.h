// Metrics: a small registry of counters, gauges and fixed-bucket histograms with
// labels, rendered in the Prometheus text exposition format (version 0.0.4), and
// IngestMetrics, the named series sluice publishes.
//
// The pipeline pushes numbers here once per file or per poll of the watcher,
// never per row, so a plain mutex is cheap enough; observe/ knows nothing of the
// pipeline.
//
// Thread-safety: every method of Registry and IngestMetrics is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/row_error.h"

namespace sluice {

// Label pairs of one series, e.g. {{"table", "sales"}, {"outcome", "loaded"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // Declares a metric family; a name is declared once. `buckets` (histograms
  // only) are the upper bounds, ascending; +Inf is implicit.
  void DeclareCounter(std::string name, std::string help);
  void DeclareGauge(std::string name, std::string help);
  void DeclareHistogram(std::string name, std::string help, std::vector<double> buckets);

  // Adds `value` (>= 0) to a counter series. Requires a declared counter.
  void Add(std::string_view name, const Labels& labels, double value = 1);
  // Sets a gauge series. Requires a declared gauge.
  void Set(std::string_view name, const Labels& labels, double value);
  // Records one observation in a histogram series. Requires a declared histogram.
  void Observe(std::string_view name, const Labels& labels, double value);

  // The value of a counter or gauge series; 0 if it does not exist.
  double Value(std::string_view name, const Labels& labels) const;

  // Every family in declaration order, as Prometheus text exposition: HELP and
  // TYPE lines, then one line per series (histograms: cumulative _bucket lines,
  // _sum and _count). Label values are escaped (\\, \", \n).
  std::string Expose() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;              // counter, gauge
    std::vector<uint64_t> counts;  // histogram: per bucket (not cumulative), then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string name, help;
    Kind kind;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  Family* Find(std::string_view name, Kind kind);
  void Declare(std::string name, std::string help, Kind kind, std::vector<double> buckets);

  mutable std::mutex mu_;
  std::vector<Family> families_;
};

// Formats a sample value as Prometheus does: integers without a fraction,
// +Inf/-Inf/NaN by name, otherwise the shortest round-trip form.
std::string FormatMetricValue(double value);

// The series sluice publishes (see README, "Metrics").
class IngestMetrics {
 public:
  IngestMetrics();

  // One file finished: `outcome` is loaded, duplicate or quarantined. Bytes
  // count for every outcome (the file was read to hash it); rows and the
  // duration for loaded and quarantined files, which also prove the sink up. A
  // loaded file sets the last-success time. Rejects are counted by reason, by
  // RowsRejected.
  void FileDone(const std::string& table, std::string_view outcome, uint64_t rows, uint64_t bytes,
                double seconds);
  // The bad rows of one finished (loaded or quarantined) file, by kind:
  // sluice_rows_rejected_total{table,reason}. Not for attempts rolled back.
  void RowsRejected(const std::string& table, const RowErrorCounts& counts);
  // The rows a loaded file's table filter skipped: sluice_rows_filtered_total{table}.
  void RowsFiltered(const std::string& table, uint64_t rows);
  // A loaded file's mean of `column` (in one group or more) stood out from the
  // earlier files' means: sluice_files_flagged_total{table,column}, once per
  // file and column.
  void FileFlagged(const std::string& table, const std::string& column);
  // A load was retried after a transient sink error.
  void SinkRetry();
  // A file refused for its data could not be moved to quarantine (it stays pending).
  void QuarantineMoveFailed();
  // The sink answered (true) or failed transiently (false).
  void SetSinkUp(bool up);
  // The landing folder is there and scanned (true), or missing or failing (false).
  void SetSourceUp(bool up);
  // Folders the watcher has no inotify watch on (found by rescans instead).
  void SetUnwatchedDirs(uint64_t dirs);
  // Files queued, waiting to settle or waiting to retry, and the age of the
  // oldest of them (0 when none).
  void SetBacklog(uint64_t files, double oldest_age_seconds);

  const Registry& registry() const { return registry_; }
  std::string Expose() const { return registry_.Expose(); }

 private:
  Registry registry_;
};

// The process-wide instance, fed by the engine and read by the HTTP server.
IngestMetrics& GlobalMetrics();

}  // namespace sluice

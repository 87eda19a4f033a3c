// The ledger's copy of recent per-file aggregates (README, "Data view"): what a loaded file's
// aggregates were, the series the status page draws, and the files whose mean stood out. The sink's
// aggregates table holds every file's; the ledger keeps the latest kAggregateFilesKept files of
// each table, so the page and `sluice status --file` need no query against the sink.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

// Files of a table whose aggregates the ledger keeps; older ones are removed by
// the write that records a newer file.
inline constexpr size_t kAggregateFilesKept = 1000;
// Groups of a file whose aggregates the ledger keeps (and flags): the first ones,
// in the file's order. A file may have many more (the sink's table has them
// all); the copy stays bounded, and so does the time its flagging takes.
inline constexpr size_t kAggregateGroupsKept = 100;
// The files the status page draws, and the history a file's mean is compared with.
inline constexpr size_t kAggregateSeriesFiles = 200;
// Flagging: a mean is compared only with at least this many earlier means...
inline constexpr size_t kFlagMinHistory = 5;
// ...and flagged when it lies more than this many of their standard deviations
// from their mean.
inline constexpr double kFlagDeviations = 3.0;

// One aggregate of a loaded file: a column over one group of its rows.
struct AggregateRecord {
  std::vector<std::optional<std::string>> group;  // the `by` values as text (nullopt: NULL)
  std::string column;
  uint64_t count = 0;  // non-null values
  uint64_t nulls = 0;
  std::optional<double> min, max, mean, stddev;
  // Set by the ledger when recorded: the mean lay outside [low, high], the band
  // of the earlier files' means (both nullopt without enough history).
  bool flagged = false;
  std::optional<double> low, high;
};

// A loaded file's aggregates, as recorded with its MarkLoaded.
struct FileAggregates {
  std::string table;             // the table the file's rows went to
  std::string aggregates_table;  // the sink's table of aggregates
  int64_t loaded_at_us = 0;      // the file's `_loaded_at`
  std::vector<std::string> by;   // the group columns' names (AggregateRecord::group)
  std::vector<AggregateRecord> rows;
};

// A mean that stood out, as MarkLoaded found it (also kept in its record).
struct FlaggedAggregate {
  std::string table;
  std::string column;
  std::vector<std::string> by;
  std::vector<std::optional<std::string>> group;
  double mean = 0;
  double low = 0, high = 0;  // the expected band
  size_t history = 0;        // earlier files it was compared with
};

// A table whose aggregates the ledger keeps.
struct AggregatedTable {
  std::string table;
  std::string aggregates_table;  // of its latest file
  std::vector<std::string> by;   // of its latest file
  uint64_t files = 0;            // kept
  int64_t latest_us = 0;         // latest loaded_at
};

// One file's point of a series.
struct AggregatePoint {
  int64_t file_id = 0;
  std::string file;  // its path when seen
  int64_t loaded_at_us = 0;
  AggregateRecord value;  // the file's aggregate of the series' column and group
};

// A column of one group of a table over its latest files, oldest first.
struct AggregateSeries {
  std::string column;
  std::vector<std::optional<std::string>> group;
  std::vector<AggregatePoint> points;
};

}  // namespace sluice

// Inspecting a file without loading it: `sluice infer` and `sluice check`.
//
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/row_error.h"
#include "core/status.h"
#include "format/record_reader.h"
#include "pipeline/config.h"
#include "schema/schema.h"

namespace sluice {

struct InferResult {
  Format format = Format::kCsv;
  std::optional<CsvDialect> dialect;
  Schema schema;
  uint64_t sampled_rows = 0;
};

// Reads the first batch of `path` and infers its schema (column names normalised
// as the plan says). Errors: NotFound, InvalidData (unreadable file).
Result<InferResult> InferFile(const std::string& path, const TablePlan& plan);

// What the first rows of a file would load as: the load's data columns (metadata
// columns left out) and values as the sink is given them.
struct RowPreview {
  std::string table;
  std::vector<ColumnDef> columns;  // in table order, derived ones included, dropped ones not
  struct Row {
    uint64_t line = 0;
    // One per column: the value as text (dates and timestamps ISO 8601, floats
    // the shortest text that reads back exactly, booleans true/false), nullopt
    // for NULL.
    std::vector<std::optional<std::string>> values;
  };
  std::vector<Row> rows;
  struct Skipped {
    uint64_t line = 0;
    std::string raw;  // the record's text as read
  };
  std::vector<Skipped> filtered;  // rows the plan's filter skipped
};

struct CheckOptions {
  size_t keep_bad = 20;  // bad rows kept in CheckResult::first
  size_t show = 0;       // rows kept in the preview: loaded ones, and filtered ones
};

struct CheckResult {
  uint64_t rows = 0;  // records read and handed to validation
  uint64_t rejected = 0;
  uint64_t loaded = 0;          // rows that would load
  uint64_t filtered = 0;        // rows the plan's filter skipped
  std::vector<RowError> first;  // the first bad rows (at most keep_bad)
  Status file_error;            // the file as a whole cannot load (bad stream, columns)
  bool would_load = false;      // within the plan's thresholds and no file error
  RowPreview preview;           // its first options.show rows (of each kind)
};

// Runs `path` through a load's steps without loading it: the table is resolved as
// a load would resolve it into a database that does not have it yet (from the
// declared schema, else inferred from the first batch, with the derived
// columns), then every row is normalised, validated and given the plan's derive,
// filter and drop (ConvertBatch, as a load does). Errors: NotFound, Unavailable
// (I/O); problems with the data are reported in CheckResult.
Result<CheckResult> CheckFile(const std::string& path, const TablePlan& plan,
                              const CheckOptions& options);

}  // namespace sluice

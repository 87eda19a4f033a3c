// Inspecting a file without loading it: `sluice infer` and `sluice check`.
//
// Thread-safety: free functions.
#pragma once

#include <cstdint>
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

struct CheckResult {
  uint64_t rows = 0;  // records read and handed to validation
  uint64_t rejected = 0;
  std::vector<RowError> first;  // the first bad rows (at most `keep`)
  Status file_error;            // the file as a whole cannot load (bad stream, columns)
  bool would_load = false;      // within the plan's thresholds and no file error
};

// Validates every row of `path` against the plan's schema (or one inferred from
// its first batch), loading nothing. Errors: NotFound, Unavailable (I/O);
// problems with the data are reported in CheckResult.
Result<CheckResult> CheckFile(const std::string& path, const TablePlan& plan, size_t keep);

}  // namespace sluice

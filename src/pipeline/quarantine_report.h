// The report written beside a quarantined file: `<file>.error.json`, one JSON
// object (file, quarantined_as, hash, table, reason, time, rows_read,
// rows_rejected, rejected_by_reason: counts per RowErrorKindName, rejects_file if
// any, errors: the first bad rows in the rejects-file format), written with
// nlohmann-json.
//
// Thread-safety: a pure function and a file write; safe to call concurrently for
// different files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/row_error.h"
#include "core/status.h"

namespace sluice {

struct QuarantineReport {
  std::string file;            // where the file was found
  std::string quarantined_as;  // where it is now, in the quarantine folder
  std::string hash;
  std::string table;
  std::string reason;
  int64_t time_us = 0;  // when it was quarantined
  uint64_t rows_read = 0;
  uint64_t rows_rejected = 0;
  std::string rejects_file;           // its own rejects file, "" if none
  std::vector<RowError> errors;       // the first bad rows
  RowErrorCounts rejected_by_kind{};  // all of them, per kind
};

// The report as indented JSON text ending in a newline; invalid UTF-8 becomes U+FFFD.
std::string QuarantineReportJson(const QuarantineReport& report);

// Writes the report to `report.quarantined_as` + ".error.json", atomically.
// Errors: Unavailable.
Status WriteQuarantineReport(const QuarantineReport& report);

}  // namespace sluice

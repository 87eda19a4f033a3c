// RejectSummary: one file's bad rows grouped by reason (RowErrorKind), read back
// from what sluice kept of them: its rejects file (every bad row) or, without
// one, its quarantine report (the counts per reason and the first bad rows).
// For `sluice status --file`.
//
// Thread-safety: pure functions over files; safe to call concurrently.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"

namespace sluice {

struct RejectGroup {
  std::string kind;  // RowErrorKindName; "" for rows written before kinds existed
  uint64_t count = 0;
  nlohmann::ordered_json example;  // its first bad row, in the rejects-file format
};

struct RejectSummary {
  std::string source;               // the rejects file or report read, "" if none
  uint64_t rows = 0;                // bad rows counted
  std::vector<RejectGroup> groups;  // most rows first
  std::string gone;                 // the recorded rejects file, when it could not be read
};

// Groups the rejects file at `path` (JSON lines). Errors: Unavailable (cannot
// read it).
Result<RejectSummary> SummarizeRejectsFile(const std::string& path);

// The rejects of `record`, if sluice kept any: the rejects file the ledger
// recorded (FileRecord::rejects_file). If that file is gone, `gone` names it and,
// for a quarantined file, its report (final_path + ".error.json") gives the counts
// and first rows. A quarantined record without a recorded rejects file (written
// before the ledger recorded them) uses the file its report names, else the
// report.
std::optional<RejectSummary> FindRejects(const FileRecord& record);

// {"from": source, "rows": n, "by_reason": {kind: {"count": n, "example": {...}}}},
// and "gone": the recorded rejects file if it is gone.
nlohmann::ordered_json RejectSummaryJson(const RejectSummary& summary);

}  // namespace sluice

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
  std::string source;               // the rejects file or report read
  uint64_t rows = 0;                // bad rows counted
  std::vector<RejectGroup> groups;  // most rows first
};

// Groups the rejects file at `path` (JSON lines). Errors: Unavailable (cannot
// read it).
Result<RejectSummary> SummarizeRejectsFile(const std::string& path);

// The rejects of `record`, if sluice kept any. A quarantined file's report
// (final_path + ".error.json") names its rejects file; without that file, the
// report's counts and first rows are used. A loaded file's rejects file lies in
// `quarantine_dir` under its path below `source_dir` + ".rejects.jsonl", or a free
// name beside it (MoveNoClobber): of those whose rows name the file, the one
// written closest to when the record finished. Both folders absolute.
std::optional<RejectSummary> FindRejects(const FileRecord& record,
                                         const std::string& quarantine_dir,
                                         const std::string& source_dir);

// {"from": source, "rows": n, "by_reason": {kind: {"count": n, "example": {...}}}}
nlohmann::ordered_json RejectSummaryJson(const RejectSummary& summary);

}  // namespace sluice

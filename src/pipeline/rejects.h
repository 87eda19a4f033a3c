// RejectLog: the RowErrorSink of one load attempt. Counts bad rows, keeps the
// first few for the error report, and streams all of them to a rejects file
// (JSON lines: file, line, offset, column, kind, reason, hint, raw; `reason` is the
// message, `kind` its RowErrorKindName), so memory stays bounded
// however many rows are bad. The file is written in a scratch folder (the
// quarantine folder) and kept there under a name no other rejects file has.
//
// Thread-safety: one file job at a time.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/row_error.h"
#include "core/status.h"

namespace sluice {

class RejectLog : public RowErrorSink {
 public:
  static constexpr size_t kKeptForReport = 100;

  // `file` is the source file named in each record; `scratch_dir` holds the file
  // being written until Keep or Discard.
  RejectLog(std::string file, std::string scratch_dir);
  ~RejectLog() override;
  RejectLog(const RejectLog&) = delete;
  RejectLog& operator=(const RejectLog&) = delete;

  void Report(RowError error) override;

  uint64_t count() const { return count_; }
  // count() per kind.
  const RowErrorCounts& counts() const { return counts_; }
  const std::vector<RowError>& first() const { return first_; }
  // Status of writing the rejects so far (disk full, ...).
  const Status& write_status() const { return write_status_; }

  // The InvalidData status for a file refused for its bad rows: `what` (e.g. "3 of
  // 10 rows are bad") and the first bad row's line, column and reason.
  Status TooMany(const std::string& what) const;

  // Moves the rejects written so far to `dir`/`relative`, or, if that name is
  // taken, to a free name beside it (MoveNoClobber): one file's rejects never
  // replace another's. Returns the path, or "" when there are none. Errors:
  // Unavailable (the rejects could not be written or moved).
  Result<std::string> Keep(const std::string& dir, const std::string& relative);
  // Forgets everything (a new attempt starts).
  void Discard();

  // `e` in the rejects-file format: file, line, offset, column, kind, reason (the
  // message), hint, raw.
  static nlohmann::ordered_json ToJsonValue(const std::string& file, const RowError& e);
  // The same as one line of JSON (no newline); invalid UTF-8 becomes U+FFFD.
  static std::string ToJson(const std::string& file, const RowError& e);

 private:
  std::string file_;
  std::string scratch_path_;
  FILE* out_ = nullptr;
  uint64_t count_ = 0;
  RowErrorCounts counts_{};
  std::vector<RowError> first_;
  Status write_status_;
};

// The non-zero counts by kind name, e.g. {"type": 2, "null": 1}, in kind order.
nlohmann::ordered_json RejectCountsJson(const RowErrorCounts& counts);

}  // namespace sluice

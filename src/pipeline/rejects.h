// RejectLog: the RowErrorSink of one load attempt. Counts bad rows, keeps the
// first few for the error report, and streams all of them to a rejects file
// (JSON lines: file, line, offset, column, reason, raw), so memory stays bounded
// however many rows are bad.
//
// Thread-safety: one file job at a time.
#pragma once

#include <cstdio>
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
  const std::vector<RowError>& first() const { return first_; }
  // Status of writing the rejects so far (disk full, ...).
  const Status& write_status() const { return write_status_; }

  // The InvalidData status for a file refused for its bad rows: `what` (e.g. "3 of
  // 10 rows are bad") and the first bad row's line, column and reason.
  Status TooMany(const std::string& what) const;

  // Moves the rejects written so far to `path` (no-op when there are none).
  Status Keep(const std::string& path);
  // Forgets everything (a new attempt starts).
  void Discard();

  // One JSON object (no newline) describing `e` in the rejects-file format.
  static std::string ToJson(const std::string& file, const RowError& e);

 private:
  std::string file_;
  std::string scratch_path_;
  FILE* out_ = nullptr;
  uint64_t count_ = 0;
  std::vector<RowError> first_;
  Status write_status_;
};

}  // namespace sluice

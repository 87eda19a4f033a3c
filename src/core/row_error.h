// RowError: a bad row is data, not a failure. Readers and validation report them
// to a RowErrorSink; the pipeline counts them, writes them to the rejects file and
// decides by threshold whether the file loads or goes to quarantine.
//
// Thread-safety: RowErrorSink implementations are used by one file job at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

struct RowError {
  uint64_t line = 0;         // 1-based line where the record starts
  uint64_t byte_offset = 0;  // offset of the record in the decoded stream
  std::string column;        // empty when the error concerns the whole record
  std::string raw;           // the record's original text (may be truncated by the sink)
  std::string message;       // why the row was rejected
};

class RowErrorSink {
 public:
  virtual ~RowErrorSink() = default;
  virtual void Report(RowError error) = 0;
};

}  // namespace sluice

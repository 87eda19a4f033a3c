// RowError: a bad row is data, not a failure. Readers and validation report them
// to a RowErrorSink; the pipeline counts them (per kind), writes them to the
// rejects file and decides by threshold whether the file loads or goes to
// quarantine.
//
// Thread-safety: RowErrorSink implementations are used by one file job at a time;
// the kind names are constants.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Why a row was rejected, as a closed set: rejects files, reports, the
// sluice_rows_rejected_total{reason} metric and `sluice status --file` use the
// names of RowErrorKindName. Every place that reports a RowError sets one.
enum class RowErrorKind : uint8_t {
  kRagged,         // CSV: a line with more or fewer fields than the header
  kTooLong,        // a record longer than max_record_bytes
  kJson,           // not valid JSON, or not a JSON object
  kEncoding,       // a string cell that is not valid UTF-8
  kType,           // not a value of the column's type (integer, float, boolean)
  kFormat,         // a date or timestamp not in the column's format
  kNull,           // NULL in a non-nullable column
  kRange,          // out of the type's range, or below min / above max
  kAllowed,        // not one of the column's allowed values
  kRegex,          // does not match the column's regex
  kUnknownColumn,  // a value in a column (JSON key) the schema does not have
  kTransform,      // a derive or filter expression failed on the row
  kRefused,        // valid for sluice, refused by the database (a narrower column)
};

inline constexpr size_t kRowErrorKinds = 13;

// Per-kind counts, indexed by the kind's value.
using RowErrorCounts = std::array<uint64_t, kRowErrorKinds>;

// The kind's name: ragged, too_long, json, encoding, type, format, null, range,
// allowed, regex, unknown_column, transform, refused.
std::string_view RowErrorKindName(RowErrorKind kind);
// The kind named `name`, if any.
std::optional<RowErrorKind> ParseRowErrorKind(std::string_view name);

struct RowError {
  uint64_t line = 0;         // 1-based line where the record starts
  uint64_t byte_offset = 0;  // offset of the record in the decoded stream
  std::string column;        // empty when the error concerns the whole record
  std::string raw;           // the record's original text (may be truncated by the sink)
  std::string message;       // why the row was rejected
  RowErrorKind kind{};       // the reason, as a kind (set by every reporter)
  std::string hint;          // what to do about it, e.g. "declare the column as string"
};

class RowErrorSink {
 public:
  virtual ~RowErrorSink() = default;
  virtual void Report(RowError error) = 0;
};

}  // namespace sluice

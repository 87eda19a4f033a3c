#include "schema/infer.h"

#include "core/cell_parse.h"

namespace sluice {
namespace {

// The candidate types still consistent with every value seen so far.
struct Candidates {
  bool boolean = true;
  bool integer = true;
  bool floating = true;
  bool date = true;
  bool timestamp = true;

  bool any() const { return boolean || integer || floating || date || timestamp; }

  void Observe(std::string_view value) {
    bool b = false;
    int64_t i = 0;
    double d = 0;
    // 0/1 parse as booleans, but a column of them is far more often a count or a
    // flag stored as a number; inference leaves them to integer.
    if (boolean) boolean = value != "0" && value != "1" && ParseBoolean(value, &b);
    const bool leading_zero = HasLeadingZero(value);
    if (integer || floating) {
      const ParseResult as_integer = ParseInteger(value, &i);
      integer = integer && !leading_zero && as_integer == ParseResult::kOk;
      // An integer too long for int64 (a 20-digit id) would lose digits as a
      // float; it stays a string.
      floating = floating && !leading_zero && as_integer != ParseResult::kOutOfRange &&
                 ParseFloat(value, &d) == ParseResult::kOk;
    }
    if (date) date = ParseIsoDate(value, &i);
    if (timestamp) timestamp = ParseIsoTimestamp(value, &i);
  }

  ColumnType Narrowest() const {
    if (boolean) return ColumnType::kBoolean;
    if (integer) return ColumnType::kInteger;
    if (floating) return ColumnType::kFloat;
    if (date) return ColumnType::kDate;
    if (timestamp) return ColumnType::kTimestamp;
    return ColumnType::kString;
  }
};

}  // namespace

Schema InferSchema(const TextBatch& sample,
                   const std::vector<std::optional<ColumnType>>& declared) {
  Schema schema;
  const std::vector<std::string>& names = sample.columns();
  schema.columns.reserve(names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    Candidates candidates;
    bool seen_value = false;
    bool seen_empty = false;
    for (size_t r = 0; r < sample.rows(); ++r) {
      // The validator trims non-string cells and reads a blank one as NULL, so
      // inference judges the trimmed text too.
      const std::string_view value = TrimBlanks(sample.Cell(r, c));
      if (sample.IsNull(r, c) || value.empty()) {
        seen_empty = true;
        continue;
      }
      seen_value = true;
      if (candidates.any()) candidates.Observe(value);
    }
    ColumnSpec spec;
    spec.name = names[c];
    spec.type = seen_value ? candidates.Narrowest() : ColumnType::kString;
    if (c < declared.size() && declared[c]) spec.type = *declared[c];
    spec.nullable = seen_empty || !seen_value;
    schema.columns.push_back(std::move(spec));
  }
  return schema;
}

bool TypeFits(ColumnType from, ColumnType into) {
  return from == into || into == ColumnType::kString ||
         (from == ColumnType::kInteger && into == ColumnType::kFloat);
}

bool ParsesAs(std::string_view value, ColumnType type) {
  int64_t i = 0;
  double d = 0;
  bool b = false;
  switch (type) {
    case ColumnType::kString:
      return true;
    case ColumnType::kInteger:
      return ParseInteger(value, &i) == ParseResult::kOk;
    case ColumnType::kFloat:
      return ParseFloat(value, &d) == ParseResult::kOk;
    case ColumnType::kBoolean:
      return ParseBoolean(value, &b);
    case ColumnType::kDate:
      return ParseIsoDate(value, &i);
    case ColumnType::kTimestamp:
      return ParseIsoTimestamp(value, &i);
  }
  return false;
}

}  // namespace sluice

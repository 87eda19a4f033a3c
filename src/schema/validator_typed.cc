// Validator::ConvertTypedColumn: a textless column of typed values (TextBatch::Typed,
// not per cell; Parquet's numbers, dates and timestamps) converted column-wise.
// The null flags come from the cells in one pass, the values are copied, and their
// bounds — the column's min and max, the finite range of floats, the date range in
// which a typed value is what its text parses to — are tested for the whole column
// with no branch per row. A column with any cell to reject goes the row-by-row path
// instead (ConvertRows), which words each rejection; so the values and reasons are
// those of that path.
//
// Thread-safety: as Validator.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "schema/validator.h"

namespace sluice {

bool Validator::ConvertTypedColumn(size_t c, const TextBatch& in, Column& out, size_t base,
                                   const TypedCells& typed) {
  const ColumnSpec& spec = schema_.columns[c];
  const size_t source = static_cast<size_t>(source_of_[c]);
  // A textless cell is null exactly when its span is; a cell with text may be
  // blank, which the row-by-row path reads as NULL.
  if (!in.Textless(source)) return false;
  const size_t rows = in.rows();
  const Span* cells = in.Cells(source);
  uint8_t* nulls = out.nulls.data() + base;
  uint8_t any_null = 0;
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t null = cells[r].is_null() ? 1 : 0;
    nulls[r] = null;
    any_null |= null;
  }
  if (any_null != 0 && !spec.nullable) return false;

  // Every test below is a flag or'ed over the column; null rows pass and get 0.
  bool bad = false;
  const double min = spec.rules.min.value_or(-std::numeric_limits<double>::infinity());
  const double max = spec.rules.max.value_or(std::numeric_limits<double>::infinity());
  switch (spec.type) {
    case ColumnType::kInteger: {
      const int64_t* from = typed.ints.data();
      int64_t* to = out.ints.data() + base;
      for (size_t r = 0; r < rows; ++r) {
        const int64_t v = nulls[r] != 0 ? 0 : from[r];
        // As the row path: compared as doubles.
        const double d = static_cast<double>(v);
        bad |= (nulls[r] == 0) & !(d >= min && d <= max);
        to[r] = v;
      }
      break;
    }
    case ColumnType::kFloat: {
      // Non-finite values are rejected by their text: outside [lo, hi], as NaN is.
      const double lo = std::max(min, std::numeric_limits<double>::lowest());
      const double hi = std::min(max, std::numeric_limits<double>::max());
      double* to = out.floats.data() + base;
      auto check = [&](auto* from) {
        for (size_t r = 0; r < rows; ++r) {
          const double v = nulls[r] != 0 ? 0.0 : static_cast<double>(from[r]);
          bad |= (nulls[r] == 0) & !(v >= lo && v <= hi);
          to[r] = v;
        }
      };
      if (typed.type == ColumnType::kFloat) {
        check(typed.floats.data());
      } else {
        check(typed.ints.data());
      }
      break;
    }
    case ColumnType::kBoolean: {
      const int64_t* from = typed.ints.data();
      int64_t* to = out.ints.data() + base;
      for (size_t r = 0; r < rows; ++r) to[r] = nulls[r] == 0 && from[r] != 0 ? 1 : 0;
      break;
    }
    case ColumnType::kDate:
    case ColumnType::kTimestamp: {
      const bool date = spec.type == ColumnType::kDate;
      const int64_t first = date ? kFirstDay : kFirstDay * kMicrosPerDay;
      const int64_t last = date ? kLastDay : (kLastDay + 1) * kMicrosPerDay - 1;
      const int64_t* from = typed.ints.data();
      int64_t* to = out.ints.data() + base;
      for (size_t r = 0; r < rows; ++r) {
        const int64_t v = nulls[r] != 0 ? 0 : from[r];
        bad |= (nulls[r] == 0) & (v < first || v > last);
        to[r] = v;
      }
      break;
    }
    case ColumnType::kString:
      return false;
  }
  if (bad) return false;
  // Rows an earlier column rejected are placeholders, as in ConvertRows.
  if (!pending_.empty()) {
    for (size_t r = 0; r < rows; ++r) {
      if (row_error_[r] != 0) out.SetNull(base + r);
    }
  }
  return true;
}

}  // namespace sluice

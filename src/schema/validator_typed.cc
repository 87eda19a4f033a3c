// Validator::ConvertTypedColumn: a textless column of typed values (TextBatch::Typed,
// not per cell; Parquet's numbers, dates and timestamps) converted column-wise.
// The null flags come from the cells in one pass, the values are copied, and their
// bounds — the column's min and max, the finite range of floats, the date range in
// which a typed value is what its text parses to — are tested for the whole column
// with no branch per row. A column with any cell to reject goes the row-by-row path
// instead (ConvertRows), which words each rejection; so the values and reasons are
// those of that path. ConvertDictionaryColumn does the same for a dictionary
// column (TextBatch::SetDictionary) whose cells are all good entries or null.
//
// Thread-safety: as Validator.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "schema/cell_error.h"
#include "schema/validator.h"

namespace sluice {
namespace {

// Sets nulls[r] to whether cells[r] is null; false when some is.
bool NullFlags(const Span* cells, size_t rows, uint8_t* nulls) {
  uint8_t any = 0;
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t null = cells[r].is_null() ? 1 : 0;
    nulls[r] = null;
    any |= null;
  }
  return any == 0;
}

// Copies from[0, rows) to `to`, as To (0 for a null row), and tells whether a
// non-null value compared as Bound is outside [lo, hi] or NaN. A column without
// nulls has a loop of its own, without the flags, which the compiler vectorises.
template <typename From, typename To, typename Bound>
bool CopyOutside(const From* __restrict from, To* __restrict to, const uint8_t* __restrict nulls,
                 bool any_null, size_t rows, Bound lo, Bound hi) {
  // 64-bit flags, as wide as the values, so that the loops vectorise.
  uint64_t outside = 0;
  if (!any_null) {
#ifdef __SSE2__
    if constexpr (std::is_same_v<From, double> && std::is_same_v<To, double> &&
                  std::is_same_v<Bound, double>) {
      // GCC leaves this loop scalar (its compares may trap on NaN): two at a time
      // by hand. An ordered compare is false for NaN, as the scalar test below.
      size_t r = 0;
      __m128d inside = _mm_castsi128_pd(_mm_set1_epi32(-1));
      const __m128d vlo = _mm_set1_pd(lo);
      const __m128d vhi = _mm_set1_pd(hi);
      for (; r + 2 <= rows; r += 2) {
        const __m128d v = _mm_loadu_pd(from + r);
        inside = _mm_and_pd(inside, _mm_and_pd(_mm_cmpge_pd(v, vlo), _mm_cmple_pd(v, vhi)));
        _mm_storeu_pd(to + r, v);
      }
      outside = _mm_movemask_pd(inside) != 3 ? 1 : 0;
      for (; r < rows; ++r) {
        outside |=
            static_cast<uint64_t>(!(from[r] >= lo)) | static_cast<uint64_t>(!(from[r] <= hi));
        to[r] = from[r];
      }
      return outside != 0;
    }
#endif
    for (size_t r = 0; r < rows; ++r) {
      const To v = static_cast<To>(from[r]);
      const Bound b = static_cast<Bound>(v);
      outside |= static_cast<uint64_t>(!(b >= lo)) | static_cast<uint64_t>(!(b <= hi));
      to[r] = v;
    }
    return outside != 0;
  }
  for (size_t r = 0; r < rows; ++r) {
    const uint64_t present = nulls[r] == 0 ? 1 : 0;
    const To v = present != 0 ? static_cast<To>(from[r]) : To{0};
    const Bound b = static_cast<Bound>(v);
    outside |= present & (static_cast<uint64_t>(!(b >= lo)) | static_cast<uint64_t>(!(b <= hi)));
    to[r] = v;
  }
  return outside != 0;
}

}  // namespace

bool Validator::ConvertTypedColumn(size_t c, const TextBatch& in, Column& out, size_t base,
                                   const TypedCells& typed) {
  const ColumnSpec& spec = schema_.columns[c];
  const size_t source = static_cast<size_t>(source_of_[c]);
  // A textless cell is null exactly when its span is; a cell with text may be
  // blank, which the row-by-row path reads as NULL.
  if (!in.Textless(source)) return false;
  const size_t rows = in.rows();
  uint8_t* nulls = out.nulls.data() + base;
  const bool any_null = !NullFlags(in.Cells(source), rows, nulls);
  if (any_null && !spec.nullable) return false;

  bool bad = false;
  const double min = spec.rules.min.value_or(-std::numeric_limits<double>::infinity());
  const double max = spec.rules.max.value_or(std::numeric_limits<double>::infinity());
  switch (spec.type) {
    case ColumnType::kInteger: {
      const int64_t* from = typed.ints.data();
      int64_t* to = out.ints.data() + base;
      // The row path compares as doubles. Bounds strictly within ±2^53 are
      // compared as integers (ceil(min) <= v <= floor(max)), which gives the same
      // answer for every int64: up to 2^53 the conversion is exact, and beyond it
      // the double is at least 2^53 in size, beyond the bounds on the same side.
      constexpr double kExact = 9007199254740992.0;  // 2^53
      const bool exact_min = std::isinf(min) ? min < 0 : std::abs(min) < kExact;
      const bool exact_max = std::isinf(max) ? max > 0 : std::abs(max) < kExact;
      if (exact_min && exact_max) {
        const int64_t lo = std::isinf(min) ? INT64_MIN : static_cast<int64_t>(std::ceil(min));
        const int64_t hi = std::isinf(max) ? INT64_MAX : static_cast<int64_t>(std::floor(max));
        bad = CopyOutside(from, to, nulls, any_null, rows, lo, hi);
      } else {
        bad = CopyOutside(from, to, nulls, any_null, rows, min, max);
      }
      break;
    }
    case ColumnType::kFloat: {
      // Non-finite values are rejected by their text: outside [lo, hi], as NaN is.
      const double lo = std::max(min, std::numeric_limits<double>::lowest());
      const double hi = std::min(max, std::numeric_limits<double>::max());
      double* to = out.floats.data() + base;
      bad = typed.type == ColumnType::kFloat
                ? CopyOutside(typed.floats.data(), to, nulls, any_null, rows, lo, hi)
                : CopyOutside(typed.ints.data(), to, nulls, any_null, rows, lo, hi);
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
      bad = CopyOutside(typed.ints.data(), out.ints.data() + base, nulls, any_null, rows, first,
                        last);
      break;
    }
    case ColumnType::kString:
      return false;
  }
  if (bad) return false;
  NullRejectedRows(rows, out, base);
  return true;
}

bool Validator::ConvertDictionaryColumn(size_t c, const TextBatch& in, Column& out, size_t base,
                                        const TypedCells& dict) {
  const size_t rows = in.rows();
  const Span* cells = in.Cells(static_cast<size_t>(source_of_[c]));
  uint8_t* nulls = out.nulls.data() + base;
  if (!NullFlags(cells, rows, nulls) && !schema_.columns[c].nullable) return false;
  // Entries that are good: a cell of any other entry, or of none, is looked at
  // row by row.
  good_entries_.resize(dict.entries.size());
  for (size_t e = 0; e < dict.entries.size(); ++e) {
    good_entries_[e] = entry_errors_[e] == CellError::kNone ? 1 : 0;
  }
  const uint8_t* good = good_entries_.data();
  const int64_t* entry_of = dict.ints.data();
  const size_t entries = dict.entries.size();
  const std::string_view arena = in.View(Span{0, static_cast<uint32_t>(in.arena_bytes())});
  std::string_view* to = out.strings.data() + base;
  bool bad = false;
  for (size_t r = 0; r < rows; ++r) {
    if (nulls[r] != 0) {
      to[r] = {};
      continue;
    }
    const uint64_t entry = static_cast<uint64_t>(entry_of[r]);  // -1: beyond every entry
    if (entry >= entries || good[entry] == 0) {
      bad = true;
      break;
    }
    to[r] = std::string_view(arena.data() + cells[r].offset, cells[r].size);
  }
  if (bad) return false;
  NullRejectedRows(rows, out, base);
  return true;
}

void Validator::NullRejectedRows(size_t rows, Column& out, size_t base) {
  // Rows an earlier column rejected are placeholders, as in ConvertRows.
  if (pending_.empty()) return;
  for (size_t r = 0; r < rows; ++r) {
    if (row_error_[r] != 0) out.SetNull(base + r);
  }
}

}  // namespace sluice

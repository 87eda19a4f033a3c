// Building blocks of the kernels: typed access to Column values and the loops
// that apply a scalar function to the selected rows of one or two argument
// columns with SQL null propagation (a null argument gives a null result). The
// loops are templates over the scalar function, so each kernel compiles to one
// tight loop over the batch.
//
// Thread-safety: stateless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "transform/expr/node.h"

namespace sluice::expr {

// Calls f(row) for every row of `sel`.
template <typename F>
inline void ForEach(Selection sel, F&& f) {
  if (sel.rows == nullptr) {
    for (size_t r = 0; r < sel.size; ++r) f(r);
  } else {
    for (size_t k = 0; k < sel.size; ++k) f(static_cast<size_t>(sel.rows[k]));
  }
}

template <typename T>
T Get(const Column& c, size_t r);
template <>
inline int64_t Get<int64_t>(const Column& c, size_t r) {
  return c.ints[r];
}
template <>
inline double Get<double>(const Column& c, size_t r) {
  return c.floats[r];
}
template <>
inline std::string_view Get<std::string_view>(const Column& c, size_t r) {
  return c.strings[r];
}

// Sets a non-null value.
template <typename T>
void Put(Column& c, size_t r, T v);
template <>
inline void Put<int64_t>(Column& c, size_t r, int64_t v) {
  c.ints[r] = v;
  c.nulls[r] = 0;
}
template <>
inline void Put<double>(Column& c, size_t r, double v) {
  c.floats[r] = v;
  c.nulls[r] = 0;
}
template <>
inline void Put<std::string_view>(Column& c, size_t r, std::string_view v) {
  c.strings[r] = v;
  c.nulls[r] = 0;
}

// The rows of `sel` for which keep(row) is true, into `rows`; returns them as a Selection.
template <typename F>
Selection Subset(Selection sel, std::vector<uint32_t>& rows, F&& keep) {
  rows.clear();
  ForEach(sel, [&](size_t r) {
    if (keep(r)) rows.push_back(static_cast<uint32_t>(r));
  });
  return Selection{rows.data(), rows.size()};
}

// Copies row r of `src` (value or null) to `out`, both of out's type.
inline void CopyValue(const Column& src, Column& out, size_t r) {
  out.nulls[r] = src.nulls[r];
  switch (out.def.type) {
    case ColumnType::kFloat:
      out.floats[r] = src.floats[r];
      break;
    case ColumnType::kString:
      out.strings[r] = src.strings[r];
      break;
    default:
      out.ints[r] = src.ints[r];
      break;
  }
}

// Evaluates the node's argument `i` on `sel`.
inline const Column& Arg(const Node& node, size_t i, EvalContext& ctx, Selection sel,
                         Column& scratch) {
  return Eval(node.args[i], ctx, sel, scratch);
}

// out[r] = f(row, a[r], result&) for the selected rows where a is not null;
// f returns false for a null result (after ctx.Fail when the row failed).
template <typename A, typename R, typename F>
void MapUnary(const Node& node, EvalContext& ctx, Selection sel, Column& out, F&& f) {
  Column scratch;
  const Column& a = Arg(node, 0, ctx, sel, scratch);
  PrepareColumn(out, node.type, ctx.rows());
  ForEach(sel, [&](size_t r) {
    R v{};
    if (a.nulls[r] == 0 && f(r, Get<A>(a, r), v)) {
      Put<R>(out, r, v);
    } else {
      out.nulls[r] = 1;
    }
  });
}

// The same with two arguments: null when either is null.
template <typename A, typename B, typename R, typename F>
void MapBinary(const Node& node, EvalContext& ctx, Selection sel, Column& out, F&& f) {
  Column scratch_a;
  Column scratch_b;
  const Column& a = Arg(node, 0, ctx, sel, scratch_a);
  const Column& b = Arg(node, 1, ctx, sel, scratch_b);
  PrepareColumn(out, node.type, ctx.rows());
  ForEach(sel, [&](size_t r) {
    R v{};
    if ((a.nulls[r] | b.nulls[r]) == 0 && f(r, Get<A>(a, r), Get<B>(b, r), v)) {
      Put<R>(out, r, v);
    } else {
      out.nulls[r] = 1;
    }
  });
}

// Valid dates and timestamps: years 0000 to 9999, like the loader's parsers.
inline constexpr int64_t kMinDay = -719528;  // 0000-01-01
inline constexpr int64_t kMaxDay = 2932896;  // 9999-12-31
inline constexpr int64_t kMicrosPerDay = 86'400'000'000;
inline constexpr int64_t kMinMicros = kMinDay * kMicrosPerDay;
inline constexpr int64_t kMaxMicros = (kMaxDay + 1) * kMicrosPerDay - 1;

inline bool DateInRange(int64_t days) { return days >= kMinDay && days <= kMaxDay; }
inline bool TimestampInRange(int64_t micros) {
  return micros >= kMinMicros && micros <= kMaxMicros;
}

// Floor division and the matching non-negative remainder (b > 0).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b < 0) --q;
  return q;
}

}  // namespace sluice::expr

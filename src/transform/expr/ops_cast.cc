// cast(x as TYPE) and the implicit conversions: binding and kernels.
//
// From string, the loader's own cell parsers (core/cell_parse.h) after trimming
// blanks, so that a cast accepts exactly what a column of that type would load
// (ISO 8601 dates and timestamps; true/false, t/f, yes/no, y/n, 1/0); text that
// does not parse fails the row. To string: integers in decimal, floats in the
// shortest text that reads back exactly, booleans as true/false, dates and
// timestamps in ISO 8601 (core/iso_time.h: "2026-12-07", "2026-12-07 10:30:00",
// UTC). float → integer rounds to nearest, halves away from zero, and fails
// beyond int64; integer → boolean is false for 0 and true otherwise; date →
// timestamp is midnight UTC; timestamp → date its UTC date.
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <charconv>
#include <cmath>
#include <string>

#include "core/cell_parse.h"
#include "core/iso_time.h"
#include "transform/expr/bind.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

std::string CastFailure(std::string_view text, ColumnType to) {
  return "cannot cast " + Quoted(text) + " to " + std::string(ColumnTypeName(to));
}

template <ColumnType kTo>
void FromStringKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<std::string_view, std::conditional_t<kTo == ColumnType::kFloat, double, int64_t>>(
      node, ctx, sel, out, [&](size_t r, std::string_view raw, auto& v) {
        const std::string_view text = TrimBlanks(raw);
        bool ok = false;
        if constexpr (kTo == ColumnType::kInteger) {
          ok = ParseInteger(text, &v) == ParseResult::kOk;
        } else if constexpr (kTo == ColumnType::kFloat) {
          ok = ParseFloat(text, &v) == ParseResult::kOk;
        } else if constexpr (kTo == ColumnType::kBoolean) {
          bool b = false;
          ok = ParseBoolean(text, &b);
          v = b ? 1 : 0;
        } else if constexpr (kTo == ColumnType::kDate) {
          ok = ParseIsoDate(text, &v);
        } else {
          ok = ParseIsoTimestamp(text, &v);
        }
        if (!ok) ctx.Fail(r, CastFailure(raw, kTo));
        return ok;
      });
}

template <typename From, typename Format>
void ToStringKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out, Format format) {
  MapUnary<From, std::string_view>(node, ctx, sel, out,
                                   [&](size_t, From value, std::string_view& v) {
                                     v = format(value, ctx.arena());
                                     return true;
                                   });
}

void IntToString(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  ToStringKernel<int64_t>(node, ctx, sel, out, [](int64_t value, StringArena& arena) {
    char* p = arena.Allocate(20);
    const auto end = std::to_chars(p, p + 20, value).ptr;
    return std::string_view(p, static_cast<size_t>(end - p));
  });
}

void FloatToString(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  ToStringKernel<double>(node, ctx, sel, out, [](double value, StringArena& arena) {
    return arena.Store(FormatFloat(value));
  });
}

void BooleanToString(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  ToStringKernel<int64_t>(node, ctx, sel, out, [](int64_t value, StringArena&) {
    return value != 0 ? std::string_view("true") : std::string_view("false");
  });
}

template <bool kIsDate>
void TimeToString(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  ToStringKernel<int64_t>(node, ctx, sel, out, [](int64_t value, StringArena& arena) {
    char* p = arena.Allocate(kIsoTextCapacity);
    const size_t n = kIsDate ? FormatIsoDate(value, p) : FormatIsoTimestamp(value, p);
    return std::string_view(p, n);
  });
}

void IntToFloat(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, double>(node, ctx, sel, out, [](size_t, int64_t a, double& v) {
    v = static_cast<double>(a);
    return true;
  });
}

void FloatToInt(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<double, int64_t>(node, ctx, sel, out, [&](size_t r, double a, int64_t& v) {
    const double rounded = std::round(a);
    // 2^63 is exactly representable; every double below it in magnitude fits.
    if (!(rounded >= -9223372036854775808.0 && rounded < 9223372036854775808.0)) {
      ctx.Fail(r, "float " + FormatFloat(a) + " out of range for integer");
      return false;
    }
    v = static_cast<int64_t>(rounded);
    return true;
  });
}

void IntToBoolean(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [](size_t, int64_t a, int64_t& v) {
    v = a != 0 ? 1 : 0;
    return true;
  });
}

// boolean → integer and any other change of meaning only, not of value.
void SameInts(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [](size_t, int64_t a, int64_t& v) {
    v = a;
    return true;
  });
}

void DateToTimestamp(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [&](size_t r, int64_t days, int64_t& v) {
    if (__builtin_mul_overflow(days, kMicrosPerDay, &v)) {
      ctx.Fail(r, "date out of range for timestamp");
      return false;
    }
    return true;
  });
}

void TimestampToDate(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [](size_t, int64_t micros, int64_t& v) {
    v = FloorDiv(micros, kMicrosPerDay);
    return true;
  });
}

Kernel CastKernel(ColumnType from, ColumnType to) {
  using T = ColumnType;
  if (from == T::kString) {
    switch (to) {
      case T::kInteger:
        return FromStringKernel<T::kInteger>;
      case T::kFloat:
        return FromStringKernel<T::kFloat>;
      case T::kBoolean:
        return FromStringKernel<T::kBoolean>;
      case T::kDate:
        return FromStringKernel<T::kDate>;
      case T::kTimestamp:
        return FromStringKernel<T::kTimestamp>;
      case T::kString:
        return nullptr;
    }
  }
  if (to == T::kString) {
    switch (from) {
      case T::kInteger:
        return IntToString;
      case T::kFloat:
        return FloatToString;
      case T::kBoolean:
        return BooleanToString;
      case T::kDate:
        return TimeToString<true>;
      default:
        return TimeToString<false>;
    }
  }
  if (from == T::kInteger && to == T::kFloat) return IntToFloat;
  if (from == T::kBoolean && to == T::kFloat) return IntToFloat;
  if (from == T::kFloat && to == T::kInteger) return FloatToInt;
  if (from == T::kInteger && to == T::kBoolean) return IntToBoolean;
  if (from == T::kBoolean && to == T::kInteger) return SameInts;
  if (from == T::kDate && to == T::kTimestamp) return DateToTimestamp;
  if (from == T::kTimestamp && to == T::kDate) return TimestampToDate;
  return nullptr;
}

}  // namespace

bool CanCast(ColumnType from, ColumnType to) {
  return from == to || CastKernel(from, to) != nullptr;
}

void WrapInCast(Node& node, ColumnType to) {
  Node cast;
  cast.op = Op::kCast;
  cast.pos = node.pos;
  cast.depth = node.depth + 1;
  cast.cast_to = to;
  cast.type = to;
  cast.nullable = node.nullable;
  cast.kernel = CastKernel(node.type, to);
  cast.args.push_back(std::move(node));
  node = std::move(cast);
}

Status BindCast(const Binder& binder, Node& node) {
  Node& value = node.args[0];
  const ColumnType to = node.cast_to;
  if (value.untyped_null) {
    Binder::Coerce(value, to);
  } else if (!CanCast(value.type, to)) {
    return binder.Error(
        node, "cannot cast " + TypeName(value) + " to " + std::string(ColumnTypeName(to)));
  }
  if (value.type == to) {  // nothing to do: the cast is its argument
    Node inner = std::move(value);
    node = std::move(inner);
    return Status::Ok();
  }
  node.type = to;
  node.nullable = value.nullable;
  node.kernel = CastKernel(value.type, to);
  return Status::Ok();
}

}  // namespace sluice::expr

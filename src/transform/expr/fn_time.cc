// Date and time functions. Timestamps are instants in UTC, so every calendar
// field is the UTC one: date(ts) is the UTC date, hour(ts) the UTC hour.
//   date(x)              timestamp, date or string → date (as cast(x as date))
//   year, month, day     date or timestamp → integer
//   hour, minute         timestamp (a date is midnight) → integer
//   date_trunc(unit, x)  unit a constant 'year' | 'month' | 'day' | 'hour' |
//                        'minute' | 'second'; keeps x's type (a date is already
//                        truncated below a day)
//   epoch_ms(x)          timestamp (or date) → integer milliseconds since 1970-01-01T00:00:00Z
//   from_epoch_ms(n)     integer → timestamp; beyond year 9999 (or before 0) fails the row
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <array>
#include <string>

#include "core/cell_parse.h"
#include "core/iso_time.h"
#include "transform/expr/functions.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

enum class Part { kYear, kMonth, kDay, kHour, kMinute };
enum Unit : int64_t { kYear, kMonth, kDay, kHour, kMinute, kSecond };
constexpr std::array<std::string_view, 6> kUnits = {"year", "month",  "day",
                                                    "hour", "minute", "second"};

constexpr int64_t kMicrosPerHour = 3'600'000'000;
constexpr int64_t kMicrosPerMinute = 60'000'000;
constexpr int64_t kMicrosPerSecond = 1'000'000;

template <Part kPart, bool kTimestamp>
void ExtractPart(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [](size_t, int64_t value, int64_t& v) {
    if constexpr (kPart == Part::kHour || kPart == Part::kMinute) {
      int64_t of_day = value % kMicrosPerDay;  // not value - days * D: that overflows
      if (of_day < 0) of_day += kMicrosPerDay;
      v = kPart == Part::kHour ? of_day / kMicrosPerHour : of_day / kMicrosPerMinute % 60;
    } else {
      const CivilDate d = CivilFromDays(kTimestamp ? FloorDiv(value, kMicrosPerDay) : value);
      v = kPart == Part::kYear ? d.year : kPart == Part::kMonth ? d.month : d.day;
    }
    return true;
  });
}

// Start of the unit holding `days` (a date), for year, month and day.
int64_t TruncateDays(int64_t days, int64_t unit) {
  if (unit >= kDay) return days;
  const CivilDate d = CivilFromDays(days);
  return DaysFromCivil(static_cast<int>(d.year), unit == kYear ? 1 : static_cast<int>(d.month), 1);
}

template <bool kTimestamp>
void DateTrunc(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  const int64_t unit = node.param;
  Column scratch;
  const Column& a = Arg(node, 1, ctx, sel, scratch);
  PrepareColumn(out, node.type, ctx.rows());
  ForEach(sel, [&](size_t r) {
    if (a.nulls[r] != 0) {
      out.nulls[r] = 1;
      return;
    }
    const int64_t value = a.ints[r];
    if constexpr (!kTimestamp) {
      Put<int64_t>(out, r, TruncateDays(value, unit));
    } else {
      // Truncating goes down, so an instant near the lower end of int64 may have
      // no representable start of its unit.
      bool overflow = false;
      int64_t start = 0;
      if (unit < kDay) {
        overflow = __builtin_mul_overflow(TruncateDays(FloorDiv(value, kMicrosPerDay), unit),
                                          kMicrosPerDay, &start);
      } else {
        const int64_t step = unit == kDay      ? kMicrosPerDay
                             : unit == kHour   ? kMicrosPerHour
                             : unit == kMinute ? kMicrosPerMinute
                                               : kMicrosPerSecond;
        int64_t into = value % step;
        if (into < 0) into += step;
        overflow = __builtin_sub_overflow(value, into, &start);
      }
      if (overflow) {
        ctx.Fail(r, "timestamp out of range in date_trunc");
        out.nulls[r] = 1;
      } else {
        Put<int64_t>(out, r, start);
      }
    }
  });
}

void EpochMs(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [](size_t, int64_t micros, int64_t& v) {
    v = FloorDiv(micros, 1000);
    return true;
  });
}

void FromEpochMs(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [&](size_t r, int64_t ms, int64_t& v) {
    if (__builtin_mul_overflow(ms, int64_t{1000}, &v) || !TimestampInRange(v)) {
      ctx.Fail(r, "timestamp out of range: " + std::to_string(ms) + " ms");
      return false;
    }
    return true;
  });
}

Status RequireTime(const Binder& binder, Node& node, size_t i) {
  const Node& arg = node.args[i];
  if (arg.untyped_null) Binder::Coerce(node.args[i], ColumnType::kTimestamp);
  if (arg.type != ColumnType::kDate && arg.type != ColumnType::kTimestamp) {
    return binder.Error(arg, node.name + " needs a date or timestamp, got " + TypeName(arg));
  }
  return Status::Ok();
}

template <Part kPart>
Kernel PartKernel(ColumnType type) {
  return type == ColumnType::kTimestamp ? ExtractPart<kPart, true> : ExtractPart<kPart, false>;
}

Status BindDateTrunc(const Binder& binder, Node& node) {
  const Node& unit = node.args[0];
  if (unit.op != Op::kLiteral || unit.null_literal || unit.type != ColumnType::kString) {
    return binder.Error(unit, "the unit of date_trunc must be a constant string");
  }
  std::string lower = unit.string_value;
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  int64_t index = -1;
  for (size_t i = 0; i < kUnits.size(); ++i) {
    if (kUnits[i] == lower) index = static_cast<int64_t>(i);
  }
  if (index < 0) {
    return binder.Error(unit, "unknown date_trunc unit '" + unit.string_value +
                                  "' (year, month, day, hour, minute, second)");
  }
  RETURN_IF_ERROR(RequireTime(binder, node, 1));
  node.param = index;
  node.type = node.args[1].type;
  node.nullable = node.args[1].nullable;
  node.kernel = node.type == ColumnType::kTimestamp ? DateTrunc<true> : DateTrunc<false>;
  return Status::Ok();
}

}  // namespace

Status BindTimeCall(const Binder& binder, Node& node) {
  const std::string& name = node.name;
  if (name == "date_trunc") return BindDateTrunc(binder, node);
  node.nullable = AnyNullable(node);
  if (name == "date") {
    const Node& arg = node.args[0];
    if (!arg.untyped_null && arg.type != ColumnType::kDate && arg.type != ColumnType::kTimestamp &&
        arg.type != ColumnType::kString) {
      return binder.Error(arg, "date needs a timestamp, date or string, got " + TypeName(arg));
    }
    node.op = Op::kCast;
    node.cast_to = ColumnType::kDate;
    return BindCast(binder, node);
  }
  if (name == "from_epoch_ms") {
    RETURN_IF_ERROR(RequireType(binder, node, 0, ColumnType::kInteger));
    node.type = ColumnType::kTimestamp;
    node.kernel = FromEpochMs;
    return Status::Ok();
  }
  RETURN_IF_ERROR(RequireTime(binder, node, 0));
  node.type = ColumnType::kInteger;
  if (name == "hour" || name == "minute" || name == "epoch_ms") {
    Binder::Coerce(node.args[0], ColumnType::kTimestamp);
  }
  const ColumnType type = node.args[0].type;
  if (name == "year") node.kernel = PartKernel<Part::kYear>(type);
  if (name == "month") node.kernel = PartKernel<Part::kMonth>(type);
  if (name == "day") node.kernel = PartKernel<Part::kDay>(type);
  if (name == "hour") node.kernel = PartKernel<Part::kHour>(type);
  if (name == "minute") node.kernel = PartKernel<Part::kMinute>(type);
  if (name == "epoch_ms") node.kernel = EpochMs;
  return Status::Ok();
}

}  // namespace sluice::expr

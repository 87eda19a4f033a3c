// Numeric functions: abs, round, floor, ceil (integer stays integer, float stays
// float), sqrt, ln, log10, exp, pow (float). A result that is not a finite
// number, or an argument outside the function's domain, fails the row.
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <cmath>
#include <string>

#include "transform/expr/functions.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

enum class Fn : int64_t { kSqrt, kLn, kLog10, kExp, kFloor, kCeil, kRound, kAbs };

void AbsInt(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [&](size_t r, int64_t a, int64_t& v) {
    if (a == INT64_MIN) {
      ctx.Fail(r, "integer overflow in abs");
      return false;
    }
    v = a < 0 ? -a : a;
    return true;
  });
}

void SameInt(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [](size_t, int64_t a, int64_t& v) {
    v = a;
    return true;
  });
}

template <Fn kFn>
void FloatFn(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<double, double>(node, ctx, sel, out, [&](size_t r, double a, double& v) {
    if constexpr (kFn == Fn::kSqrt) {
      if (a < 0) {
        ctx.Fail(r, "sqrt of a negative number");
        return false;
      }
      v = std::sqrt(a);
    } else if constexpr (kFn == Fn::kLn || kFn == Fn::kLog10) {
      if (a <= 0) {
        ctx.Fail(r, node.name + " of zero or a negative number");
        return false;
      }
      v = kFn == Fn::kLn ? std::log(a) : std::log10(a);
    } else if constexpr (kFn == Fn::kExp) {
      v = std::exp(a);
    } else if constexpr (kFn == Fn::kFloor) {
      v = std::floor(a);
    } else if constexpr (kFn == Fn::kCeil) {
      v = std::ceil(a);
    } else if constexpr (kFn == Fn::kRound) {
      v = std::round(a);
    } else {
      v = std::fabs(a);
    }
    if (!std::isfinite(v)) {
      ctx.Fail(r, "float result out of range in " + node.name);
      return false;
    }
    return true;
  });
}

void Pow(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<double, double, double>(
      node, ctx, sel, out, [&](size_t r, double a, double b, double& v) {
        v = std::pow(a, b);
        if (!std::isfinite(v)) {
          ctx.Fail(r, "pow(" + std::to_string(a) + ", " + std::to_string(b) +
                          ") is not a finite number");
          return false;
        }
        return true;
      });
}

// round(float, digits): half away from zero at the given decimal digit (negative
// digits round left of the point).
void RoundFloatDigits(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<double, int64_t, double>(node, ctx, sel, out,
                                     [](size_t, double a, int64_t digits, double& v) {
                                       if (digits > 300) {
                                         v = a;  // finer than any double
                                         return true;
                                       }
                                       if (digits < -300) {
                                         v = 0;
                                         return true;
                                       }
                                       const double scale = std::pow(10.0, digits);
                                       const double scaled = a * scale;
                                       v = std::isfinite(scaled) ? std::round(scaled) / scale : a;
                                       if (!std::isfinite(v)) v = a;
                                       return true;
                                     });
}

// round(integer, digits): unchanged for digits >= 0, else to a multiple of
// 10^-digits, halves away from zero; overflow fails the row.
void RoundIntDigits(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<int64_t, int64_t, int64_t>(node, ctx, sel, out,
                                       [&](size_t r, int64_t a, int64_t digits, int64_t& v) {
                                         if (digits >= 0) {
                                           v = a;
                                           return true;
                                         }
                                         if (digits < -38) {  // half of 10^39 is beyond any int64
                                           v = 0;
                                           return true;
                                         }
                                         __int128 p = 1;
                                         for (int64_t i = 0; i < -digits; ++i) p *= 10;
                                         __int128 q = a / p;
                                         const __int128 rem = a % p;
                                         if (2 * (rem < 0 ? -rem : rem) >= p) q += a < 0 ? -1 : 1;
                                         const __int128 result = q * p;
                                         if (result > INT64_MAX || result < INT64_MIN) {
                                           ctx.Fail(r, "integer overflow in round");
                                           return false;
                                         }
                                         v = static_cast<int64_t>(result);
                                         return true;
                                       });
}

}  // namespace

Status BindMathCall(const Binder& binder, Node& node) {
  const std::string& name = node.name;
  node.nullable = AnyNullable(node);
  if (name == "pow") {
    RETURN_IF_ERROR(RequireNumber(binder, node, 0));
    RETURN_IF_ERROR(RequireNumber(binder, node, 1));
    Binder::Coerce(node.args[0], ColumnType::kFloat);
    Binder::Coerce(node.args[1], ColumnType::kFloat);
    node.type = ColumnType::kFloat;
    node.kernel = Pow;
    return Status::Ok();
  }
  const bool keeps_type = name == "abs" || name == "round" || name == "floor" || name == "ceil";
  RETURN_IF_ERROR(
      RequireNumber(binder, node, 0, keeps_type ? ColumnType::kInteger : ColumnType::kFloat));
  if (name == "round" && node.args.size() == 2) {
    RETURN_IF_ERROR(RequireType(binder, node, 1, ColumnType::kInteger));
    node.type = node.args[0].type;
    node.kernel = node.type == ColumnType::kInteger ? RoundIntDigits : RoundFloatDigits;
    return Status::Ok();
  }
  if (keeps_type && node.args[0].type == ColumnType::kInteger) {
    node.type = ColumnType::kInteger;
    node.kernel = name == "abs" ? AbsInt : SameInt;
    return Status::Ok();
  }
  Binder::Coerce(node.args[0], ColumnType::kFloat);
  node.type = ColumnType::kFloat;
  if (name == "abs") node.kernel = FloatFn<Fn::kAbs>;
  if (name == "round") node.kernel = FloatFn<Fn::kRound>;
  if (name == "floor") node.kernel = FloatFn<Fn::kFloor>;
  if (name == "ceil") node.kernel = FloatFn<Fn::kCeil>;
  if (name == "sqrt") node.kernel = FloatFn<Fn::kSqrt>;
  if (name == "ln") node.kernel = FloatFn<Fn::kLn>;
  if (name == "log10") node.kernel = FloatFn<Fn::kLog10>;
  if (name == "exp") node.kernel = FloatFn<Fn::kExp>;
  return Status::Ok();
}

}  // namespace sluice::expr

// Arithmetic (unary -, + - * / %) and concatenation (||): binding and kernels.
//
// integer op integer is integer, checked: overflow fails the row rather than
// wrapping; / truncates toward zero and % takes the sign of the dividend (as in
// PostgreSQL and C). With a float operand the other is promoted and the result is
// float; a result that is not finite fails the row. Dividing a non-null value by
// zero fails the row (NULL / 0 is NULL). date ± integer is a date (days), date -
// date an integer (days).
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <cmath>
#include <cstring>
#include <string>

#include "transform/expr/bind.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

std::string_view Symbol(Op op) {
  switch (op) {
    case Op::kAdd:
      return "+";
    case Op::kSub:
    case Op::kNeg:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    default:
      return "%";
  }
}

std::string_view Verb(Op op) {
  switch (op) {
    case Op::kAdd:
      return "add";
    case Op::kSub:
      return "subtract";
    case Op::kMul:
      return "multiply";
    case Op::kDiv:
      return "divide";
    default:
      return "take the remainder of";
  }
}

std::string OverflowMessage(Op op) { return "integer overflow in " + std::string(Symbol(op)); }

template <Op kOp>
void IntKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<int64_t, int64_t, int64_t>(node, ctx, sel, out,
                                       [&](size_t r, int64_t a, int64_t b, int64_t& v) {
                                         bool overflow = false;
                                         if constexpr (kOp == Op::kAdd) {
                                           overflow = __builtin_add_overflow(a, b, &v);
                                         } else if constexpr (kOp == Op::kSub) {
                                           overflow = __builtin_sub_overflow(a, b, &v);
                                         } else if constexpr (kOp == Op::kMul) {
                                           overflow = __builtin_mul_overflow(a, b, &v);
                                         } else {
                                           if (b == 0) {
                                             ctx.Fail(r, "division by zero");
                                             return false;
                                           }
                                           if (b == -1) {  // INT64_MIN / -1 is undefined in C++
                                             if constexpr (kOp == Op::kDiv) {
                                               overflow = __builtin_sub_overflow(0, a, &v);
                                             } else {
                                               v = 0;
                                             }
                                           } else {
                                             v = kOp == Op::kDiv ? a / b : a % b;
                                           }
                                         }
                                         if (overflow) {
                                           ctx.Fail(r, OverflowMessage(kOp));
                                           return false;
                                         }
                                         return true;
                                       });
}

template <Op kOp>
void FloatKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<double, double, double>(
      node, ctx, sel, out, [&](size_t r, double a, double b, double& v) {
        if constexpr (kOp == Op::kAdd) {
          v = a + b;
        } else if constexpr (kOp == Op::kSub) {
          v = a - b;
        } else if constexpr (kOp == Op::kMul) {
          v = a * b;
        } else {
          if (b == 0) {
            ctx.Fail(r, "division by zero");
            return false;
          }
          v = kOp == Op::kDiv ? a / b : std::fmod(a, b);
        }
        if (!std::isfinite(v)) {
          ctx.Fail(r, "float result out of range in " + std::string(Symbol(kOp)));
          return false;
        }
        return true;
      });
}

// date ± integer days.
template <Op kOp>
void DateShiftKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<int64_t, int64_t, int64_t>(
      node, ctx, sel, out, [&](size_t r, int64_t date, int64_t days, int64_t& v) {
        const bool overflow = kOp == Op::kAdd ? __builtin_add_overflow(date, days, &v)
                                              : __builtin_sub_overflow(date, days, &v);
        if (overflow || !DateInRange(v)) {
          ctx.Fail(r, "date out of range");
          return false;
        }
        return true;
      });
}

void NegIntKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [&](size_t r, int64_t a, int64_t& v) {
    if (__builtin_sub_overflow(int64_t{0}, a, &v)) {
      ctx.Fail(r, OverflowMessage(Op::kNeg));
      return false;
    }
    return true;
  });
}

void NegFloatKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<double, double>(node, ctx, sel, out, [](size_t, double a, double& v) {
    v = -a;
    return true;
  });
}

void ConcatKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<std::string_view, std::string_view, std::string_view>(
      node, ctx, sel, out,
      [&](size_t, std::string_view a, std::string_view b, std::string_view& v) {
        char* p = ctx.arena().Allocate(a.size() + b.size());
        if (!a.empty()) std::memcpy(p, a.data(), a.size());
        if (!b.empty()) std::memcpy(p + a.size(), b.data(), b.size());
        v = std::string_view(p, a.size() + b.size());
        return true;
      });
}

template <Op kOp>
Kernel NumericKernel(ColumnType type) {
  return type == ColumnType::kInteger ? IntKernel<kOp> : FloatKernel<kOp>;
}

Kernel KernelFor(Op op, ColumnType type) {
  switch (op) {
    case Op::kAdd:
      return NumericKernel<Op::kAdd>(type);
    case Op::kSub:
      return NumericKernel<Op::kSub>(type);
    case Op::kMul:
      return NumericKernel<Op::kMul>(type);
    case Op::kDiv:
      return NumericKernel<Op::kDiv>(type);
    default:
      return NumericKernel<Op::kMod>(type);
  }
}

// date + integer, integer + date, date - integer, date - date. Returns false when
// the operands are not of these shapes.
bool BindDateArithmetic(Node& node) {
  Node& a = node.args[0];
  Node& b = node.args[1];
  auto is_days = [](const Node& n) { return n.untyped_null || n.type == ColumnType::kInteger; };
  auto is_date = [](const Node& n) { return !n.untyped_null && n.type == ColumnType::kDate; };
  if (node.op == Op::kAdd && is_date(b) && is_days(a)) std::swap(a, b);
  const bool a_date = is_date(a);
  const bool b_date = is_date(b);
  if (a_date && is_days(b) && (node.op == Op::kAdd || node.op == Op::kSub)) {
    Binder::Coerce(b, ColumnType::kInteger);
    node.type = ColumnType::kDate;
    node.kernel = node.op == Op::kAdd ? DateShiftKernel<Op::kAdd> : DateShiftKernel<Op::kSub>;
    return true;
  }
  if (node.op == Op::kSub && a_date && b_date) {
    node.type = ColumnType::kInteger;
    node.kernel = IntKernel<Op::kSub>;
    return true;
  }
  return false;
}

}  // namespace

Status BindArithmetic(const Binder& binder, Node& node) {
  node.nullable = false;
  for (const Node& a : node.args) node.nullable = node.nullable || a.nullable;
  if (node.op == Op::kNeg || node.op == Op::kPlus) {
    Node& a = node.args[0];
    if (a.untyped_null) Binder::Coerce(a, ColumnType::kInteger);
    if (!IsNumeric(a.type)) {
      return binder.Error(
          node, std::string(node.op == Op::kNeg ? "cannot negate " : "cannot apply unary + to ") +
                    TypeName(a));
    }
    if (node.op == Op::kPlus) {
      Node inner = std::move(a);
      node = std::move(inner);
      return Status::Ok();
    }
    node.type = a.type;
    node.kernel = a.type == ColumnType::kInteger ? NegIntKernel : NegFloatKernel;
    return Status::Ok();
  }
  if (node.op == Op::kConcat) {
    // Anything concatenates, as its text (cast to string).
    for (Node& a : node.args) Binder::Coerce(a, ColumnType::kString);
    node.type = ColumnType::kString;
    node.kernel = ConcatKernel;
    return Status::Ok();
  }
  if (BindDateArithmetic(node)) return Status::Ok();
  for (const Node& a : node.args) {
    if (!a.untyped_null && !IsNumeric(a.type)) {
      return binder.Error(node, "cannot " + std::string(Verb(node.op)) + " " +
                                    TypeName(node.args[0]) + " and " + TypeName(node.args[1]));
    }
  }
  ASSIGN_OR_RETURN(node.type, binder.Unify(node, {&node.args[0], &node.args[1]}, Verb(node.op)));
  node.kernel = KernelFor(node.op, node.type);
  return Status::Ok();
}

}  // namespace sluice::expr

// Comparisons (= <> < <= > >=): binding and kernels. Both sides are brought to
// one type (integer → float, date → timestamp at midnight UTC); strings compare
// by bytes (UTF-8 byte order is code point order), booleans false < true. A null
// side gives null.
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <string_view>

#include "transform/expr/bind.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

template <Op kOp, typename T>
bool Compare(const T& a, const T& b) {
  if constexpr (kOp == Op::kEq) return a == b;
  if constexpr (kOp == Op::kNe) return a != b;
  if constexpr (kOp == Op::kLt) return a < b;
  if constexpr (kOp == Op::kLe) return a <= b;
  if constexpr (kOp == Op::kGt) return a > b;
  return a >= b;
}

template <Op kOp, typename T>
void CompareKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<T, T, int64_t>(node, ctx, sel, out, [](size_t, const T& a, const T& b, int64_t& v) {
    v = Compare<kOp>(a, b) ? 1 : 0;
    return true;
  });
}

template <Op kOp>
Kernel KernelForType(ColumnType type) {
  switch (type) {
    case ColumnType::kFloat:
      return CompareKernel<kOp, double>;
    case ColumnType::kString:
      return CompareKernel<kOp, std::string_view>;
    default:
      return CompareKernel<kOp, int64_t>;
  }
}

Kernel KernelFor(Op op, ColumnType type) {
  switch (op) {
    case Op::kEq:
      return KernelForType<Op::kEq>(type);
    case Op::kNe:
      return KernelForType<Op::kNe>(type);
    case Op::kLt:
      return KernelForType<Op::kLt>(type);
    case Op::kLe:
      return KernelForType<Op::kLe>(type);
    case Op::kGt:
      return KernelForType<Op::kGt>(type);
    default:
      return KernelForType<Op::kGe>(type);
  }
}

}  // namespace

Status BindComparison(const Binder& binder, Node& node) {
  ASSIGN_OR_RETURN(const ColumnType common,
                   binder.Unify(node, {&node.args[0], &node.args[1]}, "compare"));
  node.type = ColumnType::kBoolean;
  node.nullable = node.args[0].nullable || node.args[1].nullable;
  node.kernel = KernelFor(node.op, common);
  return Status::Ok();
}

}  // namespace sluice::expr

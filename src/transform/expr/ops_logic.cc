// not, and, or (SQL three-valued logic), is [not] null and case: binding and
// kernels. `and`, `or` and `case` evaluate an operand only on the rows whose
// result it can still change, so `x <> 0 and 1 / x > 2` and
// `case when x = 0 then 0 else 1 / x end` never fail on x = 0.
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <vector>

#include "transform/expr/bind.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

bool IsTrue(const Column& c, size_t r) { return c.nulls[r] == 0 && c.ints[r] != 0; }
bool IsFalse(const Column& c, size_t r) { return c.nulls[r] == 0 && c.ints[r] == 0; }

void NotKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<int64_t, int64_t>(node, ctx, sel, out, [](size_t, int64_t a, int64_t& v) {
    v = a == 0 ? 1 : 0;
    return true;
  });
}

// and: false wins over null; or: true wins over null.
template <bool kIsAnd>
void JunctionKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  Column scratch_a;
  Column scratch_b;
  const Column& a = Arg(node, 0, ctx, sel, scratch_a);
  const bool decisive = !kIsAnd;  // the value of `a` that decides the row alone
  std::vector<uint32_t> rows;
  const Selection rest =
      Subset(sel, rows, [&](size_t r) { return a.nulls[r] != 0 || (a.ints[r] != 0) != decisive; });
  const Column& b = Arg(node, 1, ctx, rest, scratch_b);
  PrepareColumn(out, ColumnType::kBoolean, ctx.rows());
  ForEach(sel, [&](size_t r) {
    const bool a_decides = kIsAnd ? IsFalse(a, r) : IsTrue(a, r);
    if (a_decides) {
      Put<int64_t>(out, r, decisive ? 1 : 0);
    } else if (kIsAnd ? IsFalse(b, r) : IsTrue(b, r)) {
      Put<int64_t>(out, r, decisive ? 1 : 0);
    } else if (a.nulls[r] != 0 || b.nulls[r] != 0) {
      out.nulls[r] = 1;
    } else {
      Put<int64_t>(out, r, decisive ? 0 : 1);
    }
  });
}

template <bool kWantNull>
void IsNullKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  Column scratch;
  const Column& a = Arg(node, 0, ctx, sel, scratch);
  PrepareColumn(out, ColumnType::kBoolean, ctx.rows());
  ForEach(sel, [&](size_t r) { Put<int64_t>(out, r, (a.nulls[r] != 0) == kWantNull ? 1 : 0); });
}

// Each `when` sees the rows no earlier `when` took; its `then` only the rows it takes.
void CaseKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  PrepareColumn(out, node.type, ctx.rows());
  std::vector<uint32_t> remaining(sel.size);
  size_t count = 0;
  ForEach(sel, [&](size_t r) { remaining[count++] = static_cast<uint32_t>(r); });
  std::vector<uint32_t> taken;
  std::vector<uint32_t> left;
  const size_t pairs = node.args.size() / 2;
  for (size_t p = 0; p < pairs && !remaining.empty(); ++p) {
    Column scratch_when;
    Column scratch_then;
    const Selection current{remaining.data(), remaining.size()};
    const Column& when = Arg(node, 2 * p, ctx, current, scratch_when);
    const Selection chosen = Subset(current, taken, [&](size_t r) { return IsTrue(when, r); });
    Subset(current, left, [&](size_t r) { return !IsTrue(when, r); });
    if (chosen.size > 0) {
      const Column& then = Arg(node, 2 * p + 1, ctx, chosen, scratch_then);
      ForEach(chosen, [&](size_t r) { CopyValue(then, out, r); });
    }
    remaining.swap(left);
  }
  const Selection rest{remaining.data(), remaining.size()};
  if (node.has_else && rest.size > 0) {
    Column scratch_else;
    const Column& otherwise = Arg(node, node.args.size() - 1, ctx, rest, scratch_else);
    ForEach(rest, [&](size_t r) { CopyValue(otherwise, out, r); });
  } else {
    ForEach(rest, [&](size_t r) { out.nulls[r] = 1; });
  }
}

Status RequireBoolean(const Binder& binder, const Node& at, Node& operand, std::string_view what) {
  if (operand.untyped_null) Binder::Coerce(operand, ColumnType::kBoolean);
  if (operand.type != ColumnType::kBoolean) {
    return binder.Error(operand, std::string(what) + " needs a boolean, got " + TypeName(operand));
  }
  return Status::Ok();
}

Status BindCase(const Binder& binder, Node& node) {
  const size_t pairs = node.args.size() / 2;
  std::vector<Node*> results;
  bool nullable = !node.has_else;
  for (size_t p = 0; p < pairs; ++p) {
    RETURN_IF_ERROR(RequireBoolean(binder, node, node.args[2 * p], "when"));
    results.push_back(&node.args[2 * p + 1]);
  }
  if (node.has_else) results.push_back(&node.args.back());
  for (const Node* r : results) nullable = nullable || r->nullable;
  ASSIGN_OR_RETURN(node.type, binder.Unify(node, results, "mix in one case"));
  node.nullable = nullable;
  node.kernel = CaseKernel;
  return Status::Ok();
}

}  // namespace

Status BindLogic(const Binder& binder, Node& node) {
  switch (node.op) {
    case Op::kIsNull:
    case Op::kIsNotNull:
      if (node.args[0].untyped_null) Binder::Coerce(node.args[0], ColumnType::kInteger);
      node.type = ColumnType::kBoolean;
      node.nullable = false;
      node.kernel = node.op == Op::kIsNull ? IsNullKernel<true> : IsNullKernel<false>;
      return Status::Ok();
    case Op::kCase:
      return BindCase(binder, node);
    case Op::kNot:
      RETURN_IF_ERROR(RequireBoolean(binder, node, node.args[0], "not"));
      node.kernel = NotKernel;
      break;
    default:
      RETURN_IF_ERROR(
          RequireBoolean(binder, node, node.args[0], node.op == Op::kAnd ? "and" : "or"));
      RETURN_IF_ERROR(
          RequireBoolean(binder, node, node.args[1], node.op == Op::kAnd ? "and" : "or"));
      node.kernel = node.op == Op::kAnd ? JunctionKernel<true> : JunctionKernel<false>;
      break;
  }
  node.type = ColumnType::kBoolean;
  node.nullable = false;
  for (const Node& a : node.args) node.nullable = node.nullable || a.nullable;
  return Status::Ok();
}

}  // namespace sluice::expr

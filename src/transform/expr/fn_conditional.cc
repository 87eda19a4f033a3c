// coalesce, nullif, least and greatest. The arguments are brought to one type as
// in a comparison. coalesce evaluates an argument only on the rows still null;
// least and greatest ignore nulls (null only when every argument is null, as in
// PostgreSQL); nullif(a, b) is `case when a = b then null else a end`.
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <vector>

#include "transform/expr/functions.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

void Coalesce(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  PrepareColumn(out, node.type, ctx.rows());
  std::vector<uint32_t> remaining;
  std::vector<uint32_t> next;
  Selection current = sel;
  for (size_t i = 0; i < node.args.size() && current.size > 0; ++i) {
    Column scratch;
    const Column& a = Arg(node, i, ctx, current, scratch);
    ForEach(current, [&](size_t r) { CopyValue(a, out, r); });
    current = Subset(current, next, [&](size_t r) { return a.nulls[r] != 0; });
    remaining.swap(next);
  }
}

template <bool kGreatest, typename T>
void Extreme(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  PrepareColumn(out, node.type, ctx.rows());
  ForEach(sel, [&](size_t r) { out.nulls[r] = 1; });
  for (size_t i = 0; i < node.args.size(); ++i) {
    Column scratch;
    const Column& a = Arg(node, i, ctx, sel, scratch);
    ForEach(sel, [&](size_t r) {
      if (a.nulls[r] != 0) return;
      const T v = Get<T>(a, r);
      if (out.nulls[r] != 0 || (kGreatest ? Get<T>(out, r) < v : v < Get<T>(out, r))) {
        Put<T>(out, r, v);
      }
    });
  }
}

template <bool kGreatest>
Kernel ExtremeKernel(ColumnType type) {
  switch (type) {
    case ColumnType::kFloat:
      return Extreme<kGreatest, double>;
    case ColumnType::kString:
      return Extreme<kGreatest, std::string_view>;
    default:
      return Extreme<kGreatest, int64_t>;
  }
}

}  // namespace

Status BindConditionalCall(const Binder& binder, Node& node) {
  if (node.name == "nullif") {
    Node a = node.args[0];
    Node eq;
    eq.op = Op::kEq;
    eq.pos = node.pos;
    eq.args = std::move(node.args);
    Node null;
    null.pos = node.pos;
    null.null_literal = true;
    null.untyped_null = true;
    null.nullable = true;
    null.kernel = LiteralKernel;
    node.op = Op::kCase;
    node.has_else = true;
    node.args.clear();
    node.args.push_back(std::move(eq));
    node.args.push_back(std::move(null));
    node.args.push_back(std::move(a));
    RETURN_IF_ERROR(BindComparison(binder, node.args[0]));
    return BindLogic(binder, node);
  }
  std::vector<Node*> args;
  for (Node& a : node.args) args.push_back(&a);
  ASSIGN_OR_RETURN(node.type, binder.Unify(node, args, "mix in " + node.name));
  if (node.name == "coalesce") {
    node.nullable = true;
    for (const Node& a : node.args) node.nullable = node.nullable && a.nullable;
    node.kernel = Coalesce;
    return Status::Ok();
  }
  node.nullable = true;
  for (const Node& a : node.args) node.nullable = node.nullable && a.nullable;
  node.kernel =
      node.name == "greatest" ? ExtremeKernel<true>(node.type) : ExtremeKernel<false>(node.type);
  return Status::Ok();
}

}  // namespace sluice::expr

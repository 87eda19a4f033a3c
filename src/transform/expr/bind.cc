#include "transform/expr/bind.h"

#include <utility>

#include "transform/expr/kernel_util.h"
#include "transform/expr/parser.h"

namespace sluice::expr {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string TypeName(const Node& node) {
  return node.untyped_null ? "null" : std::string(ColumnTypeName(node.type));
}

bool IsNumeric(ColumnType type) {
  return type == ColumnType::kInteger || type == ColumnType::kFloat;
}

bool ImplicitlyConvertible(ColumnType from, ColumnType to) {
  return from == to || (from == ColumnType::kInteger && to == ColumnType::kFloat) ||
         (from == ColumnType::kDate && to == ColumnType::kTimestamp);
}

Status Binder::Error(const Node& node, std::string_view what) const {
  return ErrorAt(text_, node.pos, what);
}

void Binder::Coerce(Node& node, ColumnType to) {
  if (node.untyped_null) {
    node.type = to;
    node.untyped_null = false;  // now a typed null: it stays null, of this type
    return;
  }
  if (node.type != to) WrapInCast(node, to);
}

std::optional<ColumnType> Binder::CommonType(const std::vector<Node*>& nodes) {
  std::optional<ColumnType> common;
  for (const Node* n : nodes) {
    if (n->untyped_null) continue;
    if (!common || ImplicitlyConvertible(*common, n->type)) {
      common = n->type;
    } else if (!ImplicitlyConvertible(n->type, *common)) {
      return std::nullopt;
    }
  }
  return common.value_or(ColumnType::kInteger);
}

Result<ColumnType> Binder::Unify(const Node& at, const std::vector<Node*>& nodes,
                                 std::string_view verb) const {
  const std::optional<ColumnType> common = CommonType(nodes);
  if (!common) {
    // Name the first two types that do not agree.
    const Node* first = nullptr;
    for (const Node* n : nodes) {
      if (n->untyped_null) continue;
      if (first == nullptr) {
        first = n;
      } else if (!ImplicitlyConvertible(first->type, n->type) &&
                 !ImplicitlyConvertible(n->type, first->type)) {
        return Error(
            at, "cannot " + std::string(verb) + " " + TypeName(*first) + " and " + TypeName(*n));
      }
    }
    return Error(at, "cannot " + std::string(verb) + " these types");
  }
  for (Node* n : nodes) Coerce(*n, *common);
  return *common;
}

Status Binder::BindColumn(Node& node) const {
  int exact = -1;
  int folded = -1;
  int folded_count = 0;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].name == node.name) exact = static_cast<int>(i);
    if (EqualsIgnoringCase(inputs_[i].name, node.name)) {
      if (folded < 0) folded = static_cast<int>(i);
      ++folded_count;
    }
  }
  int index = exact;
  if (index < 0 && !node.quoted) {
    if (folded_count > 1) {
      return Error(node, "column '" + node.name + "' is ambiguous (several columns differ " +
                             "only in case; quote the exact name)");
    }
    index = folded;
  }
  if (index < 0) return Error(node, "unknown column '" + node.name + "'");
  node.column = static_cast<size_t>(index);
  node.type = inputs_[node.column].type;
  node.nullable = inputs_[node.column].nullable;
  return Status::Ok();
}

Status Binder::Bind(Node& node) {
  if (node.op == Op::kColumn) return BindColumn(node);
  if (node.op == Op::kLiteral) {
    node.nullable = node.null_literal;
    node.kernel = LiteralKernel;
    return Status::Ok();
  }
  for (Node& arg : node.args) RETURN_IF_ERROR(Bind(arg));
  switch (node.op) {
    case Op::kNeg:
    case Op::kPlus:
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod:
    case Op::kConcat:
      return BindArithmetic(*this, node);
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
      return BindComparison(*this, node);
    case Op::kNot:
    case Op::kAnd:
    case Op::kOr:
    case Op::kIsNull:
    case Op::kIsNotNull:
    case Op::kCase:
      return BindLogic(*this, node);
    case Op::kCast:
      return BindCast(*this, node);
    case Op::kCall:
      return BindCall(*this, node);
    case Op::kLiteral:
    case Op::kColumn:
      break;
  }
  return Status::Internal("unbound expression node");
}

void LiteralKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  PrepareColumn(out, node.type, ctx.rows());
  if (node.null_literal) {
    ForEach(sel, [&](size_t r) { out.nulls[r] = 1; });
    return;
  }
  switch (node.type) {
    case ColumnType::kFloat:
      ForEach(sel, [&](size_t r) { Put<double>(out, r, node.float_value); });
      break;
    case ColumnType::kString:
      ForEach(sel, [&](size_t r) { Put<std::string_view>(out, r, node.string_value); });
      break;
    default:
      ForEach(sel, [&](size_t r) { Put<int64_t>(out, r, node.int_value); });
      break;
  }
}

}  // namespace sluice::expr

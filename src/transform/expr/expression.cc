// CompileExpression (parse → bind → fold) and Expression::Evaluate.
//
// Thread-safety: see expression.h.
#include "transform/expr/expression.h"

#include <algorithm>
#include <utility>

#include "transform/expr/bind.h"
#include "transform/expr/kernel_util.h"
#include "transform/expr/parser.h"

namespace sluice {
namespace expr {

const Column& Eval(const Node& node, EvalContext& ctx, Selection sel, Column& scratch) {
  if (node.op == Op::kColumn) return ctx.in().columns()[node.column];
  node.kernel(node, ctx, sel, scratch);
  return scratch;
}

void PrepareColumn(Column& out, ColumnType type, size_t rows) {
  out.def.type = type;
  out.nulls.resize(rows);
  switch (type) {
    case ColumnType::kFloat:
      out.floats.resize(rows);
      break;
    case ColumnType::kString:
      out.strings.resize(rows);
      break;
    default:
      out.ints.resize(rows);
      break;
  }
}

std::string Quoted(std::string_view value) {
  constexpr size_t kMax = 40;
  if (value.size() <= kMax) return "'" + std::string(value) + "'";
  size_t cut = kMax;  // not inside a UTF-8 sequence
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(value.substr(0, cut)) + "...'";
}

namespace {

// Replaces every sub-tree that reads no column by its value, computed once now.
// A sub-tree whose computation fails (1 / 0) is left as it is: it fails only on
// the rows that reach it (`case when x > 0 then 1 / 0 end`).
void Fold(Node& node) {
  if (node.op == Op::kLiteral || node.op == Op::kColumn) return;
  bool constant = true;
  for (Node& a : node.args) {
    Fold(a);
    constant = constant && a.op == Op::kLiteral;
  }
  if (!constant) return;
  Batch one;
  one.FinishRow(0);
  StringArena arena;
  std::vector<RowFailure> failures;
  EvalContext ctx(one, arena, failures);
  Column value;
  node.kernel(node, ctx, Selection{nullptr, 1}, value);
  if (!failures.empty()) return;
  Node literal;
  literal.pos = node.pos;
  literal.type = node.type;
  literal.kernel = LiteralKernel;
  literal.null_literal = value.nulls[0] != 0;
  literal.nullable = literal.null_literal;
  if (!literal.null_literal) {
    if (node.type == ColumnType::kFloat) {
      literal.float_value = value.floats[0];
    } else if (node.type == ColumnType::kString) {
      literal.string_value = std::string(value.strings[0]);
    } else {
      literal.int_value = value.ints[0];
    }
  }
  node = std::move(literal);
}

void CollectColumns(const Node& node, std::vector<size_t>& columns) {
  if (node.op == Op::kColumn) columns.push_back(node.column);
  for (const Node& a : node.args) CollectColumns(a, columns);
}

}  // namespace
}  // namespace expr

ColumnType Expression::type() const { return root_ ? root_->type : ColumnType::kString; }

bool Expression::nullable() const { return !root_ || root_->nullable; }

Status Expression::Evaluate(const Batch& in, Column& out, std::vector<RowFailure>& failures,
                            StringArena& arena) const {
  using expr::Selection;
  if (!root_) return Status::Internal("evaluating an expression that was not compiled");
  const size_t rows = in.rows();
  for (size_t c : columns_) {
    if (c >= in.columns().size()) {
      return Status::Internal("expression '" + text_ + "': the batch lacks input column " +
                              std::to_string(c + 1));
    }
    const Column& column = in.columns()[c];
    const ColumnType type = column.def.type;
    const size_t values = type == ColumnType::kFloat    ? column.floats.size()
                          : type == ColumnType::kString ? column.strings.size()
                                                        : column.ints.size();
    if (type != input_types_[c] || column.nulls.size() < rows || values < rows) {
      return Status::Internal("expression '" + text_ + "': batch column " + std::to_string(c + 1) +
                              " ('" + column.def.name + "') does not match the compiled inputs");
    }
  }
  std::vector<RowFailure> failed;
  expr::EvalContext ctx(in, arena, failed);
  const Selection all{nullptr, rows};
  if (root_->op == expr::Op::kColumn) {
    const Column& source = in.columns()[root_->column];
    expr::PrepareColumn(out, root_->type, rows);
    for (size_t r = 0; r < rows; ++r) expr::CopyValue(source, out, r);
  } else {
    root_->kernel(*root_, ctx, all, out);
  }
  out.def.type = root_->type;
  out.def.nullable = root_->nullable;
  if (!failed.empty()) {
    for (const RowFailure& f : failed) out.nulls[f.row] = 1;
    std::stable_sort(failed.begin(), failed.end(),
                     [](const RowFailure& a, const RowFailure& b) { return a.row < b.row; });
    for (RowFailure& f : failed) failures.push_back(std::move(f));
  }
  return Status::Ok();
}

Result<Expression> CompileExpression(std::string_view text, const std::vector<ColumnDef>& inputs) {
  ASSIGN_OR_RETURN(expr::Node root, expr::Parse(text));
  expr::Binder binder(text, inputs);
  RETURN_IF_ERROR(binder.Bind(root));
  if (root.untyped_null) expr::Binder::Coerce(root, ColumnType::kString);
  expr::Fold(root);
  Expression e;
  expr::CollectColumns(root, e.columns_);
  std::sort(e.columns_.begin(), e.columns_.end());
  e.columns_.erase(std::unique(e.columns_.begin(), e.columns_.end()), e.columns_.end());
  for (const ColumnDef& def : inputs) e.input_types_.push_back(def.type);
  e.root_ = std::make_shared<const expr::Node>(std::move(root));
  e.text_ = std::string(text);
  return e;
}

}  // namespace sluice

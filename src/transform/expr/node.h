// The expression tree, shared by the parser (which builds it untyped), the binder
// (which resolves names, types it and picks each node's kernel) and the
// evaluator (which runs the kernels a column at a time). Internal to
// transform/expr; the public surface is expression.h.
//
// Evaluation: every node computes its values for a Selection of rows of the
// batch at once. Kernels evaluate their own children, so that `and`, `or`,
// `case` and `coalesce` evaluate a child only on the rows that still need it (a
// division guarded by `x <> 0 and ...` never sees the zero).
//
// Thread-safety: a bound tree is immutable; EvalContext belongs to one Evaluate call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/table.h"
#include "transform/expr/expression.h"
#include "transform/expr/string_arena.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace sluice::expr {

enum class Op : uint8_t {
  kLiteral,
  kColumn,
  kNeg,
  kPlus,  // unary +: checked to be a number, then replaced by its argument
  kNot,
  kAnd,
  kOr,
  kIsNull,
  kIsNotNull,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kConcat,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kCase,  // args: when1, then1, when2, then2, ..., [else]; has_else says which
  kCast,  // args: the value; cast_to is the target
  kCall,  // name is the function (lower case); args its arguments
};

// Rows of a batch to compute: all rows 0..size-1, or the listed ones (ascending).
struct Selection {
  const uint32_t* rows = nullptr;  // null: every row
  size_t size = 0;
  size_t Row(size_t k) const { return rows == nullptr ? k : rows[k]; }
};

class EvalContext;
struct Node;
using Kernel = void (*)(const Node& node, EvalContext& ctx, Selection sel, Column& out);

struct Node {
  Op op = Op::kLiteral;
  size_t pos = 0;    // byte offset in the text of the token that starts the node
  int depth = 1;     // height of the subtree, bounded by the parser
  size_t size = 1;   // nodes in the subtree, bounded by the parser
  std::string name;  // kColumn: as written; kCall: function name, lower case
  std::vector<Node> args;
  bool has_else = false;  // kCase
  bool quoted = false;    // kColumn: written "quoted", so matched exactly

  // kLiteral: the value (`null_literal` true for NULL).
  bool null_literal = false;
  int64_t int_value = 0;  // integer, boolean, date, timestamp
  double float_value = 0;
  std::string string_value;

  // Set by the binder.
  ColumnType type = ColumnType::kString;
  bool untyped_null = false;  // a NULL literal whose type the context decides
  bool nullable = true;
  size_t column = 0;  // kColumn: index into the inputs
  ColumnType cast_to = ColumnType::kString;
  int64_t param = 0;                      // kernel-specific constant (date_trunc unit)
  std::shared_ptr<const re2::RE2> regex;  // regexp_matches: the compiled pattern
  Kernel kernel = nullptr;
};

// State of one evaluation: the input batch, the arena for produced strings and
// the failed rows (each reported once, with the first reason).
class EvalContext {
 public:
  EvalContext(const Batch& in, StringArena& arena, std::vector<RowFailure>& failures)
      : in_(in), arena_(arena), failures_(failures), failed_(in.rows(), 0) {}

  const Batch& in() const { return in_; }
  size_t rows() const { return in_.rows(); }
  StringArena& arena() { return arena_; }
  void Fail(size_t row, std::string message) {
    if (failed_[row] != 0) return;
    failed_[row] = 1;
    failures_.push_back({row, std::move(message)});
  }
  const std::vector<uint8_t>& failed() const { return failed_; }

 private:
  const Batch& in_;
  StringArena& arena_;
  std::vector<RowFailure>& failures_;
  std::vector<uint8_t> failed_;
};

// Evaluates `node` on the rows of `sel` and returns the column that holds the
// values for those rows: an input column of the batch (a column reference, not
// copied) or `scratch`. Other rows of the result are unspecified.
const Column& Eval(const Node& node, EvalContext& ctx, Selection sel, Column& scratch);

// Sizes `out` for ctx.rows() rows of `type` (values of unselected rows unspecified).
void PrepareColumn(Column& out, ColumnType type, size_t rows);

// "'<value>'" for messages about a string value, cut at 40 bytes.
std::string Quoted(std::string_view value);

// The byte offset `pos` of `text` as a 1-based character position.
size_t CharPosition(std::string_view text, size_t pos);

}  // namespace sluice::expr

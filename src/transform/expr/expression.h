// Expression: a compiled, typed expression of the transform language (derive and
// filter), evaluated a column at a time over a Batch. The language is described in
// docs/transforms.md; in short: literals, column references, + - * / %, ||,
// comparisons, and/or/not (three-valued), is [not] null, [not] in (...),
// case when, cast(x as TYPE) and a fixed set of functions, with SQL null semantics.
//
// Compile once (at configuration load), evaluate many times:
//
//   ASSIGN_OR_RETURN(Expression e, CompileExpression("temperature + 273.15", defs));
//   StringArena arena;                      // keep alive while `out` is used
//   std::vector<RowFailure> failures;
//   RETURN_IF_ERROR(e.Evaluate(batch, out, failures, arena));
//
// Column names: a bare identifier matches an input column ignoring ASCII case
// (an exact match wins when two columns differ only in case; otherwise the
// reference is ambiguous and an error); a quoted identifier ("Wind Speed", ""
// escapes a quote) matches exactly. Keywords (and, or, not, null, true, false,
// case, when, then, else, end, is, in, as, cast, ...) name a column only when quoted.
//
// A row whose evaluation fails (a non-null value divided by zero, a failed cast,
// integer overflow, a float result that is not finite, a date out of range, ...)
// is reported as a RowFailure and gets null in the output; the rest of the batch
// is evaluated normally.
//
// Thread-safety: an Expression is immutable after compilation; copies share their
// compiled tree, and Evaluate may run on one Expression from several threads at
// once, each with its own output, failures and arena. StringArena: one owner.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "transform/expr/string_arena.h"

namespace sluice {

namespace expr {
struct Node;  // the compiled tree (transform/expr/node.h)
}  // namespace expr

// One row whose evaluation failed: its index in the evaluated batch and why
// ("division by zero", "cannot cast 'abc' to integer", "integer overflow in +").
struct RowFailure {
  size_t row = 0;
  std::string message;
};

class Expression {
 public:
  // The type of the values the expression produces. An expression that is only
  // `null` has type string.
  ColumnType type() const;
  // False when no row can produce null (e.g. a non-nullable column plus a literal);
  // a row whose evaluation fails is null whatever this says.
  bool nullable() const;
  // Indexes into the compile-time inputs of the columns the expression reads,
  // ascending, each once. Empty for a constant expression.
  const std::vector<size_t>& columns() const { return columns_; }
  // True when the expression reads no column (it was folded to one value, or
  // kept unfolded because computing it fails, as in `1 / 0`).
  bool constant() const { return columns_.empty(); }
  // The source text it was compiled from.
  const std::string& text() const { return text_; }

  // Evaluates the expression on every row of `in`. Requires: for each index i in
  // columns(), in.columns()[i] has the type given for input i at compilation and
  // one value per row (other columns, and columns beyond the inputs, are not read).
  // `out` may be a column of `in` that the expression does not read (a derived
  // column filled in place). Replaces the values and nulls of `out` with in.rows() rows and sets
  // out.def.type and out.def.nullable (out.def.name is left alone). String values
  // of `out` point into `in`, into the compiled expression, or into `arena`, which
  // must outlive their use and not be cleared meanwhile. Appends one RowFailure per
  // failed row to `failures`, in ascending row order; those rows are null in `out`.
  // Errors: Internal when `in` does not match the inputs (a caller bug); never for
  // bad data.
  Status Evaluate(const Batch& in, Column& out, std::vector<RowFailure>& failures,
                  StringArena& arena) const;

 private:
  friend Result<Expression> CompileExpression(std::string_view text,
                                              const std::vector<ColumnDef>& inputs);
  std::shared_ptr<const expr::Node> root_;
  std::vector<size_t> columns_;
  std::vector<ColumnType> input_types_;  // of each compile-time input, to check Evaluate's batch
  std::string text_;
};

// Lexes, parses, resolves the column names against `inputs` (the columns of the
// batches it will be evaluated on, in order), type-checks and folds constant
// sub-expressions. Errors: InvalidArgument "at <column>: <what is wrong>", where
// <column> is the 1-based character position in `text` (e.g. "at 14: unknown
// column 'tmp'", "at 3: cannot add string and integer", "at 1: unknown
// function 'sqr'", "at 1: round takes 1 or 2 arguments, got 3"); the caller adds
// the file, rule and expression.
Result<Expression> CompileExpression(std::string_view text, const std::vector<ColumnDef>& inputs);

}  // namespace sluice

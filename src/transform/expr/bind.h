// Binding: resolves the column names of a parsed tree, types every node, inserts
// the implicit conversions (integer → float in arithmetic and comparisons, date →
// timestamp when compared or mixed with a timestamp, anything → string around
// ||) and gives each node its kernel. Each group of operators binds its own
// nodes, beside its kernels: ops_arith.cc, ops_compare.cc, ops_logic.cc,
// ops_cast.cc and the functions (functions.cc).
//
// Thread-safety: a Binder is used by one compilation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "transform/expr/node.h"

namespace sluice::expr {

class Binder {
 public:
  Binder(std::string_view text, const std::vector<ColumnDef>& inputs)
      : text_(text), inputs_(inputs) {}

  // Binds `node` and its subtree. Errors: InvalidArgument "at <position>: ...".
  Status Bind(Node& node);

  // InvalidArgument naming the character position of `node` in the text.
  Status Error(const Node& node, std::string_view what) const;

  // Makes `node` produce `to`: types an untyped null, or wraps the node in an
  // implicit cast. Requires ImplicitlyConvertible(node.type, to) or an untyped null.
  static void Coerce(Node& node, ColumnType to);
  // The type every node can be converted to implicitly (untyped nulls take any):
  // the same type, float for integer and float, timestamp for date and timestamp.
  // nullopt when there is none; integer when every node is an untyped null.
  static std::optional<ColumnType> CommonType(const std::vector<Node*>& nodes);
  // CommonType, then Coerce of every node. Errors: "cannot <verb> <t1> and <t2>".
  Result<ColumnType> Unify(const Node& at, const std::vector<Node*>& nodes,
                           std::string_view verb) const;

 private:
  Status BindColumn(Node& node) const;

  std::string_view text_;
  const std::vector<ColumnDef>& inputs_;
};

// "integer", "string", ..., or "null" for an untyped null.
std::string TypeName(const Node& node);
// True for integer → float and date → timestamp.
bool ImplicitlyConvertible(ColumnType from, ColumnType to);
bool IsNumeric(ColumnType type);

// Binders per group of operators; each requires bound arguments and sets
// type, nullable and kernel.
Status BindArithmetic(const Binder& binder, Node& node);  // - (unary) + - * / % ||
Status BindComparison(const Binder& binder, Node& node);  // = <> < <= > >=
Status BindLogic(const Binder& binder, Node& node);       // not and or, is [not] null, case
Status BindCast(const Binder& binder, Node& node);        // cast(x as T)
Status BindCall(const Binder& binder, Node& node);        // functions

// Wraps the bound `node` in a cast to `to`; requires CanCast(node.type, to).
void WrapInCast(Node& node, ColumnType to);
// Whether cast(x as to) exists for x of type `from`.
bool CanCast(ColumnType from, ColumnType to);

// The kernel of literals: broadcasts the node's value.
void LiteralKernel(const Node& node, EvalContext& ctx, Selection sel, Column& out);

}  // namespace sluice::expr

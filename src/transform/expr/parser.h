// Parser of the expression language: text → untyped expression tree (node.h).
// A hand-written lexer and recursive-descent parser, one level per precedence
// (docs/transforms.md lists them). `in`, `between` and the simple `case x when`
// are rewritten into comparisons here, so later passes know only the core ops.
//
// Thread-safety: pure function.
#pragma once

#include <string_view>

#include "core/status.h"
#include "transform/expr/node.h"

namespace sluice::expr {

// Subtrees deeper than this are refused, so that no recursion (parsing, where a
// level of parentheses is a dozen calls, binding, folding, evaluation) can
// exhaust the stack whatever the text, sanitizer builds' larger frames included.
inline constexpr int kMaxDepth = 64;
// Trees larger than this are refused: `in`, `between` and `case x when` copy
// their subject, so that nesting them could otherwise grow a tree exponentially.
inline constexpr size_t kMaxNodes = 100'000;

// Parses `text`. Errors: InvalidArgument "at <character position>: <what>".
Result<Node> Parse(std::string_view text);

// InvalidArgument "at <1-based character position of byte `pos`>: <what>".
Status ErrorAt(std::string_view text, size_t pos, std::string_view what);

}  // namespace sluice::expr

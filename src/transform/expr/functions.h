// The functions of the expression language, by family. functions.cc checks the
// name and the number of arguments (BindCall) and hands the call to its family's
// binder, which checks the argument types, inserts conversions and picks the
// kernel. Names are matched ignoring case; the parser lower-cases them.
//
// Thread-safety: stateless.
#pragma once

#include "core/status.h"
#include "transform/expr/bind.h"

namespace sluice::expr {

// abs, round, floor, ceil, sqrt, ln, log10, exp, pow (fn_math.cc).
Status BindMathCall(const Binder& binder, Node& node);
// lower, upper, trim, length, substr, replace, starts_with, regexp_matches (fn_string.cc).
Status BindStringCall(const Binder& binder, Node& node);
// date, year, month, day, hour, minute, date_trunc, epoch_ms, from_epoch_ms (fn_time.cc).
Status BindTimeCall(const Binder& binder, Node& node);
// coalesce, nullif, least, greatest (fn_conditional.cc).
Status BindConditionalCall(const Binder& binder, Node& node);

// Types argument `i` of a call as a number (an untyped null becomes `null_as`).
// Errors: "<function> needs a number, got <type>".
Status RequireNumber(const Binder& binder, Node& call, size_t i,
                     ColumnType null_as = ColumnType::kFloat);
// Types argument `i` as `type` (through an implicit conversion, or typing a null).
// Errors: "<function> needs a <type>, got <type>".
Status RequireType(const Binder& binder, Node& call, size_t i, ColumnType type);
// True when any argument is nullable.
bool AnyNullable(const Node& call);

}  // namespace sluice::expr

#include "transform/expr/functions.h"

#include <string>
#include <string_view>

namespace sluice::expr {
namespace {

struct FunctionSpec {
  std::string_view name;
  size_t min_args;
  size_t max_args;  // kVariadic: any number from min_args
  Status (*bind)(const Binder&, Node&);
};

constexpr size_t kVariadic = static_cast<size_t>(-1);

constexpr FunctionSpec kFunctions[] = {
    {"abs", 1, 1, BindMathCall},
    {"round", 1, 2, BindMathCall},
    {"floor", 1, 1, BindMathCall},
    {"ceil", 1, 1, BindMathCall},
    {"sqrt", 1, 1, BindMathCall},
    {"ln", 1, 1, BindMathCall},
    {"log10", 1, 1, BindMathCall},
    {"exp", 1, 1, BindMathCall},
    {"pow", 2, 2, BindMathCall},
    {"lower", 1, 1, BindStringCall},
    {"upper", 1, 1, BindStringCall},
    {"trim", 1, 1, BindStringCall},
    {"length", 1, 1, BindStringCall},
    {"substr", 2, 3, BindStringCall},
    {"replace", 3, 3, BindStringCall},
    {"starts_with", 2, 2, BindStringCall},
    {"regexp_matches", 2, 2, BindStringCall},
    {"date", 1, 1, BindTimeCall},
    {"year", 1, 1, BindTimeCall},
    {"month", 1, 1, BindTimeCall},
    {"day", 1, 1, BindTimeCall},
    {"hour", 1, 1, BindTimeCall},
    {"minute", 1, 1, BindTimeCall},
    {"date_trunc", 2, 2, BindTimeCall},
    {"epoch_ms", 1, 1, BindTimeCall},
    {"from_epoch_ms", 1, 1, BindTimeCall},
    {"coalesce", 1, kVariadic, BindConditionalCall},
    {"nullif", 2, 2, BindConditionalCall},
    {"least", 1, kVariadic, BindConditionalCall},
    {"greatest", 1, kVariadic, BindConditionalCall},
};

std::string ArityText(const FunctionSpec& f) {
  auto plural = [](size_t n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); };
  if (f.max_args == kVariadic) return "at least " + plural(f.min_args);
  if (f.min_args == f.max_args) return plural(f.min_args);
  return std::to_string(f.min_args) + " or " + plural(f.max_args);
}

}  // namespace

Status BindCall(const Binder& binder, Node& node) {
  for (const FunctionSpec& f : kFunctions) {
    if (f.name != node.name) continue;
    const size_t n = node.args.size();
    if (n < f.min_args || n > f.max_args) {
      return binder.Error(
          node, std::string(f.name) + " takes " + ArityText(f) + ", got " + std::to_string(n));
    }
    return f.bind(binder, node);
  }
  return binder.Error(node, "unknown function '" + node.name + "'");
}

Status RequireNumber(const Binder& binder, Node& call, size_t i, ColumnType null_as) {
  Node& arg = call.args[i];
  if (arg.untyped_null) Binder::Coerce(arg, null_as);
  if (!IsNumeric(arg.type)) {
    return binder.Error(arg, call.name + " needs a number, got " + TypeName(arg));
  }
  return Status::Ok();
}

Status RequireType(const Binder& binder, Node& call, size_t i, ColumnType type) {
  Node& arg = call.args[i];
  if (!arg.untyped_null && !ImplicitlyConvertible(arg.type, type)) {
    const std::string_view name = ColumnTypeName(type);
    const char* article = name[0] == 'i' ? " needs an " : " needs a ";
    return binder.Error(arg, call.name + article + std::string(name) + ", got " + TypeName(arg));
  }
  Binder::Coerce(arg, type);
  return Status::Ok();
}

bool AnyNullable(const Node& call) {
  for (const Node& a : call.args) {
    if (a.nullable) return true;
  }
  return false;
}

}  // namespace sluice::expr

#include "pipeline/config_transforms.h"

#include <yaml-cpp/yaml.h>

#include "pipeline/row_transforms.h"

namespace sluice {
namespace {

// "FILE:LINE: RULE: key 'KEY': what" (the format of config.cc's errors, with the rule).
Status Error(const std::string& file, const TableRule& rule, const YAML::Node& node,
             std::string_view key, std::string_view what) {
  std::string m = file;
  if (node.IsDefined() && node.Mark().line >= 0) m += ":" + std::to_string(node.Mark().line + 1);
  m += ": ";
  std::string_view label = rule.origin;
  if (label.starts_with(file + ": ")) label.remove_prefix(file.size() + 2);
  if (!label.empty()) m += std::string(label) + ": ";
  m += "key '" + std::string(key) + "': " + std::string(what);
  return Status::InvalidArgument(m);
}

// A non-empty string scalar.
bool GetText(const YAML::Node& node, std::string& out) {
  if (!node.IsScalar()) return false;
  out = node.Scalar();
  return true;
}

}  // namespace

std::string RuleLabel(const std::string& file, const YAML::Node& rule, int index) {
  if (index < 0) return file + ": defaults";
  std::string label = file + ": tables[" + std::to_string(index) + "]";
  if (rule.IsMap() && rule["match"] && rule["match"].IsScalar()) {
    label += " (match \"" + rule["match"].Scalar() + "\")";
  }
  return label;
}

Result<bool> ParseTransformKey(const std::string& file, const std::string& key, const YAML::Node& v,
                               TableRule& rule) {
  auto error = [&](const YAML::Node& node, std::string_view what) {
    return Error(file, rule, node, key, what);
  };
  if (key == "normalize") {
    if (!v.IsMap()) return error(v, "expected a mapping of trim, null_values, case and map");
    NormalizeOptions n;
    for (const auto& kv : v) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& x = kv.second;
      if (k == "trim") {
        if (!x.IsScalar() || !YAML::convert<bool>::decode(x, n.trim)) {
          return error(x, "normalize.trim: expected true or false");
        }
      } else if (k == "null_values") {
        if (!x.IsSequence()) return error(x, "normalize.null_values: expected a list of strings");
        for (const auto& item : x) {
          std::string s;
          if (!GetText(item, s)) return error(item, "normalize.null_values: expected strings");
          n.null_values.push_back(s);
        }
      } else if (k == "case") {
        if (!x.IsMap())
          return error(x, "normalize.case: expected a mapping of column: lower|upper");
        for (const auto& c : x) {
          std::string s;
          std::optional<LetterCase> lc;
          if (GetText(c.second, s)) lc = ParseLetterCase(s);
          if (!lc) return error(c.second, "normalize.case: expected lower or upper");
          n.letter_case[c.first.Scalar()] = *lc;
        }
      } else if (k == "map") {
        if (!x.IsMap()) return error(x, "normalize.map: expected a mapping of column: {from: to}");
        for (const auto& c : x) {
          if (!c.second.IsMap()) {
            return error(c.second, "normalize.map: expected a mapping of values to values");
          }
          auto& values = n.map[c.first.Scalar()];
          for (const auto& m : c.second) {
            std::string to;
            if (!GetText(m.second, to)) return error(m.second, "normalize.map: expected a string");
            values[m.first.Scalar()] = to;
          }
        }
      } else {
        return error(kv.first, "normalize: unknown key '" + k +
                                   "' (expected trim, null_values, case or map)");
      }
    }
    rule.normalize = std::move(n);
  } else if (key == "derive") {
    if (!v.IsSequence()) return error(v, "expected a list of {name, expr}");
    std::vector<DerivedColumn> derive;
    for (const auto& item : v) {
      if (!item.IsMap()) return error(item, "expected {name: NAME, expr: EXPRESSION}");
      DerivedColumn d;
      for (const auto& kv : item) {
        const std::string k = kv.first.Scalar();
        if (k == "name") {
          if (!GetText(kv.second, d.name)) return error(kv.second, "name: expected a string");
        } else if (k == "expr") {
          if (!GetText(kv.second, d.expr)) return error(kv.second, "expr: expected a string");
        } else {
          return error(kv.first, "unknown key '" + k + "' (expected name and expr)");
        }
      }
      if (d.name.empty()) return error(item, "a derived column needs a name");
      if (d.expr.empty()) return error(item, "derived column '" + d.name + "' needs an expr");
      for (const DerivedColumn& before : derive) {
        if (before.name == d.name) return error(item, "column '" + d.name + "' is derived twice");
      }
      derive.push_back(std::move(d));
    }
    rule.derive = std::move(derive);
  } else if (key == "filter") {
    std::string f;
    if (!GetText(v, f) || f.empty()) return error(v, "expected an expression");
    rule.filter = f;
  } else if (key == "drop") {
    std::vector<std::string> drop;
    if (v.IsScalar()) {
      drop = SplitList(v.Scalar());
    } else if (v.IsSequence()) {
      for (const auto& item : v) {
        std::string s;
        if (!GetText(item, s) || s.empty()) return error(item, "expected column names");
        drop.push_back(s);
      }
    } else {
      return error(v, "expected a list of column names");
    }
    rule.drop = std::move(drop);
  } else if (key == "aggregates") {
    return error(v, "not supported yet: per-file aggregates are not part of this version");
  } else {
    return false;
  }
  return true;
}

Status CheckTransforms(const Config& config) {
  std::vector<const TableRule*> rules{&config.defaults};
  for (const TableRule& rule : config.tables) rules.push_back(&rule);
  const TableRule& d = config.defaults;
  for (const TableRule* rule : rules) {
    // The effective keys of the files this rule matches (Config::Resolve).
    TablePlan plan;
    const TableRule& derive = rule->derive ? *rule : d;
    const TableRule& filter = rule->filter ? *rule : d;
    if (derive.derive) plan.derive = *derive.derive;
    if (filter.filter) plan.filter = *filter.filter;
    plan.derive_origin = derive.origin;
    plan.filter_origin = filter.origin;
    if (plan.derive.empty() && plan.filter.empty()) continue;
    const std::optional<Schema>& schema = rule->schema ? rule->schema : d.schema;
    const std::vector<ColumnDef> inputs = schema ? schema->Defs() : std::vector<ColumnDef>{};
    auto compiled = RowTransforms::Compile(plan, inputs, !schema.has_value());
    if (!compiled) return compiled.error();
  }
  return Status::Ok();
}

}  // namespace sluice

#include "pipeline/config_transforms.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>

#include "pipeline/row_transforms.h"
#include "transform/aggregates.h"

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

// Column names as a list or a comma-separated string; false for anything else.
bool GetNames(const YAML::Node& node, std::vector<std::string>& out) {
  out.clear();
  if (node.IsScalar()) {
    out = SplitList(node.Scalar());
    return true;
  }
  if (!node.IsSequence()) return false;
  for (const auto& item : node) {
    std::string s;
    if (!GetText(item, s) || s.empty()) return false;
    out.push_back(s);
  }
  return true;
}

using ErrorAt = std::function<Status(const YAML::Node&, std::string_view)>;

// `aggregates:` is true (every default), false (none) or a mapping of table,
// columns and by; nullopt for false.
Result<std::optional<AggregateSpec>> ParseAggregates(const YAML::Node& v, const ErrorAt& error) {
  constexpr std::string_view kExpected =
      "expected true, false or a mapping of table, columns and by";
  AggregateSpec spec;
  if (v.IsScalar()) {
    bool on = false;
    if (!YAML::convert<bool>::decode(v, on)) return error(v, kExpected);
    if (!on) return std::optional<AggregateSpec>();
    return std::optional<AggregateSpec>(spec);
  }
  if (!v.IsMap()) return error(v, kExpected);
  for (const auto& kv : v) {
    const std::string k = kv.first.Scalar();
    const YAML::Node& x = kv.second;
    if (k == "table") {
      if (!GetText(x, spec.table) || spec.table.empty()) {
        return error(x, "aggregates.table: expected a table name");
      }
    } else if (k == "columns" || k == "by") {
      std::vector<std::string>& names = k == "columns" ? spec.columns : spec.by;
      if (!GetNames(x, names)) return error(x, "aggregates." + k + ": expected column names");
      for (auto it = names.begin(); it != names.end(); ++it) {
        if (std::find(names.begin(), it, *it) != it) {
          return error(x, "aggregates." + k + ": column '" + *it + "' is named twice");
        }
      }
    } else {
      return error(kv.first, "aggregates: unknown key '" + k + "' (expected table, columns or by)");
    }
  }
  return std::optional<AggregateSpec>(std::move(spec));
}

// What can be checked of a rule's aggregates before any file: the table names,
// and the columns against the loaded columns as far as they are known (all of
// them with a declared schema; without one, the derived and metadata columns, a
// column it names being assumed to come from the file).
Status CheckAggregates(const Config& config, const TableRule& rule, const TablePlan& plan,
                       const std::vector<ColumnDef>& derived, bool schema_known) {
  const TableRule& d = config.defaults;
  const AggregateSpec& spec = *plan.aggregates;
  const std::string& origin = (rule.aggregates ? rule : d).origin;
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument(origin + ": aggregates: " + what);
  };
  const std::optional<std::string>& table = rule.table ? rule.table : d.table;
  if (table && AggregatesTableName(spec, *table) == *table) {
    return error("the aggregates table must not be the table " + *table + " itself");
  }
  if (!spec.table.empty()) {
    if (d.table == spec.table) return error("the aggregates table is the defaults' table");
    for (const TableRule& other : config.tables) {
      if (other.table == spec.table) {
        return error("the aggregates table " + spec.table + " is the table of " + other.origin);
      }
    }
  }
  for (const std::vector<std::string>* names : {&spec.columns, &spec.by}) {
    for (const std::string& name : *names) {
      if (std::find(plan.drop.begin(), plan.drop.end(), name) != plan.drop.end()) {
        return error("column \"" + name + "\" is dropped (drop:), so it is not loaded");
      }
    }
  }
  TableDef loaded{table.value_or("the file's table"), {}, {}};
  auto add = [&](const ColumnDef& c) {
    const bool dropped = std::find(plan.drop.begin(), plan.drop.end(), c.name) != plan.drop.end();
    if (!dropped && loaded.FindColumn(c.name) < 0) loaded.columns.push_back(c);
  };
  if (plan.schema) {
    for (const ColumnDef& c : plan.schema->Defs()) add(c);
  }
  for (const ColumnDef& c : derived) add(c);
  for (const ColumnDef& c : MetadataColumns(plan.metadata)) add(c);
  if (!schema_known) {
    // A column not known yet is the file's: assume it fits until the file says.
    for (const std::vector<std::string>* names : {&spec.columns, &spec.by}) {
      for (const std::string& name : *names) add({name, ColumnType::kFloat, true});
    }
  }
  Result<TableDef> aggregates = AggregatesTable(spec, loaded);
  if (!aggregates) {
    std::string_view m = aggregates.error().message();
    if (m.starts_with("aggregates: ")) m.remove_prefix(12);
    return error(std::string(m));
  }
  return Status::Ok();
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
  const ErrorAt error = [&](const YAML::Node& node, std::string_view what) {
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
    if (!GetNames(v, drop)) return error(v, "expected a list of column names");
    rule.drop = std::move(drop);
  } else if (key == "aggregates") {
    ASSIGN_OR_RETURN(rule.aggregates, ParseAggregates(v, error));
    rule.aggregates_off = !rule.aggregates;
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
    const TableRule& aggregates = rule->aggregates || rule->aggregates_off ? *rule : d;
    plan.aggregates = aggregates.aggregates;
    if (plan.derive.empty() && plan.filter.empty() && !plan.aggregates) continue;
    plan.schema = rule->schema ? rule->schema : d.schema;
    const std::vector<ColumnDef> inputs =
        plan.schema ? plan.schema->Defs() : std::vector<ColumnDef>{};
    auto compiled = RowTransforms::Compile(plan, inputs, !plan.schema.has_value());
    if (!compiled) return compiled.error();
    if (plan.aggregates) {
      if (const auto& drop = rule->drop ? rule->drop : d.drop) plan.drop = *drop;
      plan.metadata = (rule->metadata ? rule->metadata : d.metadata).value_or(MetadataOptions{});
      RETURN_IF_ERROR(
          CheckAggregates(config, *rule, plan, compiled->derived(), plan.schema.has_value()));
    }
  }
  return Status::Ok();
}

}  // namespace sluice

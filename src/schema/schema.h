// Schema: the declared or inferred shape of a table's rows, with validation rules.
//
// YAML form (also what `sluice infer` prints):
//
//   columns:
//     - name: sensor_id
//       type: integer          # string (default) | integer | float | boolean | date | timestamp
//       nullable: false        # default true
//       min: 0                 # integer and float columns only
//       max: 100000
//     - name: status
//       type: string
//       allowed: [ok, warn, fail]
//       regex: "^[a-z]+$"      # whole value must match (RE2 syntax, regex_rule.h)
//     - name: day
//       type: date
//       format: "%d/%m/%Y"     # strptime-style; default ISO 8601
//
// Thread-safety: values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"

namespace YAML {
class Node;
}

namespace sluice {

struct ColumnRules {
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> allowed;
  std::optional<std::string> regex;
  std::optional<std::string> format;  // date / timestamp input format
};

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool nullable = true;
  ColumnRules rules;
};

struct Schema {
  std::vector<ColumnSpec> columns;

  // Index of the column called `name`, or -1.
  int Find(std::string_view name) const;
  // Column definitions (name, type, nullable) for a sink.
  std::vector<ColumnDef> Defs() const;
};

// Parses a schema from a YAML node ({columns: [...]}). `origin` names the file for
// messages. Errors: InvalidArgument as "origin:line: column "x": ..." for unknown
// keys (also at the top level), unknown types, rules on the wrong type (min/max
// need integer/float, format needs date/timestamp), min above max, a regex that
// does not compile, duplicate or missing names, and YAML errors.
Result<Schema> SchemaFromYaml(const YAML::Node& node, std::string_view origin);
// Reads and parses a schema file. Errors: NotFound, InvalidArgument.
Result<Schema> LoadSchemaFile(const std::string& path);
// The YAML text of `schema`, parseable by SchemaFromYaml: block style, one column
// per item, every column's nullable spelled out, rules only where set.
std::string SchemaToYaml(const Schema& schema);
// A schema whose columns have the given definitions and no rules.
Schema SchemaFromDefs(const std::vector<ColumnDef>& defs);

}  // namespace sluice

#include "schema/schema.h"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "core/cell_parse.h"
#include "schema/regex_rule.h"

namespace sluice {
namespace {

constexpr std::string_view kColumnKeys = "name, type, nullable, min, max, allowed, regex, format";

// "origin:line: message", the form editors and compilers use.
Status Error(std::string_view origin, const YAML::Mark& mark, std::string_view message) {
  std::string text(origin);
  if (!mark.is_null()) {
    text += ':';
    text += std::to_string(mark.line + 1);
  }
  text += ": ";
  text += message;
  return Status::InvalidArgument(std::move(text));
}

std::string Quoted(std::string_view s) {
  std::string q = "\"";
  q += s;
  q += '"';
  return q;
}

std::string ValidTypeNames() {
  std::string names;
  for (ColumnType t : {ColumnType::kString, ColumnType::kInteger, ColumnType::kFloat,
                       ColumnType::kBoolean, ColumnType::kDate, ColumnType::kTimestamp}) {
    if (!names.empty()) names += ", ";
    names += ColumnTypeName(t);
  }
  return names;
}

// Parses one item of `columns`. `position` is 1-based, for messages about an item
// that has no usable name.
class ColumnParser {
 public:
  ColumnParser(std::string_view origin, const YAML::Node& item, size_t position)
      : origin_(origin), item_(item), context_("column " + std::to_string(position)) {}

  Result<ColumnSpec> Parse() {
    if (!item_.IsMap()) {
      return Fail(item_, "expected a mapping with at least a name (keys: " +
                             std::string(kColumnKeys) + ")");
    }
    // The name comes first so that every later message can say which column.
    bool named = false;
    for (const auto& entry : item_) {
      if (!entry.first.IsScalar() || entry.first.Scalar() != "name") continue;
      ASSIGN_OR_RETURN(spec_.name, Text(entry.first, entry.second));
      if (spec_.name.empty()) return Fail(entry.second, "\"name\" must not be empty");
      named = true;
    }
    if (!named) return Fail(item_, "missing key \"name\"");
    context_ = "column " + Quoted(spec_.name);

    for (const auto& entry : item_) {
      RETURN_IF_ERROR(ParseKey(entry.first, entry.second));
    }
    return CheckCombination();
  }

 private:
  Status ParseKey(const YAML::Node& key_node, const YAML::Node& value) {
    if (!key_node.IsScalar()) return Fail(key_node, "keys must be plain words");
    const std::string key = key_node.Scalar();
    if (key == "name") return Status::Ok();
    if (key == "type") {
      ASSIGN_OR_RETURN(std::string type_name, Text(key_node, value));
      std::optional<ColumnType> type = ParseColumnType(type_name);
      if (!type) {
        return Fail(value,
                    "unknown type " + Quoted(type_name) + " (valid: " + ValidTypeNames() + ")");
      }
      spec_.type = *type;
      return Status::Ok();
    }
    if (key == "nullable") {
      bool nullable = true;
      if (!value.IsScalar() || !YAML::convert<bool>::decode(value, nullable)) {
        return Fail(value, "\"nullable\" must be true or false");
      }
      spec_.nullable = nullable;
      return Status::Ok();
    }
    if (key == "min" || key == "max") {
      double number = 0;
      if (!value.IsScalar() || !YAML::convert<double>::decode(value, number) ||
          !std::isfinite(number)) {
        return Fail(value, Quoted(key) + " must be a finite number");
      }
      (key == "min" ? spec_.rules.min : spec_.rules.max) = number;
      (key == "min" ? min_mark_ : max_mark_) = key_node.Mark();
      return Status::Ok();
    }
    if (key == "allowed") {
      if (!value.IsSequence() || value.size() == 0) {
        return Fail(value, "\"allowed\" must be a non-empty list, e.g. [a, b]");
      }
      for (const auto& v : value) {
        ASSIGN_OR_RETURN(std::string text, Text(key_node, v));
        spec_.rules.allowed.push_back(std::move(text));
      }
      return Status::Ok();
    }
    if (key == "regex") {
      ASSIGN_OR_RETURN(std::string pattern, Text(key_node, value));
      // Compiled here as well as in the Validator so that a typo fails at start-up
      // with its line number.
      auto compiled = RegexRule::Compile(pattern);
      if (!compiled) return Fail(value, "\"regex\" " + compiled.error().message());
      spec_.rules.regex = std::move(pattern);
      return Status::Ok();
    }
    if (key == "format") {
      ASSIGN_OR_RETURN(std::string format, Text(key_node, value));
      if (format.empty()) return Fail(value, "\"format\" must not be empty");
      spec_.rules.format = std::move(format);
      format_mark_ = key_node.Mark();
      return Status::Ok();
    }
    return Fail(key_node,
                "unknown key " + Quoted(key) + " (valid: " + std::string(kColumnKeys) + ")");
  }

  Result<ColumnSpec> CheckCombination() {
    const bool numeric = spec_.type == ColumnType::kInteger || spec_.type == ColumnType::kFloat;
    const std::string type_name(ColumnTypeName(spec_.type));
    if (spec_.rules.min && !numeric) {
      return Error(origin_, min_mark_,
                   context_ +
                       ": \"min\" applies to integer and float columns, "
                       "not " +
                       type_name);
    }
    if (spec_.rules.max && !numeric) {
      return Error(origin_, max_mark_,
                   context_ +
                       ": \"max\" applies to integer and float columns, "
                       "not " +
                       type_name);
    }
    if (spec_.rules.min && spec_.rules.max && *spec_.rules.min > *spec_.rules.max) {
      return Error(origin_, max_mark_,
                   context_ + ": \"max\" " + FormatFloat(*spec_.rules.max) + " is below \"min\" " +
                       FormatFloat(*spec_.rules.min));
    }
    if (spec_.rules.format && spec_.type != ColumnType::kDate &&
        spec_.type != ColumnType::kTimestamp) {
      return Error(origin_, format_mark_,
                   context_ +
                       ": \"format\" applies to date and timestamp "
                       "columns, not " +
                       type_name);
    }
    return std::move(spec_);
  }

  // The text of a scalar `value` given for `key_node`. An empty value's own mark
  // points past it, so that error names the key's line.
  Result<std::string> Text(const YAML::Node& key_node, const YAML::Node& value) {
    const std::string key = Quoted(key_node.Scalar());
    if (value.IsNull()) return Fail(key_node, key + " has no value");
    if (!value.IsScalar()) return Fail(value, key + " must be a single value");
    // Cells and column names are UTF-8 (the readers and the validator refuse
    // others), so text that is not could never match; and SchemaToYaml could not
    // write it back unchanged (found by fuzz/schema_yaml_fuzz.cc).
    if (!simdjson::validate_utf8(value.Scalar())) return Fail(value, key + " is not valid UTF-8");
    return value.Scalar();
  }

  Status Fail(const YAML::Node& at, std::string_view message) {
    return Error(origin_, at.Mark(), context_ + ": " + std::string(message));
  }

  std::string_view origin_;
  const YAML::Node& item_;
  std::string context_;
  ColumnSpec spec_;
  YAML::Mark min_mark_;
  YAML::Mark max_mark_;
  YAML::Mark format_mark_;
};

Result<Schema> ParseSchema(const YAML::Node& node, std::string_view origin) {
  if (!node.IsMap())
    return Error(origin, node.Mark(), "expected a mapping with a \"columns\" list");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar() || entry.first.Scalar() != "columns") {
      return Error(origin, entry.first.Mark(),
                   "unknown key " + Quoted(entry.first.Scalar()) + " (valid: columns)");
    }
  }
  const YAML::Node columns = node["columns"];
  if (!columns) return Error(origin, node.Mark(), "missing key \"columns\"");
  if (!columns.IsSequence() || columns.size() == 0) {
    return Error(origin, columns.Mark(), "\"columns\" must be a non-empty list of columns");
  }
  Schema schema;
  std::unordered_map<std::string, int> first_line;
  for (size_t i = 0; i < columns.size(); ++i) {
    const YAML::Node item = columns[i];
    ASSIGN_OR_RETURN(ColumnSpec spec, ColumnParser(origin, item, i + 1).Parse());
    auto [it, inserted] = first_line.emplace(spec.name, item.Mark().line + 1);
    if (!inserted) {
      return Error(origin, item.Mark(),
                   "column " + Quoted(spec.name) + " is declared twice (first at line " +
                       std::to_string(it->second) + ")");
    }
    schema.columns.push_back(std::move(spec));
  }
  return schema;
}

}  // namespace

int Schema::Find(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<ColumnDef> Schema::Defs() const {
  std::vector<ColumnDef> defs;
  defs.reserve(columns.size());
  for (const ColumnSpec& c : columns) defs.push_back(ColumnDef{c.name, c.type, c.nullable});
  return defs;
}

Result<Schema> SchemaFromYaml(const YAML::Node& node, std::string_view origin) {
  try {
    return ParseSchema(node, origin);
  } catch (const YAML::Exception& e) {
    return Error(origin, e.mark, e.msg);
  }
}

Result<Schema> LoadSchemaFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("schema file " + path + " does not exist or is not a file");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::InvalidArgument("cannot read schema file " + path);
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    return Error(path, e.mark, e.msg);
  }
  return SchemaFromYaml(root, path);
}

namespace {

// yaml-cpp writes a string with a carriage return unquoted, and reading it back
// loses the CR (found by fuzz/schema_yaml_fuzz.cc): control characters go in
// double quotes, where they are escaped.
YAML::Emitter& EmitText(YAML::Emitter& out, const std::string& text) {
  const bool control = std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) out << YAML::DoubleQuoted;
  return out << text;
}

}  // namespace

std::string SchemaToYaml(const Schema& schema) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
  for (const ColumnSpec& c : schema.columns) {
    out << YAML::BeginMap;
    EmitText(out << YAML::Key << "name" << YAML::Value, c.name);
    out << YAML::Key << "type" << YAML::Value << std::string(ColumnTypeName(c.type));
    out << YAML::Key << "nullable" << YAML::Value << c.nullable;
    if (c.rules.min) out << YAML::Key << "min" << YAML::Value << FormatFloat(*c.rules.min);
    if (c.rules.max) out << YAML::Key << "max" << YAML::Value << FormatFloat(*c.rules.max);
    if (!c.rules.allowed.empty()) {
      out << YAML::Key << "allowed" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const std::string& v : c.rules.allowed) EmitText(out, v);
      out << YAML::EndSeq;
    }
    if (c.rules.regex) EmitText(out << YAML::Key << "regex" << YAML::Value, *c.rules.regex);
    if (c.rules.format) EmitText(out << YAML::Key << "format" << YAML::Value, *c.rules.format);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  std::string text = out.c_str();
  text += '\n';
  return text;
}

Schema SchemaFromDefs(const std::vector<ColumnDef>& defs) {
  Schema schema;
  schema.columns.reserve(defs.size());
  for (const ColumnDef& d : defs) {
    ColumnSpec spec;
    spec.name = d.name;
    spec.type = d.type;
    spec.nullable = d.nullable;
    schema.columns.push_back(std::move(spec));
  }
  return schema;
}

}  // namespace sluice

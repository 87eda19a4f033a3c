#include "core/table.h"

#include <unordered_set>

namespace sluice {

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kInteger:
      return "integer";
    case ColumnType::kFloat:
      return "float";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kDate:
      return "date";
    case ColumnType::kTimestamp:
      return "timestamp";
  }
  return "string";
}

std::optional<ColumnType> ParseColumnType(std::string_view name) {
  if (name == "string" || name == "text") return ColumnType::kString;
  if (name == "integer" || name == "int") return ColumnType::kInteger;
  if (name == "float" || name == "double") return ColumnType::kFloat;
  if (name == "boolean" || name == "bool") return ColumnType::kBoolean;
  if (name == "date") return ColumnType::kDate;
  if (name == "timestamp") return ColumnType::kTimestamp;
  return std::nullopt;
}

int TableDef::FindColumn(std::string_view n) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == n) return static_cast<int>(i);
  }
  return -1;
}

namespace {

Status CheckName(std::string_view what, std::string_view name, size_t max_bytes) {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " name is empty or contains NUL");
  }
  if (max_bytes != 0 && name.size() > max_bytes) {
    return Status::InvalidArgument(std::string(what) + " name \"" + std::string(name) +
                                   "\" is longer than " + std::to_string(max_bytes) + " bytes");
  }
  return Status::Ok();
}

// The name as compared: ASCII letters folded to lower case when the sink's names
// are case-insensitive (SQLite).
std::string NameKey(std::string_view name, bool case_insensitive) {
  std::string key(name);
  if (case_insensitive) {
    for (char& c : key) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return key;
}

}  // namespace

Status ValidateTableDef(const TableDef& table, bool case_insensitive_names, size_t max_name_bytes) {
  RETURN_IF_ERROR(CheckName("table", table.name, max_name_bytes));
  if (table.columns.empty()) {
    return Status::InvalidArgument("table \"" + table.name + "\" has no columns");
  }
  // A set, not a pairwise comparison: a table of many thousand columns is checked
  // in linear time.
  std::unordered_set<std::string> seen;
  seen.reserve(table.columns.size());
  for (const ColumnDef& column : table.columns) {
    const std::string& name = column.name;
    RETURN_IF_ERROR(CheckName("column", name, max_name_bytes));
    if (!seen.insert(NameKey(name, case_insensitive_names)).second) {
      return Status::InvalidArgument("table \"" + table.name + "\": duplicate column \"" + name +
                                     "\"");
    }
  }
  for (const std::string& key : table.key) {
    if (table.FindColumn(key) < 0) {
      return Status::InvalidArgument("table \"" + table.name + "\": key column \"" + key +
                                     "\" is not a column");
    }
  }
  return Status::Ok();
}

}  // namespace sluice

#include "core/table.h"

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

bool SameName(std::string_view a, std::string_view b, bool case_insensitive) {
  if (!case_insensitive) return a == b;
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Status ValidateTableDef(const TableDef& table, bool case_insensitive_names, size_t max_name_bytes) {
  RETURN_IF_ERROR(CheckName("table", table.name, max_name_bytes));
  if (table.columns.empty()) {
    return Status::InvalidArgument("table \"" + table.name + "\" has no columns");
  }
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const std::string& name = table.columns[i].name;
    RETURN_IF_ERROR(CheckName("column", name, max_name_bytes));
    for (size_t j = 0; j < i; ++j) {
      if (SameName(name, table.columns[j].name, case_insensitive_names)) {
        return Status::InvalidArgument("table \"" + table.name + "\": duplicate column \"" + name +
                                       "\"");
      }
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

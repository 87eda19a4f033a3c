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

}  // namespace sluice

// Column types and table definitions shared by schema, transform and sinks.
//
// Value representation in a typed Batch (see batch.h):
//   kInteger    int64
//   kFloat      double
//   kBoolean    int64 0 or 1
//   kDate       int64 days since 1970-01-01
//   kTimestamp  int64 microseconds since 1970-01-01T00:00:00Z (UTC)
//   kString     bytes (UTF-8)
//
// Thread-safety: values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sluice {

enum class ColumnType { kString, kInteger, kFloat, kBoolean, kDate, kTimestamp };

// "string", "integer", "float", "boolean", "date", "timestamp".
std::string_view ColumnTypeName(ColumnType type);
// Parses a name produced by ColumnTypeName (also accepts "int", "double", "bool", "text").
std::optional<ColumnType> ParseColumnType(std::string_view name);

struct ColumnDef {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool nullable = true;
  bool operator==(const ColumnDef&) const = default;
};

// What a sink needs to create and load a table.
struct TableDef {
  std::string name;
  std::vector<ColumnDef> columns;
  // Record key: rows whose key already exists in the table are skipped. Empty: no key.
  std::vector<std::string> key;

  // Index of the column called `name`, or -1.
  int FindColumn(std::string_view name) const;
};

// Checks what every sink requires of a table definition: table and column names
// non-empty, without NUL and (if `max_name_bytes` is not 0) at most that long; at
// least one column; no column twice (compared ignoring ASCII case when
// `case_insensitive_names`); key columns among the columns. Errors:
// InvalidArgument naming the problem.
Status ValidateTableDef(const TableDef& table, bool case_insensitive_names,
                        size_t max_name_bytes = 0);

}  // namespace sluice

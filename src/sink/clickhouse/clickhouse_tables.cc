// ClickHouseSink's table definitions: how tables are described, created and
// widened (DescribeTable, EnsureTable, AddColumns), the marker table, and which
// ClickHouse type each sluice type gets. The rest of the sink is in
// clickhouse_sink.cc.
//
// Thread-safety: as ClickHouseSink (none).
#include <string>
#include <utility>
#include <vector>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/clickhouse/clickhouse_sql.h"

namespace sluice {
namespace {

using clickhouse::kAttemptTable;
using clickhouse::kLoadIdColumn;
using clickhouse::kMarkerTable;
using clickhouse::kUnrecordedColumn;
using clickhouse::kVersionColumn;
using clickhouse::ParseTsv;
using clickhouse::Unwrap;

ColumnType TypeFromClickHouse(std::string_view type, bool* nullable) {
  *nullable = Unwrap(type, "Nullable");
  Unwrap(type, "LowCardinality");
  if (Unwrap(type, "Nullable")) *nullable = true;
  if (type == "UInt8" || type == "Bool") return ColumnType::kBoolean;
  if (type.starts_with("Int") || type.starts_with("UInt")) return ColumnType::kInteger;
  if (type.starts_with("Float")) return ColumnType::kFloat;
  if (type == "Date" || type == "Date32") return ColumnType::kDate;
  if (type.starts_with("DateTime")) return ColumnType::kTimestamp;
  return ColumnType::kString;
}

Status ValidateTable(const TableDef& table) {
  if (table.name == kMarkerTable || table.name == kAttemptTable) {
    return Status::InvalidArgument("table name \"" + table.name + "\" is reserved");
  }
  for (const ColumnDef& column : table.columns) {
    if (column.name == kLoadIdColumn || column.name == kVersionColumn) {
      return Status::InvalidArgument("column name \"" + column.name + "\" is reserved");
    }
  }
  return ValidateTableDef(table, /*case_insensitive_names=*/false);
}

bool IsKey(const TableDef& table, std::string_view column) {
  for (const std::string& key : table.key) {
    if (key == column) return true;
  }
  return false;
}

}  // namespace

Status ClickHouseSink::EnsureMarkerTable(const std::string& where) {
  return http_
      ->Query("CREATE TABLE IF NOT EXISTS " + Qualified(kMarkerTable) +
                  " (load_id String, table String, file String, rows UInt64, "
                  "committed_at DateTime) ENGINE = MergeTree ORDER BY load_id",
              where + ": create " + kMarkerTable)
      .status();
}

Status ClickHouseSink::EnsureAttemptTable(const std::string& where, bool unrecorded_before) {
  // One column: every group inserts a part of it, and on a file system slow to
  // create files (many just deleted), each column's two files count.
  return http_
      ->Query("CREATE TABLE IF NOT EXISTS " + Qualified(kAttemptTable) + " (load_id String" +
                  (unrecorded_before ? std::string(", ") + kUnrecordedColumn + " UInt8" : "") +
                  ") ENGINE = MergeTree ORDER BY load_id",
              where + ": create " + kAttemptTable)
      .status();
}

Result<ClickHouseSink::Columns> ClickHouseSink::ColumnTypes(std::string_view table) {
  ASSIGN_OR_RETURN(std::vector<Columns> columns, ColumnTypesOf({std::string(table)}));
  return std::move(columns[0]);
}

Result<std::vector<ClickHouseSink::Columns>> ClickHouseSink::ColumnTypesOf(
    const std::vector<std::string>& tables) {
  const std::string context = "describe table \"" + tables[0] + "\"";
  ASSIGN_OR_RETURN(std::string body,
                   http_->Query("SELECT table, name, type FROM system.columns WHERE database = " +
                                    QuoteClickHouseString(endpoint_.database) + " AND table IN (" +
                                    clickhouse::QuotedList(tables) + ") FORMAT TabSeparated",
                                context));
  std::vector<ClickHouseCleanup::LoadState::Column> rows;
  for (auto& row : ParseTsv(body)) {
    if (row.size() < 3) return Status::Internal(context + ": malformed answer");
    rows.push_back({std::move(row[0]), std::move(row[1]), std::move(row[2])});
  }
  return ByTable(tables, std::move(rows));
}

std::vector<ClickHouseSink::Columns> ClickHouseSink::ByTable(
    const std::vector<std::string>& tables,
    std::vector<ClickHouseCleanup::LoadState::Column> rows) {
  std::vector<Columns> columns(tables.size());
  for (auto& row : rows) {
    for (size_t i = 0; i < tables.size(); ++i) {
      if (row.table == tables[i]) columns[i].emplace_back(std::move(row.name), std::move(row.type));
    }
  }
  return columns;
}

Result<std::optional<TableDef>> ClickHouseSink::DescribeTable(std::string_view name) {
  const std::string context = "describe table \"" + std::string(name) + "\"";
  // One query: the columns, each with the table's engine (any() of no row is
  // '', but a table that is missing has no column row either).
  const std::string database = QuoteClickHouseString(endpoint_.database);
  const std::string quoted = QuoteClickHouseString(name);
  ASSIGN_OR_RETURN(
      std::string body,
      http_->Query("SELECT name, type, is_in_sorting_key, (SELECT any(engine) FROM system.tables "
                   "WHERE database = " +
                       database + " AND name = " + quoted +
                       ") FROM system.columns WHERE database = " + database +
                       " AND table = " + quoted + " FORMAT TabSeparated",
                   context));
  TableDef table;
  table.name = std::string(name);
  for (const auto& row : ParseTsv(body)) {
    if (row.size() < 4) return Status::Internal(context + ": malformed answer");
    if (row[0] == kLoadIdColumn || row[0] == kVersionColumn) continue;
    bool nullable = false;
    const ColumnType type = TypeFromClickHouse(row[1], &nullable);
    table.columns.push_back({row[0], type, nullable});
    // Only a ReplacingMergeTree collapses rows by key; another engine's sorting key
    // is just an order.
    if (row[2] == "1" && row[3] == "ReplacingMergeTree") table.key.push_back(row[0]);
  }
  if (table.columns.empty()) return std::optional<TableDef>();
  return std::optional<TableDef>(std::move(table));
}

Status ClickHouseSink::EnsureTable(const TableDef& table) {
  if (in_load()) return Status::Internal("EnsureTable during a load");
  RETURN_IF_ERROR(ValidateTable(table));
  std::string create = "CREATE TABLE IF NOT EXISTS " + Qualified(table.name) + " (";
  for (const ColumnDef& column : table.columns) {
    // Sorting-key columns cannot be Nullable (without allow_nullable_key, 21.8+).
    create += QuoteClickHouseIdentifier(column.name) + " " +
              TypeName(column.type, column.nullable && !IsKey(table, column.name)) + ", ";
  }
  create += QuoteClickHouseIdentifier(kLoadIdColumn) + " String";
  if (table.key.empty()) {
    create += ") ENGINE = MergeTree ORDER BY tuple()";
  } else {
    // Of the rows of one key, merges keep the one with the highest version, and the
    // row written first has the highest (clickhouse_sink.h): the first committed
    // row wins, as in the SQL sinks.
    create += ", " + QuoteClickHouseIdentifier(kVersionColumn) +
              " UInt64) ENGINE = ReplacingMergeTree(" + QuoteClickHouseIdentifier(kVersionColumn) +
              ") ORDER BY (";
    for (size_t i = 0; i < table.key.size(); ++i) {
      if (i > 0) create += ", ";
      create += QuoteClickHouseIdentifier(table.key[i]);
    }
    create += ")";
  }
  return http_->Query(create, "create table \"" + table.name + "\"").status();
}

std::string ClickHouseSink::TypeName(ColumnType type, bool nullable) const {
  std::string name;
  switch (type) {
    case ColumnType::kInteger:
      name = "Int64";
      break;
    case ColumnType::kFloat:
      name = "Float64";
      break;
    case ColumnType::kBoolean:
      name = "UInt8";
      break;
    case ColumnType::kDate:
      name = version_.AtLeast(21, 9) ? "Date32" : "Date";
      break;
    case ColumnType::kTimestamp:
      name = version_.AtLeast(20, 1) ? "DateTime64(6, 'UTC')" : "DateTime";
      break;
    case ColumnType::kString:
      name = "String";
      break;
  }
  return nullable ? "Nullable(" + name + ")" : name;
}

Result<std::vector<ColumnDef>> ClickHouseSink::AddColumns(const std::string& table,
                                                          const std::vector<ColumnDef>& columns) {
  if (in_load()) return Status::Internal("AddColumns during a load");
  RETURN_IF_ERROR(ValidateTable(TableDef{table, columns, {}}));
  const std::string context = "add columns to table \"" + table + "\"";
  ASSIGN_OR_RETURN(auto present, ColumnTypes(table));
  if (present.empty()) return Status::NotFound("table \"" + table + "\" does not exist");
  auto has = [&](const std::string& name) {
    for (const auto& column : present) {
      if (column.first == name) return true;
    }
    return false;
  };
  std::vector<ColumnDef> added;
  for (const ColumnDef& column : columns) {
    if (has(column.name)) continue;
    // One column per ALTER, without IF NOT EXISTS (18.16 lacks it): when another
    // worker adds the same column first, this ALTER fails and the column is there.
    Status status = http_
                        ->Query("ALTER TABLE " + Qualified(table) + " ADD COLUMN " +
                                    QuoteClickHouseIdentifier(column.name) + " " +
                                    TypeName(column.type, /*nullable=*/true),
                                context)
                        .status();
    if (!status.ok()) {
      // Whatever the error says (its code differs between versions), the
      // column being there now is what counts.
      auto now = ColumnTypes(table);
      if (!now.has_value()) return status;
      present = std::move(*now);
      if (!has(column.name)) return status;
      continue;
    }
    added.push_back({column.name, column.type, true});
  }
  return added;
}

}  // namespace sluice

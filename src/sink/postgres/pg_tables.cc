#include "sink/postgres/pg_tables.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "sink/sink_text.h"

namespace sluice::pg {
namespace {

using ResultPtr = PgConnection::ResultPtr;

constexpr auto& Quote = QuoteSqlIdentifier;

constexpr char kKeyIndexPrefix[] = "sluice_key_";

const char* SqlType(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
      return "bigint";
    case ColumnType::kFloat:
      return "double precision";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kDate:
      return "date";
    case ColumnType::kTimestamp:
      return "timestamptz";
    case ColumnType::kString:
      return "text";
  }
  return "text";
}

// FNV-1a: a stable name for the key index of a table whose name is too long.
std::string KeyIndexName(const std::string& table) {
  if (table.size() + sizeof(kKeyIndexPrefix) - 1 <= kMaxIdentifierBytes) {
    return kKeyIndexPrefix + table;
  }
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : table) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return kKeyIndexPrefix + std::string(hex);
}

Result<std::optional<TableInfo>> LookUpTable(PgConnection& pg, const std::string& schema_name,
                                             std::string_view name) {
  const std::string context = "look up table \"" + std::string(name) + "\"";
  ASSIGN_OR_RETURN(ResultPtr columns,
                   pg.Exec(kLookUpTableSql, context, {std::string(name), schema_name}));
  return TableInfoOf(columns.get());
}

// Takes the transaction-scoped advisory lock that serialises changes of `table`'s
// definition across sluices. Requires an open transaction.
Status LockTableName(PgConnection& pg, const std::string& schema_name, const std::string& table,
                     const std::string& context) {
  return pg
      .Exec(std::string("SELECT pg_advisory_xact_lock(") + kLockSpace +
                ", hashtext($2 || '.' || $1))",
            context, {table, schema_name})
      .status();
}

}  // namespace

std::string ColumnList(const TableDef& table) {
  return QuotedColumnList(table.columns, QuoteSqlIdentifier);
}

ColumnType TypeFromPg(std::string_view typname) {
  if (typname == "int8" || typname == "int4" || typname == "int2") return ColumnType::kInteger;
  if (typname == "float8" || typname == "float4") return ColumnType::kFloat;
  if (typname == "bool") return ColumnType::kBoolean;
  if (typname == "date") return ColumnType::kDate;
  if (typname == "timestamptz" || typname == "timestamp") return ColumnType::kTimestamp;
  return ColumnType::kString;
}

std::optional<TableInfo> TableInfoOf(const PGresult* columns) {
  if (PQntuples(columns) == 0) return std::nullopt;
  TableInfo info;
  info.oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(columns, 0, 0), nullptr, 10));
  for (int row = 0; row < PQntuples(columns); ++row) {
    if (PQgetisnull(columns, row, 1)) continue;
    info.columns.push_back({PQgetvalue(columns, row, 1), PQgetvalue(columns, row, 2),
                            PQgetvalue(columns, row, 3)[0] == 't'});
  }
  return info;
}

Result<std::string> FindSchema(PgConnection& pg) {
  // The first existing schema of the search_path, except "sluice": with a role
  // named sluice, "$user" (first in the default search_path) would otherwise turn
  // into the marker's schema once that exists, and tables would move between runs.
  ASSIGN_OR_RETURN(ResultPtr schema,
                   pg.Exec("SELECT s FROM unnest(current_schemas(false)) WITH ORDINALITY "
                           "AS t(s, i) WHERE s <> 'sluice' ORDER BY i LIMIT 1",
                           "find schema"));
  if (PQntuples(schema.get()) == 0) {
    return Status::InvalidArgument("postgres sink " + pg.display() +
                                   ": no schema of the search_path exists");
  }
  return std::string(PQgetvalue(schema.get(), 0, 0));
}

Status EnsureMarkerTable(PgConnection& pg) {
  // Made once, perhaps by an administrator: a loading role then needs no right to
  // create schemas (CREATE SCHEMA IF NOT EXISTS checks that right first).
  const std::string context = "create \"sluice\".\"loads\"";
  ASSIGN_OR_RETURN(ResultPtr marker,
                   pg.Exec("SELECT to_regclass('sluice.loads') IS NOT NULL", context));
  if (PQgetvalue(marker.get(), 0, 0)[0] == 't') return Status::Ok();
  // Several workers open their sinks at once; CREATE ... IF NOT EXISTS is not safe
  // against concurrent creation, so they take turns.
  RETURN_IF_ERROR(pg.Exec("BEGIN", context).status());
  RETURN_IF_ERROR(
      pg.Exec(std::string("SELECT pg_advisory_xact_lock(") + kLockSpace + ", 0)", context)
          .status());
  RETURN_IF_ERROR(pg.Exec("CREATE SCHEMA IF NOT EXISTS sluice", context).status());
  RETURN_IF_ERROR(pg.Exec("CREATE TABLE IF NOT EXISTS sluice.loads(load_id text PRIMARY KEY, "
                          "table_name text NOT NULL, file text, rows bigint, skipped bigint, "
                          "committed_at timestamptz NOT NULL DEFAULT now())",
                          context)
                      .status());
  return pg.Exec("COMMIT", context).status();
}

Result<std::optional<TableDef>> DescribeTable(PgConnection& pg, const std::string& schema_name,
                                              std::string_view name) {
  ASSIGN_OR_RETURN(std::optional<TableInfo> info, LookUpTable(pg, schema_name, name));
  if (!info) return std::optional<TableDef>();
  TableDef table;
  table.name = std::string(name);
  for (const ColumnInfo& column : info->columns) {
    table.columns.push_back({column.name, TypeFromPg(column.type), !column.not_null});
  }
  ASSIGN_OR_RETURN(
      ResultPtr key,
      pg.Exec("SELECT a.attname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
              "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
              "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
              "WHERE i.indrelid = $1::oid AND ic.relname = $2 ORDER BY k.ord",
              "describe the key of \"" + table.name + "\"",
              {std::to_string(info->oid), KeyIndexName(table.name)}));
  for (int row = 0; row < PQntuples(key.get()); ++row) {
    table.key.emplace_back(PQgetvalue(key.get(), row, 0));
  }
  return std::optional<TableDef>(std::move(table));
}

Status CreateTable(PgConnection& pg, const std::string& schema_name, const TableDef& table) {
  const std::string context = "create table \"" + table.name + "\"";
  ASSIGN_OR_RETURN(std::optional<TableInfo> existing, LookUpTable(pg, schema_name, table.name));
  if (existing) return Status::Ok();

  const std::string target = Quote(schema_name) + "." + Quote(table.name);
  std::string create = "CREATE TABLE " + target + "(";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnDef& column = table.columns[i];
    if (i > 0) create += ", ";
    create += Quote(column.name) + " " + SqlType(column.type);
    if (!column.nullable) create += " NOT NULL";
  }
  create += ")";
  // Workers that find the table missing at once take turns; the one that comes
  // second finds it made. An existing table stays unaltered.
  RETURN_IF_ERROR(pg.Exec("BEGIN", context).status());
  Status status = [&]() -> Status {
    RETURN_IF_ERROR(LockTableName(pg, schema_name, table.name, context));
    ASSIGN_OR_RETURN(std::optional<TableInfo> made_meanwhile,
                     LookUpTable(pg, schema_name, table.name));
    if (made_meanwhile) return Status::Ok();
    RETURN_IF_ERROR(pg.Exec(create, context).status());
    if (!table.key.empty()) {
      std::string index =
          "CREATE UNIQUE INDEX " + Quote(KeyIndexName(table.name)) + " ON " + target + "(";
      for (size_t i = 0; i < table.key.size(); ++i) {
        if (i > 0) index += ", ";
        index += Quote(table.key[i]);
      }
      RETURN_IF_ERROR(pg.Exec(index + ")", context).status());
    }
    return Status::Ok();
  }();
  if (status.ok()) return pg.Exec("COMMIT", context).status();
  pg.RollBack();
  return status;
}

Result<std::vector<ColumnDef>> AddColumns(PgConnection& pg, const std::string& schema_name,
                                          const std::string& table,
                                          const std::vector<ColumnDef>& columns) {
  const std::string context = "add columns to table \"" + table + "\"";
  std::vector<ColumnDef> added;
  RETURN_IF_ERROR(pg.Exec("BEGIN", context).status());
  Status status = [&]() -> Status {
    RETURN_IF_ERROR(LockTableName(pg, schema_name, table, context));
    ASSIGN_OR_RETURN(std::optional<TableInfo> info, LookUpTable(pg, schema_name, table));
    if (!info) return Status::NotFound("table \"" + table + "\" does not exist");
    std::string alter;
    for (const ColumnDef& column : columns) {
      bool present = false;
      for (const ColumnInfo& have : info->columns) present = present || have.name == column.name;
      if (present) continue;
      alter +=
          alter.empty() ? "ALTER TABLE " + Quote(schema_name) + "." + Quote(table) + " " : ", ";
      alter += "ADD COLUMN IF NOT EXISTS " + Quote(column.name) + " " + SqlType(column.type);
      added.push_back({column.name, column.type, true});
    }
    if (!alter.empty()) RETURN_IF_ERROR(pg.Exec(alter, context).status());
    return Status::Ok();
  }();
  if (status.ok()) status = pg.Exec("COMMIT", context).status();
  if (!status.ok()) {
    pg.RollBack();
    return status;
  }
  return added;
}

}  // namespace sluice::pg

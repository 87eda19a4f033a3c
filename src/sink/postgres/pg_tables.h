// The PostgreSQL sink's tables: how they are found, described, created and
// widened in the catalog, the sink's own schema "sluice" with its marker table
// "loads", and the SQL vocabulary (quoting, type names) these share with the load
// protocol (postgres_sink.cc); identifiers are quoted by QuoteSqlIdentifier
// (sink_text.h). Created types and the key index are described in
// postgres_sink.h.
//
// Changes of a table's definition are serialised across sluices by a
// transaction-level advisory lock on its name; the sink's own schema and table by
// one on kLockSpace alone.
//
// Thread-safety: none; the functions use the caller's connection.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "sink/postgres/pg_connection.h"

namespace sluice::pg {

inline constexpr size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1
// First key of the two-key advisory locks sluice takes ("slui").
inline constexpr char kLockSpace[] = "1936487785";
// $1 a table name, $2 its schema: the table's oid and columns, none if it is missing.
inline constexpr char kLookUpTableSql[] =
    "SELECT c.oid, a.attname, t.typname, a.attnotnull FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped AND a.attgenerated = '' "
    "LEFT JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE n.nspname = $2 AND c.relname = $1 AND c.relkind IN ('r', 'p') "
    "ORDER BY a.attnum";

struct ColumnInfo {
  std::string name;
  std::string type;  // pg_type.typname
  bool not_null = false;
};
struct TableInfo {
  uint32_t oid = 0;
  std::vector<ColumnInfo> columns;
};

// The quoted names of `table`'s columns (QuoteSqlIdentifier), separated by ", ".
std::string ColumnList(const TableDef& table);
// The sluice type of a server type (pg_type.typname); string for any other.
ColumnType TypeFromPg(std::string_view typname);
// The rows of kLookUpTableSql: the table, or none if it does not exist.
std::optional<TableInfo> TableInfoOf(const PGresult* columns);

// The first existing schema of the connection's search_path other than "sluice".
// Errors: InvalidArgument (none exists), those of the connection.
Result<std::string> FindSchema(PgConnection& pg);
// Creates the schema "sluice" and its table "loads" unless the table exists.
// Errors: those of the connection.
Status EnsureMarkerTable(PgConnection& pg);

// See Sink::DescribeTable: `name` in the schema `schema_name`.
Result<std::optional<TableDef>> DescribeTable(PgConnection& pg, const std::string& schema_name,
                                              std::string_view name);
// Creates `table` in `schema_name` unless it exists (then it stays unaltered),
// with its key index. Requires a valid `table`, no open transaction.
Status CreateTable(PgConnection& pg, const std::string& schema_name, const TableDef& table);
// See Sink::AddColumns. Requires valid columns, no open transaction.
Result<std::vector<ColumnDef>> AddColumns(PgConnection& pg, const std::string& schema_name,
                                          const std::string& table,
                                          const std::vector<ColumnDef>& columns);

}  // namespace sluice::pg

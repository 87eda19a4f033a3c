// The MySQL sink's tables: how they are found, described, created and widened
// through information_schema and DDL, the marker table `sluice_loads`, and the
// SQL vocabulary (quoting, type names) these share with the load protocol
// (mysql_sink.cc). DDL commits implicitly in MySQL and MariaDB, so every function
// here runs outside a load's transaction.
//
// Created tables: ENGINE=InnoDB, utf8mb4 with the connection's binary collation
// (MysqlConnection::binary_collation: bytes compared as they are, no padding);
// integer BIGINT, float DOUBLE, boolean BOOLEAN (TINYINT(1)), date DATE,
// timestamp DATETIME(6) (UTC), string LONGTEXT, or VARCHAR(n) when it is a key
// column: an index holds at most 3072 bytes and utf8mb4 takes up to 4 per
// character, so n = (3072 - 8 x the key's other columns) / (4 x its string
// columns), rounded down (768 for a key of one string). A record key is a unique
// index named `sluice_key`.
//
// Thread-safety: none; the functions use the caller's connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "sink/mysql/mysql_connection.h"

namespace sluice::mysql {

// MySQL limits names to 64 characters; sluice counts bytes.
inline constexpr size_t kMaxIdentifierBytes = 64;
inline constexpr char kMarkerTable[] = "sluice_loads";
// An index's bytes at most (InnoDB, DYNAMIC rows) and utf8mb4's bytes per character.
inline constexpr size_t kMaxKeyBytes = 3072;

struct ColumnInfo {
  std::string name;
  std::string data_type;    // information_schema DATA_TYPE: "bigint"
  std::string column_type;  // COLUMN_TYPE: "tinyint(1)", "varchar(768)"
  bool nullable = true;
};

// `name` in backticks (QuoteBacktickIdentifier).
std::string Quote(std::string_view name);
// Whether two column names are one for MySQL, which compares them without case.
bool SameColumnName(std::string_view a, std::string_view b);
// The quoted names of `table`'s columns, separated by ", ".
std::string ColumnList(const TableDef& table);
// The sluice type of a server column; string for any type not listed above.
ColumnType TypeFromMysql(const ColumnInfo& column);
// The column type sluice creates for `column` of `table` (see the top).
std::string SqlType(const TableDef& table, const ColumnDef& column);

// The columns of `name` in the connection's database, in order; nullopt if no
// such table exists.
Result<std::optional<std::vector<ColumnInfo>>> LookUpTable(MysqlConnection& db,
                                                           std::string_view name);
// Creates `sluice_loads` unless it exists. Errors: those of the connection.
Status EnsureMarkerTable(MysqlConnection& db);
// See Sink::DescribeTable.
Result<std::optional<TableDef>> DescribeTable(MysqlConnection& db, std::string_view name);
// Creates `table` unless it exists (then it stays unaltered), with its key index.
Status CreateTable(MysqlConnection& db, const TableDef& table);
// See Sink::AddColumns. Serialised across sluices by a named lock on the table.
Result<std::vector<ColumnDef>> AddColumns(MysqlConnection& db, const std::string& table,
                                          const std::vector<ColumnDef>& columns);

}  // namespace sluice::mysql

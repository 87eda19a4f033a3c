#include "sink/mysql/mysql_tables.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "sink/sink_text.h"

namespace sluice::mysql {
namespace {

bool IsKey(const TableDef& table, const std::string& column) {
  for (const std::string& k : table.key) {
    if (k == column) return true;
  }
  return false;
}

// The named lock that serialises changes of `table`'s definition across
// sluices; a hash keeps its name within MySQL's 64 characters.
std::string LockName(MysqlConnection& db, std::string_view table) {
  return "CONCAT('sluice:', SHA1(CONCAT(DATABASE(), '.', " + db.Literal(table) + ")))";
}

}  // namespace

std::string Quote(std::string_view name) { return QuoteBacktickIdentifier(name); }

bool SameColumnName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string ColumnList(const TableDef& table) {
  return QuotedColumnList(table.columns, QuoteBacktickIdentifier);
}

ColumnType TypeFromMysql(const ColumnInfo& column) {
  const std::string& t = column.data_type;
  if (t == "tinyint" && column.column_type.starts_with("tinyint(1)")) return ColumnType::kBoolean;
  if (t == "bigint" || t == "int" || t == "mediumint" || t == "smallint" || t == "tinyint") {
    return ColumnType::kInteger;
  }
  if (t == "double" || t == "float") return ColumnType::kFloat;
  if (t == "date") return ColumnType::kDate;
  if (t == "datetime" || t == "timestamp") return ColumnType::kTimestamp;
  return ColumnType::kString;
}

std::string SqlType(const TableDef& table, const ColumnDef& column) {
  switch (column.type) {
    case ColumnType::kInteger:
      return "BIGINT";
    case ColumnType::kFloat:
      return "DOUBLE";
    case ColumnType::kBoolean:
      return "BOOLEAN";
    case ColumnType::kDate:
      return "DATE";
    case ColumnType::kTimestamp:
      return "DATETIME(6)";
    case ColumnType::kString:
      break;
  }
  if (!IsKey(table, column.name)) return "LONGTEXT";
  size_t strings = 0, others = 0;
  for (const ColumnDef& c : table.columns) {
    if (!IsKey(table, c.name)) continue;
    (c.type == ColumnType::kString ? strings : others) += 1;
  }
  const size_t others_bytes = std::min(others * 8, kMaxKeyBytes - 4 * strings);
  return "VARCHAR(" + std::to_string((kMaxKeyBytes - others_bytes) / (4 * strings)) + ")";
}

Result<std::optional<std::vector<ColumnInfo>>> LookUpTable(MysqlConnection& db,
                                                           std::string_view name) {
  ASSIGN_OR_RETURN(std::vector<MysqlConnection::Row> rows,
                   db.Query("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE "
                            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                            "AND TABLE_NAME = " +
                                db.Literal(name) + " ORDER BY ORDINAL_POSITION",
                            "look up table \"" + std::string(name) + "\""));
  if (rows.empty()) return std::optional<std::vector<ColumnInfo>>();
  std::vector<ColumnInfo> columns;
  for (const MysqlConnection::Row& row : rows) {
    columns.push_back({row[0].value_or(""), row[1].value_or(""), row[2].value_or(""),
                       row[3].value_or("YES") == "YES"});
  }
  return std::optional<std::vector<ColumnInfo>>(std::move(columns));
}

Status EnsureMarkerTable(MysqlConnection& db) {
  // Made once, perhaps by an administrator: a loading user then needs no right
  // to create tables. CREATE TABLE IF NOT EXISTS is safe when workers race.
  ASSIGN_OR_RETURN(std::optional<std::vector<ColumnInfo>> marker, LookUpTable(db, kMarkerTable));
  if (marker) return Status::Ok();
  const std::string& bin = db.binary_collation();
  return db.Exec(std::string("CREATE TABLE IF NOT EXISTS ") + kMarkerTable +
                     "(load_id VARCHAR(255) NOT NULL PRIMARY KEY, "
                     "table_name VARCHAR(255) NOT NULL, file TEXT, `rows` BIGINT, skipped BIGINT, "
                     "committed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) "
                     "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=" +
                     bin,
                 std::string("create ") + kMarkerTable);
}

Result<std::optional<TableDef>> DescribeTable(MysqlConnection& db, std::string_view name) {
  ASSIGN_OR_RETURN(std::optional<std::vector<ColumnInfo>> info, LookUpTable(db, name));
  if (!info) return std::optional<TableDef>();
  TableDef table;
  table.name = std::string(name);
  for (const ColumnInfo& column : *info) {
    table.columns.push_back({column.name, TypeFromMysql(column), column.nullable});
  }
  ASSIGN_OR_RETURN(
      std::vector<MysqlConnection::Row> key,
      db.Query("SELECT COLUMN_NAME FROM information_schema.STATISTICS "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = " +
                   db.Literal(name) + " AND INDEX_NAME = 'sluice_key' ORDER BY SEQ_IN_INDEX",
               "describe the key of \"" + table.name + "\""));
  for (const MysqlConnection::Row& row : key) table.key.push_back(row[0].value_or(""));
  return std::optional<TableDef>(std::move(table));
}

Status CreateTable(MysqlConnection& db, const TableDef& table) {
  ASSIGN_OR_RETURN(std::optional<std::vector<ColumnInfo>> existing, LookUpTable(db, table.name));
  if (existing) return Status::Ok();
  std::string create = "CREATE TABLE IF NOT EXISTS " + Quote(table.name) + "(";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnDef& column = table.columns[i];
    if (i > 0) create += ", ";
    create += Quote(column.name) + " " + SqlType(table, column);
    if (!column.nullable) create += " NOT NULL";
  }
  if (!table.key.empty()) {
    create += ", UNIQUE KEY `sluice_key` (";
    for (size_t i = 0; i < table.key.size(); ++i) {
      if (i > 0) create += ", ";
      create += Quote(table.key[i]);
    }
    create += ")";
  }
  // Atomic: workers that find the table missing at once may all send it.
  create += ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=" + db.binary_collation();
  return db.Exec(create, "create table \"" + table.name + "\"");
}

Result<std::vector<ColumnDef>> AddColumns(MysqlConnection& db, const std::string& table,
                                          const std::vector<ColumnDef>& columns) {
  const std::string context = "add columns to table \"" + table + "\"";
  ASSIGN_OR_RETURN(std::vector<MysqlConnection::Row> locked,
                   db.Query("SELECT GET_LOCK(" + LockName(db, table) + ", 60)", context));
  if (locked.empty() || locked[0][0].value_or("0") != "1") {
    return Status::Unavailable(context + ": another sluice holds the table's lock");
  }
  std::vector<ColumnDef> added;
  Status status = [&]() -> Status {
    ASSIGN_OR_RETURN(std::optional<std::vector<ColumnInfo>> info, LookUpTable(db, table));
    if (!info) return Status::NotFound("table \"" + table + "\" does not exist");
    std::string alter;
    const TableDef def{table, columns, {}};
    for (const ColumnDef& column : columns) {
      bool present = false;
      for (const ColumnInfo& have : *info)
        present = present || SameColumnName(have.name, column.name);
      if (present) continue;
      alter += alter.empty() ? "ALTER TABLE " + Quote(table) + " " : ", ";
      alter += "ADD COLUMN " + Quote(column.name) + " " + SqlType(def, column);
      added.push_back({column.name, column.type, true});
    }
    if (!alter.empty()) RETURN_IF_ERROR(db.Exec(alter, context));
    return Status::Ok();
  }();
  // Released whatever happened; a lost connection released it already.
  (void)db.Exec("DO RELEASE_LOCK(" + LockName(db, table) + ")", context);
  if (!status.ok()) return status;
  return added;
}

}  // namespace sluice::mysql

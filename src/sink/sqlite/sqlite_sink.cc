#include "sink/sqlite/sqlite_sink.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "core/clock.h"

namespace sluice {
namespace {

constexpr char kMarkerTable[] = "_sluice_loads";
constexpr char kKeyIndexPrefix[] = "sluice_key_";

// One writer mutex per database file, shared by every sink of this process on it.
std::shared_ptr<std::mutex> WriterMutexFor(const std::string& path) {
  static std::mutex registry_mutex;
  static std::unordered_map<std::string, std::weak_ptr<std::mutex>> registry;
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) key = path;
  std::lock_guard lock(registry_mutex);
  std::shared_ptr<std::mutex> m = registry[key].lock();
  if (!m) {
    m = std::make_shared<std::mutex>();
    registry[key] = m;
  }
  return m;
}

std::string Quote(std::string_view identifier) {
  std::string out;
  out.reserve(identifier.size() + 2);
  out += '"';
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

const char* SqlType(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
      return "INTEGER";
    case ColumnType::kFloat:
      return "REAL";
    case ColumnType::kBoolean:
      return "BOOLEAN";
    case ColumnType::kDate:
      return "DATE";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
    case ColumnType::kString:
      return "TEXT";
  }
  return "TEXT";
}

// Maps a declared type back; besides our own names it accepts the common
// spellings of tables created by hand.
ColumnType TypeFromDeclared(std::string_view declared) {
  std::string upper(declared);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  static constexpr std::pair<std::string_view, ColumnType> kTypes[] = {
      {"INTEGER", ColumnType::kInteger},    {"INT", ColumnType::kInteger},
      {"BIGINT", ColumnType::kInteger},     {"REAL", ColumnType::kFloat},
      {"FLOAT", ColumnType::kFloat},        {"DOUBLE", ColumnType::kFloat},
      {"BOOLEAN", ColumnType::kBoolean},    {"BOOL", ColumnType::kBoolean},
      {"DATE", ColumnType::kDate},          {"TIMESTAMP", ColumnType::kTimestamp},
      {"DATETIME", ColumnType::kTimestamp},
  };
  for (const auto& [name, type] : kTypes) {
    if (upper == name) return type;
  }
  return ColumnType::kString;
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// SQLite compares identifiers ignoring ASCII case, so checks here do too.
Status ValidateTable(const TableDef& table) {
  if (EqualsIgnoreAsciiCase(table.name.substr(0, 7), "sqlite_") ||
      EqualsIgnoreAsciiCase(table.name, kMarkerTable)) {
    return Status::InvalidArgument("table name \"" + table.name + "\" is reserved");
  }
  // SQLite compares column names ignoring ASCII case.
  return ValidateTableDef(table, /*case_insensitive_names=*/true);
}

const char* ColumnText(sqlite3_stmt* stmt, int i) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
  return text != nullptr ? text : "";
}

// Resets a cached statement when the call that used it returns, whatever the path.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace

void SqliteSink::StmtFinalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

SqliteSink::SqliteSink(SqliteDb db) : db_(std::move(db)) {}

SqliteSink::~SqliteSink() { Abort(); }

Result<std::unique_ptr<SqliteSink>> SqliteSink::Open(const std::string& path) {
  // Larger pages than the default 4 KiB mean fewer B-tree pages to split and
  // write in bulk loads (measured: a third less system time on the 1M-row load).
  ASSIGN_OR_RETURN(SqliteDb db, OpenSqliteDb(path, "sqlite sink", 16384));
  std::unique_ptr<SqliteSink> sink(new SqliteSink(std::move(db)));
  sink->writer_ = WriterMutexFor(path);
  const std::string context = "sqlite sink: set up " + path;
  // Inserts into a key index land all over its B-tree; with SQLite's default 2 MiB
  // page cache a keyed load of a million rows spends most of its time spilling and
  // re-reading pages (measured 5x slower). The cache is per connection and only
  // grows as pages are used.
  RETURN_IF_ERROR(sink->Exec("PRAGMA cache_size=-65536", context));  // KiB: 64 MiB
  RETURN_IF_ERROR(sink->Exec(
      "CREATE TABLE IF NOT EXISTS \"_sluice_loads\"(load_id TEXT PRIMARY KEY, table_name TEXT, "
      "file TEXT, rows INTEGER, skipped INTEGER, committed_at TEXT)",
      context));
  ASSIGN_OR_RETURN(sink->is_committed_,
                   sink->Prepare("SELECT 1 FROM \"_sluice_loads\" WHERE load_id = ?1", context,
                                 /*cached=*/true));
  ASSIGN_OR_RETURN(sink->insert_marker_,
                   sink->Prepare("INSERT INTO \"_sluice_loads\"(load_id, table_name, file, rows, "
                                 "skipped, committed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                 context, /*cached=*/true));
  return sink;
}

Status SqliteSink::Exec(const char* sql, std::string_view context) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(db_.get(), rc, context);
}

Result<SqliteSink::StmtPtr> SqliteSink::Prepare(const std::string& sql, std::string_view context,
                                                bool cached) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                    cached ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteStatus(db_.get(), rc, context);
  return stmt;
}

Result<std::optional<TableDef>> SqliteSink::DescribeTable(std::string_view name) {
  const std::string context = "describe table \"" + std::string(name) + "\"";
  ASSIGN_OR_RETURN(StmtPtr columns,
                   Prepare("SELECT name, type, \"notnull\", hidden FROM pragma_table_xinfo(?1) "
                           "ORDER BY cid",
                           context));
  sqlite3_bind_text(columns.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  TableDef table;
  table.name = std::string(name);
  int rc;
  while ((rc = sqlite3_step(columns.get())) == SQLITE_ROW) {
    // Generated columns cannot be inserted into, so they are not part of the load.
    if (sqlite3_column_int(columns.get(), 3) != 0) continue;
    table.columns.push_back({ColumnText(columns.get(), 0),
                             TypeFromDeclared(ColumnText(columns.get(), 1)),
                             sqlite3_column_int(columns.get(), 2) == 0});
  }
  if (rc != SQLITE_DONE) return SqliteStatus(db_.get(), rc, context);
  if (table.columns.empty()) return std::optional<TableDef>();

  // pragma_index_list limits the search to this table's own indexes.
  ASSIGN_OR_RETURN(StmtPtr key, Prepare("SELECT ii.name FROM pragma_index_list(?1) AS il, "
                                        "pragma_index_info(il.name) AS ii WHERE il.name = ?2 "
                                        "ORDER BY ii.seqno",
                                        context));
  const std::string index = kKeyIndexPrefix + table.name;
  sqlite3_bind_text(key.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  sqlite3_bind_text(key.get(), 2, index.data(), static_cast<int>(index.size()), SQLITE_STATIC);
  while ((rc = sqlite3_step(key.get())) == SQLITE_ROW) {
    table.key.emplace_back(ColumnText(key.get(), 0));
  }
  if (rc != SQLITE_DONE) return SqliteStatus(db_.get(), rc, context);
  return std::optional<TableDef>(std::move(table));
}

Status SqliteSink::EnsureTable(const TableDef& table) {
  if (in_load_) return Status::Internal("EnsureTable during a load");
  RETURN_IF_ERROR(ValidateTable(table));
  const std::string context = "create table \"" + table.name + "\"";

  std::string create = "CREATE TABLE " + Quote(table.name) + "(";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnDef& column = table.columns[i];
    if (i > 0) create += ", ";
    create += Quote(column.name);
    create += ' ';
    create += SqlType(column.type);
    if (!column.nullable) create += " NOT NULL";
  }
  create += ")";
  std::string index;
  if (!table.key.empty()) {
    index = "CREATE UNIQUE INDEX " + Quote(kKeyIndexPrefix + table.name) + " ON " +
            Quote(table.name) + "(";
    for (size_t i = 0; i < table.key.size(); ++i) {
      if (i > 0) index += ", ";
      index += Quote(table.key[i]);
    }
    index += ")";
  }

  // Checked first without the write lock, which another worker's load may hold for
  // a long time, and again under it, so that a concurrent EnsureTable cannot race
  // us. An existing table stays unaltered: no index is added to a table that may
  // already hold duplicate keys.
  ASSIGN_OR_RETURN(bool exists, TableExists(table.name));
  if (exists) return Status::Ok();
  RETURN_IF_ERROR(BeginWrite(context));
  Status status = [&]() -> Status {
    ASSIGN_OR_RETURN(bool created_meanwhile, TableExists(table.name));
    if (created_meanwhile) return Status::Ok();
    RETURN_IF_ERROR(Exec(create.c_str(), context));
    if (!index.empty()) RETURN_IF_ERROR(Exec(index.c_str(), context));
    return Status::Ok();
  }();
  if (status.ok()) status = Exec("COMMIT", context);
  if (!status.ok() && sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  EndWrite();
  return status;
}

Result<std::vector<ColumnDef>> SqliteSink::AddColumns(const std::string& table,
                                                      const std::vector<ColumnDef>& columns) {
  if (in_load_) return Status::Internal("AddColumns during a load");
  RETURN_IF_ERROR(ValidateTable(TableDef{table, columns, {}}));
  const std::string context = "add columns to table \"" + table + "\"";
  std::vector<ColumnDef> added;
  // Under the write lock the table cannot change between the look and the ALTER.
  RETURN_IF_ERROR(BeginWrite(context));
  Status status = [&]() -> Status {
    ASSIGN_OR_RETURN(std::optional<TableDef> existing, DescribeTable(table));
    if (!existing) return Status::NotFound("table \"" + table + "\" does not exist");
    for (const ColumnDef& column : columns) {
      bool present = false;
      for (const ColumnDef& have : existing->columns) {
        present = present || sqlite3_stricmp(have.name.c_str(), column.name.c_str()) == 0;
      }
      if (present) continue;
      const std::string alter = "ALTER TABLE " + Quote(table) + " ADD COLUMN " +
                                Quote(column.name) + " " + SqlType(column.type);
      RETURN_IF_ERROR(Exec(alter.c_str(), context));
      added.push_back({column.name, column.type, true});
    }
    return Status::Ok();
  }();
  if (status.ok()) status = Exec("COMMIT", context);
  if (!status.ok() && sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  EndWrite();
  RETURN_IF_ERROR(status);
  return added;
}

Status SqliteSink::BeginWrite(const std::string& context) {
  write_lock_ = std::unique_lock(*writer_);
  Status status = Exec("BEGIN IMMEDIATE", context);
  if (!status.ok()) EndWrite();
  return status;
}

void SqliteSink::EndWrite() {
  if (write_lock_.owns_lock()) write_lock_.unlock();
}

Result<bool> SqliteSink::TableExists(const std::string& name) {
  const std::string context = "look up table \"" + name + "\"";
  // SQLite matches table names ignoring ASCII case.
  ASSIGN_OR_RETURN(StmtPtr query, Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                          "name = ?1 COLLATE NOCASE",
                                          context));
  sqlite3_bind_text(query.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(query.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(db_.get(), rc, context);
}

Result<SqliteSink::InsertStatement*> SqliteSink::InsertFor(const TableDef& table) {
  std::string sql = "INSERT INTO " + Quote(table.name) + "(";
  std::string values = ") VALUES(";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) {
      sql += ", ";
      values += ", ";
    }
    sql += Quote(table.columns[i].name);
    values += '?';
  }
  sql += values;
  sql += ')';
  if (!table.key.empty()) sql += " ON CONFLICT DO NOTHING";

  InsertStatement& insert = inserts_[table.name];
  if (insert.stmt == nullptr || insert.sql != sql) {
    insert.stmt.reset();
    ASSIGN_OR_RETURN(insert.stmt,
                     Prepare(sql, "prepare insert into \"" + table.name + "\"", /*cached=*/true));
    insert.sql = std::move(sql);
    insert.keyed = !table.key.empty();
  }
  return &insert;
}

Status SqliteSink::Begin(const TableDef& table, const std::vector<LoadId>& loads) {
  if (in_load_) return Status::Internal("Begin while a load is in progress");
  if (loads.empty()) return Status::InvalidArgument("no load to begin");
  for (const LoadId& load : loads) {
    if (load.id.empty()) return Status::InvalidArgument("load id is empty");
  }
  if (table.columns.empty()) {
    return Status::InvalidArgument("table \"" + table.name + "\" has no columns");
  }
  ASSIGN_OR_RETURN(InsertStatement * insert, InsertFor(table));
  RETURN_IF_ERROR(BeginWrite("begin load " + loads.front().id));
  // Checked under the write lock, so no other connection can commit these ids
  // between the check and our Commit.
  for (const LoadId& load : loads) {
    Result<bool> committed = IsCommitted(load.id);
    if (!committed || *committed) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      EndWrite();
      if (!committed) return committed.error();
      return Status::AlreadyExists("load " + load.id + " (" + load.file + ") is already committed");
    }
  }
  in_load_ = true;
  failed_ = false;
  table_ = table;
  loads_ = loads;
  insert_ = insert;
  counts_.assign(loads.size(), LoadCounts{});
  load_ = 0;
  text_.resize(table.columns.size());
  return Status::Ok();
}

Status SqliteSink::Write(const Batch& batch, size_t load) {
  if (!in_load_) return Status::Internal("Write without Begin");
  if (failed_) return Status::Internal("Write after a failed Write; the load must be aborted");
  if (load >= counts_.size() || load < load_) {
    return Status::Internal("Write to load " + std::to_string(load) + " after load " +
                            std::to_string(load_) + " of " + std::to_string(counts_.size()));
  }
  load_ = load;
  RETURN_IF_ERROR(CheckBatchFitsTable(batch, table_));
  LoadCounts& counts = counts_[load];

  sqlite3_stmt* stmt = insert_->stmt.get();
  const auto& columns = batch.columns();
  const int column_count = static_cast<int>(columns.size());
  for (size_t row = 0; row < batch.rows(); ++row) {
    int rc = SQLITE_OK;
    for (int i = 0; i < column_count && rc == SQLITE_OK; ++i) {
      const Column& column = columns[i];
      const int param = i + 1;
      if (column.nulls[row] != 0) {
        sqlite3_bind_null(stmt, param);
        continue;
      }
      switch (column.def.type) {
        case ColumnType::kInteger:
        case ColumnType::kBoolean:
          sqlite3_bind_int64(stmt, param, column.ints[row]);
          break;
        case ColumnType::kFloat:
          sqlite3_bind_double(stmt, param, column.floats[row]);
          break;
        case ColumnType::kDate: {
          const size_t n = FormatIsoDate(column.ints[row], text_[i].data());
          sqlite3_bind_text(stmt, param, text_[i].data(), static_cast<int>(n), SQLITE_STATIC);
          break;
        }
        case ColumnType::kTimestamp: {
          const size_t n = FormatIsoTimestamp(column.ints[row], text_[i].data());
          sqlite3_bind_text(stmt, param, text_[i].data(), static_cast<int>(n), SQLITE_STATIC);
          break;
        }
        case ColumnType::kString: {
          const std::string_view s = column.strings[row];
          // A null pointer would bind SQL NULL; an empty string must stay ''. Only
          // this bind can fail on valid input (SQLITE_TOOBIG).
          rc = sqlite3_bind_text64(stmt, param, s.data() != nullptr ? s.data() : "", s.size(),
                                   SQLITE_STATIC, SQLITE_UTF8);
          break;
        }
      }
    }
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
      Status status = SqliteStatus(db_.get(), rc,
                                   "insert into \"" + table_.name + "\", " + loads_[load].file +
                                       ", line " + std::to_string(batch.Line(row)));
      sqlite3_reset(stmt);
      failed_ = true;
      return status;
    }
    // ON CONFLICT DO NOTHING reports success with no change for an existing key.
    if (insert_->keyed && sqlite3_changes64(db_.get()) == 0) {
      ++counts.skipped_by_key;
    } else {
      ++counts.inserted;
    }
    sqlite3_reset(stmt);
  }
  return Status::Ok();
}

Result<std::vector<LoadCounts>> SqliteSink::Commit() {
  if (!in_load_) return Status::Internal("Commit without Begin");
  if (failed_) return Status::Internal("Commit after a failed Write; the load must be aborted");
  const std::string context = "commit load " + loads_.front().id;
  // SQLite rolls a transaction back by itself after some errors (I/O, full disk).
  // Inserting the markers then would commit them alone, claiming rows that are gone.
  if (sqlite3_get_autocommit(db_.get()) != 0) {
    EndLoad();
    return Status::Internal(context + ": the transaction was rolled back by SQLite");
  }
  sqlite3_stmt* marker = insert_marker_.get();
  char committed_at[kIsoTextCapacity];
  const size_t committed_at_size = FormatIsoTimestamp(NowMicros(), committed_at);
  Status status;
  for (size_t i = 0; i < loads_.size() && status.ok(); ++i) {
    const LoadId& load = loads_[i];
    ResetOnExit reset(marker);
    sqlite3_bind_text(marker, 1, load.id.data(), static_cast<int>(load.id.size()), SQLITE_STATIC);
    sqlite3_bind_text(marker, 2, table_.name.data(), static_cast<int>(table_.name.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(marker, 3, load.file.data(), static_cast<int>(load.file.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(marker, 4, static_cast<sqlite3_int64>(counts_[i].inserted));
    sqlite3_bind_int64(marker, 5, static_cast<sqlite3_int64>(counts_[i].skipped_by_key));
    sqlite3_bind_text(marker, 6, committed_at, static_cast<int>(committed_at_size), SQLITE_STATIC);
    const int rc = sqlite3_step(marker);
    if (rc != SQLITE_DONE) status = SqliteStatus(db_.get(), rc, "commit load " + load.id);
  }
  if (status.ok()) status = Exec("COMMIT", context);
  if (!status.ok()) {
    Abort();
    return status;
  }
  std::vector<LoadCounts> counts = std::move(counts_);
  EndLoad();
  return counts;
}

void SqliteSink::Abort() noexcept {
  if (!in_load_) return;
  sqlite3_reset(insert_->stmt.get());
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  EndLoad();
}

void SqliteSink::EndLoad() {
  EndWrite();
  in_load_ = false;
  failed_ = false;
  insert_ = nullptr;
  loads_.clear();
  counts_.clear();
}

Result<bool> SqliteSink::IsCommitted(std::string_view load_id) {
  sqlite3_stmt* stmt = is_committed_.get();
  ResetOnExit reset(stmt);
  sqlite3_bind_text(stmt, 1, load_id.data(), static_cast<int>(load_id.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(db_.get(), rc, "check load " + std::string(load_id));
}

Status SqliteSink::Ping() { return Exec("SELECT 1", "ping"); }

}  // namespace sluice

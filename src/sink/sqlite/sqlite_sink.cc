#include "sink/sqlite/sqlite_sink.h"

#include <sqlite3.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

constexpr char kMarkerTable[] = "_sluice_loads";
constexpr char kKeyIndexPrefix[] = "sluice_key_";
// Names this database in every message (SqliteStatement and SqliteExec's `what`).
constexpr char kWhat[] = "sqlite sink";
// Rows per multi-row INSERT (see WriteRows). 32, 64 and 128 measured alike on
// the 1M-row load, each about twice as fast as one row per statement.
constexpr size_t kRowsPerInsert = 64;
// Page cache sizes (KiB) for a load (see Open). Inserts into an index (or a
// table ordered by its own key) land all over its B-tree: with SQLite's default
// 2 MiB cache a keyed load of a million rows spends most of its time spilling and
// re-reading pages (measured 5x slower), hence 64 MiB. Rows appended to a table
// without one touch only its last pages, which a small cache holds; a larger one
// would only keep the transaction's pages until the commit, memory that grows
// with the file (a file of big cells: its whole size).
constexpr int kIndexedCacheKiB = 64 << 10;
constexpr int kAppendCacheKiB = 8 << 10;
// A page cache released after a load returns its memory to the system when it
// held at least this much (see ReleaseCache).
constexpr int64_t kTrimAfterBytes = 1 << 20;

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

constexpr auto& Quote = QuoteSqlIdentifier;

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

SqliteSink::SqliteSink(SqliteDb db) : db_(std::move(db)) {}

SqliteSink::~SqliteSink() { Abort(); }

Result<std::unique_ptr<SqliteSink>> SqliteSink::Open(const std::string& path) {
  // Larger pages than the default 4 KiB mean fewer B-tree pages to split and
  // write in bulk loads (measured: a third less system time on the 1M-row load).
  ASSIGN_OR_RETURN(SqliteDb db, OpenSqliteDb(path, "sqlite sink", 16384));
  std::unique_ptr<SqliteSink> sink(new SqliteSink(std::move(db)));
  sink->writer_ = WriterMutexFor(path);
  const std::string context = "sqlite sink: set up " + path;
  RETURN_IF_ERROR(sink->SetCacheKiB(kAppendCacheKiB, context));
  RETURN_IF_ERROR(sink->Exec(
      "CREATE TABLE IF NOT EXISTS \"_sluice_loads\"(load_id TEXT PRIMARY KEY, table_name TEXT, "
      "file TEXT, rows INTEGER, skipped INTEGER, committed_at TEXT)",
      context));
  RETURN_IF_ERROR(sink->PrepareCached(
      sink->is_committed_, "SELECT 1 FROM \"_sluice_loads\" WHERE load_id = ?1", context));
  RETURN_IF_ERROR(sink->PrepareCached(sink->insert_marker_,
                                      "INSERT INTO \"_sluice_loads\"(load_id, table_name, file, "
                                      "rows, skipped, committed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                      context));
  return sink;
}

Status SqliteSink::Exec(const char* sql, std::string_view context) {
  return SqliteExec(db_.get(), sql, kWhat, context);
}

Status SqliteSink::PrepareCached(Cached& into, const std::string& sql, std::string_view context) {
  into.owner.reset();
  into.stmt = nullptr;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  into.owner.emplace(db_.get(), stmt, kWhat);
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, kWhat, context);
  into.stmt = stmt;
  return Status::Ok();
}

Result<std::optional<TableDef>> SqliteSink::DescribeTable(std::string_view name) {
  const std::string context = "describe table \"" + std::string(name) + "\"";
  ASSIGN_OR_RETURN(SqliteStatement columns,
                   SqliteStatement::Prepare(db_.get(),
                                            "SELECT name, type, \"notnull\", hidden FROM "
                                            "pragma_table_xinfo(?1) ORDER BY cid",
                                            kWhat, context));
  columns.Bind(name);
  TableDef table;
  table.name = std::string(name);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, columns.Step(context));
    if (!row) break;
    // Generated columns cannot be inserted into, so they are not part of the load.
    if (columns.Int(3) != 0) continue;
    table.columns.push_back(
        {columns.Text(0), TypeFromDeclared(columns.Text(1)), columns.Int(2) == 0});
  }
  if (table.columns.empty()) return std::optional<TableDef>();

  // pragma_index_list limits the search to this table's own indexes.
  ASSIGN_OR_RETURN(SqliteStatement key,
                   SqliteStatement::Prepare(db_.get(),
                                            "SELECT ii.name FROM pragma_index_list(?1) AS il, "
                                            "pragma_index_info(il.name) AS ii WHERE il.name = ?2 "
                                            "ORDER BY ii.seqno",
                                            kWhat, context));
  key.Bind(name, kKeyIndexPrefix + table.name);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, key.Step(context));
    if (!row) break;
    table.key.push_back(key.Text(0));
  }
  return std::optional<TableDef>(std::move(table));
}

Status SqliteSink::EnsureTable(const TableDef& table) {
  if (in_load()) return Status::Internal("EnsureTable during a load");
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
  if (in_load()) return Status::Internal("AddColumns during a load");
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

Result<bool> SqliteSink::SchemaHas(const char* sql, const std::string& table) {
  const std::string context = "look up table \"" + table + "\"";
  ASSIGN_OR_RETURN(SqliteStatement query, SqliteStatement::Prepare(db_.get(), sql, kWhat, context));
  return query.Bind(table).Step(context);
}

Result<bool> SqliteSink::TableExists(const std::string& name) {
  // SQLite matches table names ignoring ASCII case.
  return SchemaHas("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
                   name);
}

Result<bool> SqliteSink::HasConflictClause(const std::string& table) {
  // LIKE ignores ASCII case. Conservative: a name containing "conflict" counts too.
  return SchemaHas(
      "SELECT 1 FROM sqlite_master WHERE tbl_name = ?1 COLLATE NOCASE AND sql LIKE '%conflict%'",
      table);
}

Result<SqliteSink::InsertStatement*> SqliteSink::InsertFor(const TableDef& table) {
  std::string columns = Quote(table.name) + "(";
  std::string row = "(";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) {
      columns += ", ";
      row += ", ";
    }
    columns += Quote(table.columns[i].name);
    row += '?';
  }
  columns += ") VALUES";
  row += ')';
  const bool keyed = !table.key.empty();
  const std::string conflict = keyed ? " ON CONFLICT DO NOTHING" : "";
  std::string sql = "INSERT INTO " + columns + row + conflict;

  InsertStatement& insert = inserts_[table.name];
  if (insert.cached.stmt == nullptr || insert.sql != sql) {
    const std::string context = "prepare insert into \"" + table.name + "\"";
    RETURN_IF_ERROR(PrepareCached(insert.cached, sql, context));
    insert.multi.owner.reset();
    insert.multi.stmt = nullptr;
    insert.multi_rows = 0;
    // Never more bound parameters than this connection allows.
    const size_t max_params =
        static_cast<size_t>(sqlite3_limit(db_.get(), SQLITE_LIMIT_VARIABLE_NUMBER, -1));
    const size_t rows = std::min(kRowsPerInsert, max_params / table.columns.size());
    // A statement of many rows that may stop half-way keeps a statement journal
    // to undo its own rows: cheap when rows are appended (it holds the last page
    // or two), but with a key each row changes its own page of the key index, and
    // the journal copied 16 KiB per row (measured: 5 s of system time per million
    // rows). Keyed statements are therefore OR FAIL, which needs no journal: a
    // failed one keeps the rows before the failing one, harmless since a failed
    // Write is never committed, and inserting them again one by one skips them by
    // their key (see WriteRows). OR FAIL would override a conflict clause of the
    // table's own (NOT NULL ON CONFLICT IGNORE, ...), so such tables, which
    // sluice never creates, keep one row per statement.
    bool multi = rows >= 2;
    if (multi && keyed) {
      ASSIGN_OR_RETURN(bool has_conflict_clause, HasConflictClause(table.name));
      multi = !has_conflict_clause;
    }
    if (multi) {
      std::string multi_sql = keyed ? "INSERT OR FAIL INTO " : "INSERT INTO ";
      multi_sql.reserve(multi_sql.size() + columns.size() + rows * (row.size() + 1) +
                        conflict.size());
      multi_sql += columns;
      for (size_t r = 0; r < rows; ++r) {
        if (r > 0) multi_sql += ',';
        multi_sql += row;
      }
      multi_sql += conflict;
      RETURN_IF_ERROR(PrepareCached(insert.multi, multi_sql, context));
      insert.multi_rows = rows;
    }
    // Sluice's own tables are indexed only by their key; one made by hand may have
    // indexes, a primary key or no rowid (then the table is a B-tree in key order).
    ASSIGN_OR_RETURN(insert.indexed,
                     SchemaHas("SELECT 1 FROM sqlite_master WHERE tbl_name = ?1 COLLATE NOCASE "
                               "AND (type = 'index' OR (type = 'table' AND (sql LIKE "
                               "'%PRIMARY%KEY%' OR sql LIKE '%WITHOUT%ROWID%')))",
                               table.name));
    insert.sql = std::move(sql);
    insert.keyed = keyed;
  }
  return &insert;
}

Status SqliteSink::BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) {
  ASSIGN_OR_RETURN(insert_, InsertFor(table));
  size_t width = table.columns.size();
  if (const TableDef* side = side_table()) {
    // Prepared now: a side table that does not exist fails the Begin, not the Commit.
    ASSIGN_OR_RETURN(side_insert_, InsertFor(*side));
    width = std::max(width, side->columns.size());
  }
  const bool indexed = insert_->indexed || (side_insert_ != nullptr && side_insert_->indexed);
  RETURN_IF_ERROR(
      SetCacheKiB(indexed ? kIndexedCacheKiB : kAppendCacheKiB, "begin load " + loads.front().id));
  RETURN_IF_ERROR(BeginWrite("begin load " + loads.front().id));
  // Checked under the write lock, so no other connection can commit these ids
  // between the check and our Commit.
  for (const LoadId& load : loads) {
    ASSIGN_OR_RETURN(bool committed, IsCommitted(load.id));
    if (committed) {
      return Status::AlreadyExists("load " + load.id + " (" + load.file + ") is already committed");
    }
  }
  text_.resize(width * std::max<size_t>(1, insert_->multi_rows));
  return Status::Ok();
}

int SqliteSink::BindRow(sqlite3_stmt* stmt, const Batch& batch, size_t row, int first_param,
                        size_t text_base) {
  const auto& columns = batch.columns();
  const int column_count = static_cast<int>(columns.size());
  int rc = SQLITE_OK;
  for (int i = 0; i < column_count && rc == SQLITE_OK; ++i) {
    const Column& column = columns[i];
    const int param = first_param + i;
    if (column.nulls[row] != 0) {
      sqlite3_bind_null(stmt, param);
      continue;
    }
    char* text = text_[text_base + i].data();
    switch (column.def.type) {
      case ColumnType::kInteger:
      case ColumnType::kBoolean:
        sqlite3_bind_int64(stmt, param, column.ints[row]);
        break;
      case ColumnType::kFloat:
        sqlite3_bind_double(stmt, param, column.floats[row]);
        break;
      case ColumnType::kDate: {
        const size_t n = FormatIsoDate(column.ints[row], text);
        sqlite3_bind_text(stmt, param, text, static_cast<int>(n), SQLITE_STATIC);
        break;
      }
      case ColumnType::kTimestamp: {
        const size_t n = FormatIsoTimestamp(column.ints[row], text);
        sqlite3_bind_text(stmt, param, text, static_cast<int>(n), SQLITE_STATIC);
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
  return rc;
}

int SqliteSink::InsertRow(sqlite3_stmt* stmt, const Batch& batch, size_t row) {
  int rc = BindRow(stmt, batch, row, 1, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  return rc;
}

Status SqliteSink::InsertEach(const Batch& batch, size_t load, size_t begin, size_t end) {
  LoadCounts& tally = counts()[load];
  sqlite3_stmt* stmt = insert_->cached.stmt;
  for (size_t row = begin; row < end; ++row) {
    if (const int rc = InsertRow(stmt, batch, row); rc != SQLITE_OK) {
      // A constraint of a table made elsewhere (NOT NULL, CHECK, STRICT types).
      Refuse({load, batch.Line(row), "", sqlite3_errmsg(db_.get())});
      Status status = SqliteError(db_.get(), rc, kWhat,
                                  "insert into \"" + table().name + "\", " + loads()[load].file +
                                      ", line " + std::to_string(batch.Line(row)));
      sqlite3_reset(stmt);
      return status;
    }
    // ON CONFLICT DO NOTHING reports success with no change for an existing key.
    if (insert_->keyed && sqlite3_changes64(db_.get()) == 0) {
      ++tally.skipped_by_key;
    } else {
      ++tally.inserted;
    }
    sqlite3_reset(stmt);
  }
  return Status::Ok();
}

// Most rows go in statements of multi_rows rows: the per-statement work (cursor,
// halt, reset) is then paid once per chunk instead of once per row. When SQLite
// refuses a chunk, its rows are inserted again one statement each, so that the
// refused row is named: SQLite has undone the chunk's rows (without a key), or
// the rows before the refused one are in the table and skipped now by their key
// (OR FAIL, see InsertFor); either way the Write fails and is never committed.
// The rows after the last whole chunk go one statement each.
Status SqliteSink::WriteRows(const Batch& batch, size_t load) {
  LoadCounts& tally = counts()[load];
  const size_t rows = batch.rows();
  const size_t chunk = insert_->multi_rows;
  const int width = static_cast<int>(batch.columns().size());
  size_t row = 0;
  if (chunk >= 2) {
    sqlite3_stmt* stmt = insert_->multi.stmt;
    for (; row + chunk <= rows; row += chunk) {
      int rc = SQLITE_OK;
      for (size_t r = 0; r < chunk && rc == SQLITE_OK; ++r) {
        rc = BindRow(stmt, batch, row + r, static_cast<int>(r) * width + 1, r * width);
      }
      if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
      }
      if (rc == SQLITE_OK) {
        // ON CONFLICT DO NOTHING stores nothing for a key that exists, also one
        // seen earlier in the same chunk.
        const auto inserted = static_cast<uint64_t>(sqlite3_changes64(db_.get()));
        tally.inserted += inserted;
        if (insert_->keyed) tally.skipped_by_key += chunk - inserted;
        sqlite3_reset(stmt);
        continue;
      }
      Status failed = SqliteError(db_.get(), rc, kWhat,
                                  "insert into \"" + table().name + "\", " + loads()[load].file +
                                      ", lines " + std::to_string(batch.Line(row)) + "-" +
                                      std::to_string(batch.Line(row + chunk - 1)));
      sqlite3_reset(stmt);
      // After some errors (I/O, full disk) SQLite has rolled back the whole
      // transaction: rows inserted now would commit on their own.
      if (sqlite3_get_autocommit(db_.get()) != 0) return failed;
      RETURN_IF_ERROR(InsertEach(batch, load, row, row + chunk));
      // No row refused one by one (the error passed): the chunk still failed.
      return failed;
    }
  }
  return InsertEach(batch, load, row, rows);
}

Status SqliteSink::WriteSideRows(const Batch& rows, const std::vector<size_t>& row_loads) {
  sqlite3_stmt* stmt = side_insert_->cached.stmt;
  for (size_t row = 0; row < rows.rows(); ++row) {
    if (const int rc = InsertRow(stmt, rows, row); rc != SQLITE_OK) {
      // Side rows are not lines of the file: the refusal names no row.
      Status status = SqliteError(
          db_.get(), rc, kWhat,
          "insert into side table \"" + side_table()->name + "\", " + loads()[row_loads[row]].file);
      sqlite3_reset(stmt);
      return status;
    }
    sqlite3_reset(stmt);
  }
  return Status::Ok();
}

Status SqliteSink::CommitLoads() {
  const std::string context = "commit " + DescribeLoads(loads());
  // SQLite rolls a transaction back by itself after some errors (I/O, full disk).
  // Inserting the markers then would commit them alone, claiming rows that are gone.
  if (sqlite3_get_autocommit(db_.get()) != 0) {
    return Status::Internal(std::string(kWhat) + ": " + context +
                            ": the transaction was rolled back by SQLite");
  }
  sqlite3_stmt* marker = insert_marker_.stmt;
  char committed_at[kIsoTextCapacity];
  const size_t committed_at_size = FormatIsoTimestamp(NowMicros(), committed_at);
  const std::string& table_name = table().name;
  for (size_t i = 0; i < loads().size(); ++i) {
    const LoadId& load = loads()[i];
    ResetOnExit reset(marker);
    sqlite3_bind_text(marker, 1, load.id.data(), static_cast<int>(load.id.size()), SQLITE_STATIC);
    sqlite3_bind_text(marker, 2, table_name.data(), static_cast<int>(table_name.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(marker, 3, load.file.data(), static_cast<int>(load.file.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(marker, 4, static_cast<sqlite3_int64>(counts()[i].inserted));
    sqlite3_bind_int64(marker, 5, static_cast<sqlite3_int64>(counts()[i].skipped_by_key));
    sqlite3_bind_text(marker, 6, committed_at, static_cast<int>(committed_at_size), SQLITE_STATIC);
    const int rc = sqlite3_step(marker);
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, kWhat, "commit load " + load.id);
  }
  RETURN_IF_ERROR(Exec("COMMIT", context));
  EndLoad();
  return Status::Ok();
}

void SqliteSink::AbortLoads() noexcept {
  if (insert_ != nullptr) {
    sqlite3_reset(insert_->cached.stmt);
    if (insert_->multi.stmt != nullptr) sqlite3_reset(insert_->multi.stmt);
  }
  if (side_insert_ != nullptr) sqlite3_reset(side_insert_->cached.stmt);
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  EndLoad();
}

void SqliteSink::EndLoad() {
  // Loads into one database are serialised (writer_), so only one of its
  // connections in this process has a transaction's pages at a time; but each one
  // keeps its (clean) cache after its load. When another connection writes in
  // between, SQLite drops that cache at this one's next transaction anyway, so
  // with several sinks on the database it is freed now: their caches together
  // then hold one load's pages, not one per worker. A lone sink keeps its cache
  // warm for its next load.
  if (writer_.use_count() > 1) ReleaseCache();
  EndWrite();
  insert_ = nullptr;
  side_insert_ = nullptr;
}

Status SqliteSink::SetCacheKiB(int kib, std::string_view context) {
  if (kib == cache_kib_) return Status::Ok();
  const std::string pragma = "PRAGMA cache_size=-" + std::to_string(kib);
  RETURN_IF_ERROR(Exec(pragma.c_str(), context));
  cache_kib_ = kib;
  return Status::Ok();
}

Result<int> SqliteSink::CacheKiB() {
  ASSIGN_OR_RETURN(SqliteStatement query, SqliteStatement::Prepare(db_.get(), "PRAGMA cache_size",
                                                                   kWhat, "read cache size"));
  ASSIGN_OR_RETURN(bool row, query.Step("read cache size"));
  if (!row) return Status::Internal(std::string(kWhat) + ": PRAGMA cache_size returned no row");
  // Negative: KiB; positive: pages (never set so by this sink).
  return static_cast<int>(-query.Int(0));
}

void SqliteSink::ReleaseCache() {
  const int64_t before = CacheBytes();
  sqlite3_db_release_memory(db_.get());
#if defined(__GLIBC__)
  // The pages were allocated by this worker's thread, in its own malloc arena,
  // which keeps freed memory for that thread; the next load's pages come from
  // another worker's arena. Returning the freed pages to the system keeps the
  // process's memory at one load's pages, not one per worker.
  if (before - CacheBytes() >= kTrimAfterBytes) malloc_trim(0);
#endif
}

int64_t SqliteSink::CacheBytes() {
  int current = 0;
  int highwater = 0;
  sqlite3_db_status(db_.get(), SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0);
  return current;
}

Result<bool> SqliteSink::IsCommitted(std::string_view load_id) {
  sqlite3_stmt* stmt = is_committed_.stmt;
  ResetOnExit reset(stmt);
  sqlite3_bind_text(stmt, 1, load_id.data(), static_cast<int>(load_id.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_.get(), rc, kWhat, "check load " + std::string(load_id));
}

Status SqliteSink::Ping() { return Exec("SELECT 1", "ping"); }

}  // namespace sluice

// The SQLite sink's row inserts (SqliteSink's part that writes rows; the rest is
// in sqlite_sink.cc): the prepared INSERT of a table, binding a batch's rows, and
// writing them in multi-row statements, falling back to one row a statement to
// name a refused row. Thread-safety: as SqliteSink (one thread per sink).
#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "sink/sink_text.h"
#include "sink/sqlite/sqlite_sink.h"

namespace sluice {
namespace {

// Rows per multi-row INSERT (see WriteRows). 32, 64 and 128 measured alike on
// the 1M-row load, each about twice as fast as one row per statement.
constexpr size_t kRowsPerInsert = 64;

constexpr auto& Quote = QuoteSqlIdentifier;

}  // namespace

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

}  // namespace sluice

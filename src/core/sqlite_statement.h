// SqliteStatement: a prepared SQLite statement that binds by position and reads
// columns by index; SqliteStatementCache, which keeps statements prepared for a
// connection's life; and SqliteExec, for every SQLite database
// sluice keeps (the ledger, the SQLite sink). Errors name the database ("ledger",
// "sqlite sink") and the operation, through SqliteStatus.
//
// Thread-safety: a statement belongs to the thread that uses its connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/sqlite_db.h"
#include "core/status.h"

namespace sluice {

// The Status for `rc` in database `what` during `context`: "what: context: ...".
inline Status SqliteError(sqlite3* db, int rc, std::string_view what, std::string_view context) {
  return SqliteStatus(db, rc, std::string(what) + ": " + std::string(context));
}

// Runs `sql` (statements without parameters or rows).
inline Status SqliteExec(sqlite3* db, const char* sql, std::string_view what,
                         std::string_view context) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqliteError(db, rc, what, context);
}

class SqliteStatement {
 public:
  // `what` names the database in errors and must outlive the statement (a literal).
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::string_view what)
      : db_(db), stmt_(stmt), what_(what) {}
  // A statement lent by a SqliteStatementCache: reset and handed back, not
  // finalized, when this is destroyed.
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::string_view what, bool* lent)
      : db_(db), stmt_(stmt), what_(what), lent_(lent) {}
  ~SqliteStatement() {
    if (lent_ == nullptr) {
      sqlite3_finalize(stmt_);
    } else if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
      *lent_ = false;
    }
  }
  SqliteStatement(SqliteStatement&& other) noexcept
      : db_(other.db_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        what_(other.what_),
        lent_(other.lent_) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement& operator=(SqliteStatement&&) = delete;

  // Prepares `sql` on `db`.
  static Result<SqliteStatement> Prepare(sqlite3* db, std::string_view sql, std::string_view what,
                                         std::string_view context) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    SqliteStatement statement(db, stmt, what);
    if (rc != SQLITE_OK) return SqliteError(db, rc, what, context);
    return statement;
  }

  // Binds the arguments to ?1, ?2, ... in order. Strings are copied, so the
  // arguments may be temporaries.
  template <typename... Args>
  SqliteStatement& Bind(const Args&... args) {
    int index = 0;
    (BindOne(++index, args), ...);
    return *this;
  }

  // Steps once: true for a row, false when done.
  Result<bool> Step(std::string_view context) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, rc, what_, context);
  }
  // Steps to completion, for statements that return no rows.
  Status Run(std::string_view context) {
    const int rc = sqlite3_step(stmt_);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::Ok()
                                                 : SqliteError(db_, rc, what_, context);
  }

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  // A REAL column; nullopt for NULL.
  std::optional<double> OptionalDouble(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, column);
  }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text != nullptr ? std::string(text, sqlite3_column_bytes(stmt_, column)) : "";
  }

 private:
  void BindOne(int index, int64_t v) { sqlite3_bind_int64(stmt_, index, v); }
  void BindOne(int index, uint64_t v) {
    sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(v));
  }
  void BindOne(int index, int v) { sqlite3_bind_int64(stmt_, index, v); }
  void BindOne(int index, double v) { sqlite3_bind_double(stmt_, index, v); }
  void BindOne(int index, const std::optional<double>& v) {
    if (v) {
      sqlite3_bind_double(stmt_, index, *v);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }
  void BindOne(int index, std::string_view v) {
    sqlite3_bind_text64(stmt_, index, v.data() != nullptr ? v.data() : "", v.size(),
                        SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void BindOne(int index, const std::string& v) { BindOne(index, std::string_view(v)); }
  void BindOne(int index, const char* v) { BindOne(index, std::string_view(v)); }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string_view what_;
  bool* lent_ = nullptr;  // the cache's flag of a lent statement
};

// Statements of one connection prepared once per SQL text and reused: parsing
// and planning a statement costs more than running the small ones a ledger runs
// per file. A text asked for while its statement is still lent gets a statement
// of its own. Must be destroyed before its connection is closed.
class SqliteStatementCache {
 public:
  SqliteStatementCache(sqlite3* db, std::string_view what) : db_(db), what_(what) {}
  ~SqliteStatementCache() {
    for (auto& [sql, entry] : entries_) sqlite3_finalize(entry.stmt);
  }
  SqliteStatementCache(const SqliteStatementCache&) = delete;
  SqliteStatementCache& operator=(const SqliteStatementCache&) = delete;

  Result<SqliteStatement> Prepare(std::string_view sql, std::string_view context) {
    auto it = entries_.find(sql);
    if (it == entries_.end()) {
      sqlite3_stmt* stmt = nullptr;
      const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return SqliteError(db_, rc, what_, context);
      }
      it = entries_.emplace(std::string(sql), Entry{stmt, false}).first;
    } else if (it->second.lent) {
      return SqliteStatement::Prepare(db_, sql, what_, context);
    }
    it->second.lent = true;
    return SqliteStatement(db_, it->second.stmt, what_, &it->second.lent);
  }

 private:
  struct Entry {
    sqlite3_stmt* stmt;
    bool lent;
  };
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  // Node-based: a lent statement's flag stays where it is when the map grows.
  std::unordered_map<std::string, Entry, TextHash, std::equal_to<>> entries_;
  sqlite3* db_;
  std::string_view what_;
};

}  // namespace sluice

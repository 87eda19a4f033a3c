// The ledger's prepared statements and error wording: internal to src/ledger/.
//
// Thread-safety: a Statement belongs to the thread that holds the ledger's lock.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/sqlite_db.h"
#include "core/status.h"

namespace sluice {

// Ledger errors say that they come from the ledger.
inline Status LedgerStatus(sqlite3* db, int rc, std::string_view context) {
  return SqliteStatus(db, rc, "ledger: " + std::string(context));
}

// A prepared statement that binds by position and reads columns by index.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Binds the arguments to ?1, ?2, ... in order. Strings are copied, so the
  // arguments may be temporaries.
  template <typename... Args>
  Statement& Bind(const Args&... args) {
    int index = 0;
    (BindOne(++index, args), ...);
    return *this;
  }

  // Steps once: true for a row, false when done.
  Result<bool> Step(std::string_view context) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return LedgerStatus(db_, rc, context);
  }
  // Steps to completion, for statements that return no rows.
  Status Run(std::string_view context) {
    const int rc = sqlite3_step(stmt_);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::Ok() : LedgerStatus(db_, rc, context);
  }

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
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
  void BindOne(int index, std::string_view v) {
    sqlite3_bind_text64(stmt_, index, v.data() != nullptr ? v.data() : "", v.size(),
                        SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void BindOne(int index, const std::string& v) { BindOne(index, std::string_view(v)); }
  void BindOne(int index, const char* v) { BindOne(index, std::string_view(v)); }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace sluice

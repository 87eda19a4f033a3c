#include "core/sqlite_db.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/retry_policy.h"

namespace sluice {
namespace {

// Switching a new database file to WAL takes an exclusive lock, and SQLite
// reports SQLITE_BUSY for it at once instead of calling the busy handler. Only
// connections racing to set up a fresh file meet this (the mode then persists in
// the file), so a short retry loop within the busy timeout is enough.
// Another connection setting up the same fresh file holds it only briefly.
constexpr RetryPolicy kWalRetry{std::chrono::milliseconds(2), std::chrono::milliseconds(50)};

Status EnableWal(sqlite3* db, std::string_view context) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kSqliteBusyTimeoutMs);
  Backoff backoff(kWalRetry);
  while (true) {
    const int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Status::Ok();
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline) {
      return SqliteStatus(db, rc, context);
    }
    std::this_thread::sleep_for(backoff.Next());
  }
}

}  // namespace

Result<SqliteDb> OpenSqliteDb(const std::string& path, std::string_view what, int page_size) {
  const std::string name(what);
  if (path.empty()) return Status::InvalidArgument(name + ": empty database path");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::Unavailable(name + ": cannot create " + parent.string() + ": " + ec.message());
    }
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);  // SQLite allocates a handle even when the open fails
  if (rc != SQLITE_OK) return SqliteStatus(raw, rc, name + ": open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kSqliteBusyTimeoutMs);
  const std::string context = name + ": set up " + path;
  if (page_size != 0) {
    const std::string pragma = "PRAGMA page_size=" + std::to_string(page_size);
    sqlite3_exec(raw, pragma.c_str(), nullptr, nullptr, nullptr);
  }
  RETURN_IF_ERROR(EnableWal(raw, context));
  const int sync = sqlite3_exec(raw, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  if (sync != SQLITE_OK) return SqliteStatus(raw, sync, context);
  return db;
}

Status SqliteStatus(sqlite3* db, int rc, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Status::Unavailable(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return Status::InvalidData(std::move(message));
    case SQLITE_NOTADB:
      return Status::InvalidArgument(std::move(message));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

}  // namespace sluice

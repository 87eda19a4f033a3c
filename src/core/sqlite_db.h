// SQLite as sluice uses it (the SQLite sink and the ledger): how a database is
// opened and how SQLite's result codes become Status codes, in one place.
//
// Thread-safety: a connection is used by one thread at a time (it is opened
// with SQLITE_OPEN_NOMUTEX); SqliteStatus is a pure function.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sluice {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;

// How long a connection waits for another one's write lock.
inline constexpr int kSqliteBusyTimeoutMs = 60'000;

// Opens `path`, creating the file and its folder if needed: extended result
// codes, the busy timeout above, WAL journal and synchronous=NORMAL (a commit
// survives the process being killed; see docs/ARCHITECTURE.md). `page_size`, if
// not 0, applies to a database that has no content yet. `what` names the
// database in messages ("ledger", "sqlite sink"). Errors: Unavailable (cannot
// create or open), InvalidArgument (not a database).
Result<SqliteDb> OpenSqliteDb(const std::string& path, std::string_view what, int page_size = 0);

// The Status for SQLite result code `rc` (with sqlite3_errmsg(db) when db is not
// null): BUSY, LOCKED, FULL, IOERR, CANTOPEN → Unavailable; CONSTRAINT, MISMATCH,
// TOOBIG → InvalidData (the data was refused); NOTADB → InvalidArgument (the
// path is not a database: configuration); READONLY, PERM, AUTH → PermissionDenied
// (the database refuses writes: fatal at start-up, the sink is down at run
// time); anything else → Internal.
Status SqliteStatus(sqlite3* db, int rc, std::string_view context);

}  // namespace sluice

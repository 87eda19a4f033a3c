// SqliteStatus: how SQLite's result codes become actions.
#include "core/sqlite_db.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(SqliteStatus, RefusedWritesArePermissionDenied) {
  for (int rc : {SQLITE_READONLY, SQLITE_READONLY_DBMOVED, SQLITE_PERM, SQLITE_AUTH}) {
    EXPECT_EQ(SqliteStatus(nullptr, rc, "ctx").code(), StatusCode::kPermissionDenied) << rc;
  }
  EXPECT_EQ(SqliteStatus(nullptr, SQLITE_BUSY, "ctx").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatus(nullptr, SQLITE_CONSTRAINT_NOTNULL, "ctx").code(),
            StatusCode::kInvalidData);
  EXPECT_EQ(SqliteStatus(nullptr, SQLITE_NOTADB, "ctx").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice

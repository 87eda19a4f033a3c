// SqliteStatementCache: statements prepared once per text, reset between uses.
#include "core/sqlite_statement.h"

#include <gtest/gtest.h>

#include <optional>

namespace sluice {
namespace {

class SqliteStatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_TRUE(SqliteExec(db_, "CREATE TABLE t(a INTEGER)", "test", "create").ok());
    cache_.emplace(db_, "test");
  }
  void TearDown() override {
    cache_.reset();
    EXPECT_EQ(sqlite3_close(db_), SQLITE_OK);  // every statement was finalized
  }

  // The value of `sql` with ?1 bound to `v`, through the cache.
  int64_t Select(const char* sql, int64_t v) {
    auto s = cache_->Prepare(sql, "select");
    EXPECT_TRUE(s.has_value()) << s.status().ToString();
    auto row = s->Bind(v).Step("select");
    EXPECT_TRUE(row.has_value() && *row);
    return s->Int(0);
  }

  // Statements prepared on the connection and not finalized.
  int Prepared() const {
    int n = 0;
    for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s; s = sqlite3_next_stmt(db_, s)) ++n;
    return n;
  }

  sqlite3* db_ = nullptr;
  std::optional<SqliteStatementCache> cache_;
};

TEST_F(SqliteStatementCacheTest, AReusedStatementStartsFromItsFirstRowWithNewBindings) {
  EXPECT_EQ(Select("SELECT ?1 + 1", 1), 2);
  EXPECT_EQ(Select("SELECT ?1 + 1", 41), 42);
  EXPECT_EQ(Prepared(), 1);  // prepared once
  // Left mid-way through its rows, it starts again at the first.
  ASSERT_TRUE(SqliteExec(db_, "INSERT INTO t VALUES (1), (2), (3)", "test", "insert").ok());
  for (int pass = 0; pass < 2; ++pass) {
    auto s = cache_->Prepare("SELECT a FROM t ORDER BY a", "select");
    ASSERT_TRUE(s.has_value());
    ASSERT_TRUE(*s->Step("select"));
    EXPECT_EQ(s->Int(0), 1);
  }
}

TEST_F(SqliteStatementCacheTest, AClearedBindingIsNull) {
  {
    auto first = cache_->Prepare("SELECT ?1 IS NULL", "select");
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(*first->Bind(int64_t{7}).Step("select"));
    EXPECT_EQ(first->Int(0), 0);
  }  // hands the statement back
  auto again = cache_->Prepare("SELECT ?1 IS NULL", "select");
  ASSERT_TRUE(again.has_value());
  ASSERT_TRUE(*again->Step("select"));
  EXPECT_EQ(again->Int(0), 1);
}

TEST_F(SqliteStatementCacheTest, ATextAskedForWhileLentGetsAStatementOfItsOwn) {
  auto outer = cache_->Prepare("SELECT ?1", "select");
  auto inner = cache_->Prepare("SELECT ?1", "select");
  ASSERT_TRUE(outer.has_value() && inner.has_value());
  outer->Bind(int64_t{1});
  inner->Bind(int64_t{2});
  ASSERT_TRUE(*outer->Step("select"));
  ASSERT_TRUE(*inner->Step("select"));
  EXPECT_EQ(outer->Int(0), 1);
  EXPECT_EQ(inner->Int(0), 2);
  EXPECT_EQ(Prepared(), 2);
}

TEST_F(SqliteStatementCacheTest, ACachedStatementSeesTheSchemaChange) {
  ASSERT_TRUE(SqliteExec(db_, "INSERT INTO t VALUES (5)", "test", "insert").ok());
  EXPECT_EQ(Select("SELECT count(*) + ?1 FROM t", 0), 1);
  ASSERT_TRUE(
      SqliteExec(db_, "ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 9", "test", "alter").ok());
  auto s = cache_->Prepare("SELECT * FROM t", "select");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE(*s->Step("select"));
  EXPECT_EQ(s->Int(1), 9);
}

TEST_F(SqliteStatementCacheTest, BadSqlNamesTheDatabaseAndTheOperation) {
  auto s = cache_->Prepare("SELEKT 1", "read the meta");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.status().message().find("test: read the meta"), std::string::npos)
      << s.status().ToString();
}

}  // namespace
}  // namespace sluice

// The ledger's schema: what Open refuses, and ledgers written by older sluices
// (their schema created here as those versions did) opening with what they
// hold, migrated.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/ledger_fixture.h"
#include "test_util.h"

namespace sluice {
namespace {

using ::sluice::testing::File;
using ::sluice::testing::kHashA;
using ::sluice::testing::kHashB;
using ::sluice::testing::LedgerTest;

// The schema of sluice's first ledgers: no crashes column, no columns_added, and
// `attempts` counting claims.
constexpr char kFirstSchema[] = R"sql(
CREATE TABLE files(
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  table_name TEXT NOT NULL,
  state TEXT NOT NULL,
  rows_loaded INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  rows_skipped INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  duplicate_of TEXT NOT NULL DEFAULT '',
  final_path TEXT NOT NULL DEFAULT '',
  seen_at_us INTEGER NOT NULL DEFAULT 0,
  started_at_us INTEGER NOT NULL DEFAULT 0,
  finished_at_us INTEGER NOT NULL DEFAULT 0);
CREATE INDEX files_hash ON files(hash);
CREATE INDEX files_path ON files(path, size, mtime_ns);
CREATE INDEX files_state ON files(state);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES('format', 'sluice-ledger'), ('schema_version', '1');
)sql";

// What the ledger before the state machine added: the crashes column (after a
// claim that counted an attempt) and the columns_added table.
constexpr char kCrashesAndColumns[] = R"sql(
ALTER TABLE files ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
CREATE TABLE columns_added(
  id INTEGER PRIMARY KEY,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  column_type TEXT NOT NULL,
  file TEXT NOT NULL,
  added_at_us INTEGER NOT NULL);
)sql";

// Records as those sluices left them, `attempts` counting claims:
//   1 loaded at its second claim, 2 a duplicate (never claimed), 3 pending after
//   two claims, 4 processing at its third claim (one crash before), 5 refused at
//   its first claim, 6 refused as content quarantined before (never claimed).
constexpr char kOldRecords[] = R"sql(
INSERT INTO files(id, hash, path, size, mtime_ns, table_name, state, attempts) VALUES
  (1, 'a0000000000000000000000000000000', '/in/a.csv', 1, 1, 't', 'loaded', 2),
  (2, 'a0000000000000000000000000000000', '/in/a2.csv', 1, 1, 't', 'duplicate', 0),
  (3, 'b0000000000000000000000000000000', '/in/b.csv', 1, 1, 't', 'pending', 2),
  (4, 'c0000000000000000000000000000000', '/in/c.csv', 1, 1, 't', 'processing', 3),
  (5, 'd0000000000000000000000000000000', '/in/d.csv', 1, 1, 't', 'quarantined', 1),
  (6, 'd0000000000000000000000000000000', '/in/d2.csv', 1, 1, 't', 'quarantined', 0);
)sql";

class LedgerSchemaTest : public LedgerTest {
 protected:
  // Replaces the ledger with one an older sluice wrote: `sql` run on a new file.
  void WriteOldLedger(const std::string& sql) {
    ledger_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  // The failed attempts of records 1 to 6 of kOldRecords.
  std::vector<int> Attempts() {
    std::vector<int> attempts;
    for (int64_t id = 1; id <= 6; ++id) attempts.push_back(Record(id).attempts);
    return attempts;
  }
};

TEST_F(LedgerSchemaTest, OpenRefusesDatabasesThatAreNotLedgers) {
  const std::string other = dir_ / "other.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE customers(id INTEGER)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto not_ledger = Ledger::Open(other);
  ASSERT_FALSE(not_ledger.has_value());
  EXPECT_EQ(not_ledger.error().code(), StatusCode::kInvalidArgument)
      << not_ledger.error().ToString();

  testing::WriteFile(dir_ / "text.db", std::string(4096, 'x'));
  auto text = Ledger::Open(dir_ / "text.db");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code(), StatusCode::kInvalidArgument) << text.error().ToString();

  // A ledger written by a newer sluice.
  ledger_.reset();
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto newer = Ledger::Open(path_);
  ASSERT_FALSE(newer.has_value());
  EXPECT_EQ(newer.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(newer.error().message().find("99"), std::string::npos);
}

// Ledgers written before columns were recorded get the table when opened.
TEST_F(LedgerSchemaTest, OpeningALedgerWithoutTheColumnsTableAddsIt) {
  ledger_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE columns_added", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  ASSERT_TRUE(ledger_->RecordColumnAdded({"events", "c", "integer", "/in/b.csv", 0}).ok());
  auto report = ledger_->Report(10);
  ASSERT_TRUE(report.has_value()) << report.status().ToString();
  EXPECT_EQ(report->columns_added.size(), 1u);
}

TEST_F(LedgerSchemaTest, OpeningALedgerWithoutTheCrashesColumnAddsIt) {
  const Claim claim = ClaimOk(File(kHashA, "/in/a.csv"));
  ledger_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE files DROP COLUMN crashes", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(Record(claim.file_id).crashes, 0);
  auto settled = ledger_->SettleCrashed(claim.file_id, 3);
  ASSERT_TRUE(settled.has_value()) << settled.status().ToString();
  EXPECT_EQ(Record(claim.file_id).crashes, 1);
}

// Ledgers written before the rejects file was recorded get the column when
// opened; their records have none, and new outcomes record theirs.
TEST_F(LedgerSchemaTest, ALedgerWithoutTheRejectsFileColumnGetsIt) {
  WriteOldLedger(std::string(kFirstSchema) + kCrashesAndColumns + kOldRecords);
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  for (int64_t id = 1; id <= 6; ++id) EXPECT_EQ(Record(id).rejects_file, "") << id;
  EXPECT_EQ(Record(1).state, FileState::kLoaded);
  // The processing record loads with bad rows, the quarantined one moves.
  ASSERT_TRUE(ledger_->MarkLoaded(4, {3, 1, 0, 1, "/q/c.csv.rejects.jsonl"}).ok());
  ASSERT_TRUE(ledger_->SetFinalPath(5, "/q/d.csv", "/q/d.csv.rejects.jsonl").ok());
  ledger_ = Open();  // migrated once: reopening keeps them
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(Record(4).rejects_file, "/q/c.csv.rejects.jsonl");
  EXPECT_EQ(Record(5).rejects_file, "/q/d.csv.rejects.jsonl");
  EXPECT_EQ(Record(5).final_path, "/q/d.csv");
}

// Ledgers written before transforms get the rows_filtered column when opened;
// their records have 0, and new outcomes record theirs (also in the report).
TEST_F(LedgerSchemaTest, ALedgerWithoutTheRowsFilteredColumnGetsIt) {
  WriteOldLedger(std::string(kFirstSchema) + kCrashesAndColumns +
                 "ALTER TABLE files ADD COLUMN rejects_file TEXT NOT NULL DEFAULT '';" +
                 kOldRecords);
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  for (int64_t id = 1; id <= 6; ++id) EXPECT_EQ(Record(id).rows_filtered, 0u) << id;
  LoadSummary summary{3, 1, 0, 1, ""};
  summary.rows_filtered = 7;
  ASSERT_TRUE(ledger_->MarkLoaded(4, summary).ok());
  ledger_ = Open();  // migrated once: reopening keeps it
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(Record(4).rows_filtered, 7u);
  EXPECT_EQ(Record(4).rows_loaded, 3u);
  EXPECT_EQ(ledger_->Report(10)->rows_filtered, 7u);
}

TEST_F(LedgerSchemaTest, ALedgerOfTheFirstSchemaOpensWithItsRecordsAndCountsFailedAttempts) {
  WriteOldLedger(std::string(kFirstSchema) + kOldRecords);
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  // Claims that did not end in a result: 1 of the loaded record's 2, both of the
  // pending one's, 2 of the processing one's 3; none for the others.
  EXPECT_EQ(Attempts(), (std::vector<int>{1, 0, 2, 2, 0, 0}));
  EXPECT_EQ(Record(3).state, FileState::kPending);
  EXPECT_EQ(Record(4).crashes, 0);
  // It works as a ledger of today: the pending record is claimed, and fails again.
  const Claim claim = ClaimOk(File("b0000000000000000000000000000000", "/in/b.csv"));
  ASSERT_EQ(claim.file_id, 3);
  EXPECT_EQ(claim.attempts, 2);
  EXPECT_EQ(*ledger_->Release(3, "sink down"), 3);
  ASSERT_TRUE(ledger_->RecordColumnAdded({"t", "c", "integer", "/in/b.csv", 0}).ok());
  // Migrated once: reopening changes no count.
  ledger_ = Open();
  EXPECT_EQ(Attempts(), (std::vector<int>{1, 0, 3, 2, 0, 0}));
  EXPECT_EQ(ledger_->Report(10)->columns_added.size(), 1u);
}

TEST_F(LedgerSchemaTest, ALedgerWithCrashesCountsThemAmongFailedAttempts) {
  WriteOldLedger(std::string(kFirstSchema) + kCrashesAndColumns + kOldRecords +
                 "UPDATE files SET crashes = 1 WHERE id = 4;"
                 // Settled at start-up after a crash at its only claim.
                 "UPDATE files SET crashes = 1, attempts = 1 WHERE id = 3;");
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(Attempts(), (std::vector<int>{1, 0, 1, 2, 0, 0}));
  EXPECT_EQ(Record(4).crashes, 1);
  auto settled = ledger_->SettleCrashed(4, 3);
  ASSERT_TRUE(settled.has_value()) << settled.status().ToString();
  EXPECT_EQ(settled->crashes, 2);
  EXPECT_EQ(settled->attempts, 3);
}

// Ledgers written before the aggregates were kept get their tables when opened:
// a loaded record has none, and the next load keeps its own.
TEST_F(LedgerSchemaTest, ALedgerWithoutTheAggregatesTablesGetsThem) {
  WriteOldLedger(std::string(kFirstSchema) + kCrashesAndColumns +
                 "ALTER TABLE files ADD COLUMN rejects_file TEXT NOT NULL DEFAULT '';"
                 "ALTER TABLE files ADD COLUMN rows_filtered INTEGER NOT NULL DEFAULT 0;" +
                 kOldRecords);
  ledger_ = Open();
  ASSERT_NE(ledger_, nullptr);
  auto none = ledger_->AggregatesOf(1);
  ASSERT_TRUE(none.has_value()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  FileAggregates aggregates{"t", "t_file_stats", 5'000'000, {}, {}};
  aggregates.rows.push_back({{}, "x", 2, 0, 1.0, 3.0, 2.0, std::sqrt(2.0)});
  auto flagged = ledger_->MarkLoaded(4, {2, 0, 0, 1, ""}, aggregates);
  ASSERT_TRUE(flagged.has_value()) << flagged.status().ToString();
  ledger_ = Open();  // migrated once: reopening keeps them
  ASSERT_NE(ledger_, nullptr);
  auto kept = ledger_->AggregatesOf(4);
  ASSERT_TRUE(kept.has_value()) << kept.status().ToString();
  ASSERT_TRUE(kept->has_value());
  ASSERT_EQ((*kept)->rows.size(), 1u);
  EXPECT_EQ((*kept)->rows[0].mean, 2.0);
  EXPECT_EQ(Record(4).state, FileState::kLoaded);
}

TEST_F(LedgerSchemaTest, ANewLedgerIsNotMigratedWhenReopened) {
  const Claim a = ClaimOk(File(kHashA, "/in/a.csv"));
  ASSERT_TRUE(ledger_->MarkLoaded(a.file_id, {}).ok());
  const Claim b = ClaimOk(File(kHashB, "/in/b.csv"));
  ASSERT_EQ(*ledger_->Release(b.file_id, "x"), 1);
  ASSERT_EQ(ClaimOk(File(kHashB, "/in/b.csv")).file_id, b.file_id);
  ledger_ = Open();
  EXPECT_EQ(Record(a.file_id).attempts, 0);
  EXPECT_EQ(Record(b.file_id).attempts, 1);  // processing, not lowered
}

}  // namespace
}  // namespace sluice

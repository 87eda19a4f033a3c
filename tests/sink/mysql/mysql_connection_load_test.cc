// MysqlConnection against a real server (SLUICE_TEST_MYSQL_URL) while a LOAD DATA
// LOCAL statement runs: every other use of the connection, from the load's own
// read or from another thread, is refused with Internal and sends nothing, and
// the load goes on undisturbed.
//
// Thread-safety: AnotherThread starts the load on a thread of its own; the two
// threads meet at promises, never at a timer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sink/contract_backends.h"
#include "sink/mysql/mysql_connection.h"
#include "test_util.h"

namespace sluice {
namespace {

class MysqlConnectionLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_MYSQL_URL");
    auto target = ParseMysqlUrl(url);
    ASSERT_TRUE(target.has_value()) << target.status().ToString();
    db_.emplace(*target);
    ASSERT_TRUE(db_->Connect().ok());
    ASSERT_TRUE(db_->local_infile()) << "the test server takes LOAD DATA LOCAL";
    table_ = "`" + contract::UniqueName("conn_load") + "`";
    ASSERT_TRUE(db_->Exec("CREATE TABLE " + table_ + " (id BIGINT NOT NULL)", "create").ok());
    load_sql_ = "LOAD DATA LOCAL INFILE 'sluice' INTO TABLE " + table_ + " (id)";
  }
  void TearDown() override {
    if (db_ && !table_.empty()) (void)db_->Exec("DROP TABLE IF EXISTS " + table_, "drop");
  }

  // The ids in the table, in order; "" if it cannot be read.
  std::string Ids() {
    auto rows = db_->Query("SELECT id FROM " + table_ + " ORDER BY id", "read back");
    if (!rows.has_value()) return "";
    std::string ids;
    for (const auto& row : *rows) ids += row[0].value_or("NULL") + " ";
    return ids;
  }

  // A read that gives `data` in one part, after calling `first` on its first call.
  MysqlConnection::InfileRead ReadOnce(const std::string& data, std::function<void()> first) {
    return [data, first, sent = false](char* buf, unsigned len) mutable -> int {
      if (sent) return 0;
      first();
      sent = true;
      const size_t n = std::min<size_t>(len, data.size());
      std::memcpy(buf, data.data(), n);
      return static_cast<int>(n);
    };
  }

  // Every way to use the connection, each refused while the load runs.
  std::vector<std::pair<std::string, Status>> UseTheConnection() {
    std::vector<std::pair<std::string, Status>> tried;
    tried.emplace_back("insert", db_->Exec("INSERT INTO " + table_ + " VALUES (99)", "insert"));
    tried.emplace_back("select", db_->Query("SELECT 1", "select").status());
    tried.emplace_back("second load", db_->LoadDataLocal(load_sql_, "7\n", "second load").status());
    int64_t value = 98;
    MYSQL_BIND bind{};
    bind.buffer_type = MYSQL_TYPE_LONGLONG;
    bind.buffer = &value;
    tried.emplace_back(
        "prepared",
        db_->ExecPrepared("INSERT INTO " + table_ + " VALUES (?)", &bind, "prepared").status());
    tried.emplace_back("warnings", db_->Warnings("warnings").status());
    tried.emplace_back("connect", db_->EnsureConnected());
    tried.emplace_back("connect", db_->Connect());
    db_->RollBack();  // does nothing: no status to see, the load's rows below say it
    return tried;
  }

  static void ExpectRefused(const std::vector<std::pair<std::string, Status>>& tried) {
    ASSERT_EQ(tried.size(), 7u);
    for (const auto& [context, status] : tried) {
      EXPECT_EQ(status.code(), StatusCode::kInternal) << context << ": " << status.ToString();
      EXPECT_NE(status.message().find(context + ": the connection is running a LOAD DATA LOCAL"),
                std::string::npos)
          << status.message();
    }
  }

  std::optional<MysqlConnection> db_;
  std::string table_;
  std::string load_sql_;
};

TEST_F(MysqlConnectionLoadTest, UsesFromTheLoadsReadAreRefusedAndTheLoadGoesOn) {
  std::vector<std::pair<std::string, Status>> tried;
  const MysqlConnection::InfileRead read =
      ReadOnce("1\n2\n3\n", [&] { tried = UseTheConnection(); });
  Result<uint64_t> stored = db_->LoadDataLocal(load_sql_, read, "load");
  ASSERT_TRUE(stored.has_value()) << stored.status().ToString();
  EXPECT_EQ(*stored, 3u);
  ExpectRefused(tried);
  // Nothing of the refused calls reached the server; the connection is sound.
  EXPECT_EQ(Ids(), "1 2 3 ");
  EXPECT_TRUE(db_->up());
  // And free again once the load ended.
  ASSERT_TRUE(db_->LoadDataLocal(load_sql_, "4\n", "load after").has_value());
  EXPECT_EQ(Ids(), "1 2 3 4 ");
}

TEST_F(MysqlConnectionLoadTest, UsesFromAnotherThreadAreRefusedWhileTheLoadRuns) {
  std::promise<void> reading;
  std::promise<void> tried_all;
  std::shared_future<void> done_trying = tried_all.get_future().share();
  bool read_started = false;  // the loader thread's only
  const MysqlConnection::InfileRead read = ReadOnce("5\n6\n", [&] {
    read_started = true;
    reading.set_value();
    done_trying.wait();  // the statement stays open until the other thread has tried
  });
  std::optional<Result<uint64_t>> stored;
  std::thread loader([&] {
    stored.emplace(db_->LoadDataLocal(load_sql_, read, "load"));
    if (!read_started) reading.set_value();  // the load failed before reading: do not hang
  });
  reading.get_future().wait();
  const std::vector<std::pair<std::string, Status>> tried = UseTheConnection();
  tried_all.set_value();
  loader.join();
  ASSERT_TRUE(read_started);
  ASSERT_TRUE(stored->has_value()) << stored->status().ToString();
  EXPECT_EQ(**stored, 2u);
  ExpectRefused(tried);
  EXPECT_EQ(Ids(), "5 6 ");
}

}  // namespace
}  // namespace sluice

// The MySQL sink against a real server as a user of its own: a connection lost
// while loading (also while a LOAD DATA statement is streamed) is Unavailable and
// the next load reconnects; refused credentials and privileges are
// PermissionDenied.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sink/mysql/mysql_sink_fixture.h"
#include "sink/mysql/mysql_url.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

using contract::Rows;
using contract::UniqueName;

// A user of its own, so its connections can be told from other tests' ones.
class MysqlUserTest : public MysqlSinkTest {
 protected:
  // mysql://USER:PASSWORD@host:port/database for a new user with `grants` on the
  // test database.
  std::string NewUser(const std::string& grants, const std::string& password = "pw'd") {
    user_ = UniqueName("u").substr(0, 30);
    auto target = ParseMysqlUrl(url_);
    EXPECT_TRUE(target.has_value());
    // At the host the server sees this client as: a user at '%' would lose to
    // an anonymous user at 'localhost', which some installations have.
    const Rows host = backend_->Query("SELECT SUBSTRING_INDEX(USER(), '@', -1)");
    host_ = host.empty() ? "%" : host[0][0].value_or("%");
    backend_->Query("CREATE USER '" + user_ + "'@'" + host_ + "' IDENTIFIED BY 'pw''d'");
    backend_->Query("GRANT " + grants + " ON `" + target->database + "`.* TO '" + user_ + "'@'" +
                    host_ + "'");
    return "mysql://" + user_ + ":" + PercentEncode(password) + "@" + target->host + ":" +
           std::to_string(target->port) + "/" + target->database +
           (GetParam() ? "?local-infile=0" : "");
  }
  // MariaDB's KILL ... USER: every connection of the user, and no error for one
  // that is already going away (a KILL by id could meet such an id).
  void KillUsersConnections() {
    backend_->Query("KILL CONNECTION USER '" + user_ + "'@'" + host_ + "'");
  }
  // A sink of a new user with every right, and a new table (id, label) `name`.
  std::unique_ptr<Sink> NewUserSink(const std::string& name, TableDef& def) {
    auto sink = OpenSink(NewUser("ALL"));
    EXPECT_TRUE(sink.has_value()) << sink.status().ToString();
    if (!sink.has_value()) return nullptr;
    def = {UniqueName(name),
           {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
           {}};
    EXPECT_TRUE((*sink)->EnsureTable(def).ok());
    return std::move(*sink);
  }
  void TearDown() override {
    if (!user_.empty()) backend_->Query("DROP USER IF EXISTS '" + user_ + "'@'" + host_ + "'");
  }
  std::string user_, host_;
};

// The server drops the connection mid-load (also while a LOAD DATA statement is
// being sent): the load fails as Unavailable (the pipeline retries it), nothing
// of it is stored, and the next calls reconnect.
TEST_P(MysqlUserTest, ALostConnectionIsUnavailableAndTheNextLoadReconnects) {
  TableDef def;
  std::unique_ptr<Sink> sink = NewUserSink("lost", def);
  ASSERT_NE(sink, nullptr);
  const LoadId load{UniqueName("lost"), "/in/lost.csv"};
  std::vector<std::string> storage;
  const Batch rows = testing::IdLabelBatch(def, {1, 2, 3}, storage, "l");
  ASSERT_TRUE(sink->Begin(def, {load}).ok());
  ASSERT_TRUE(sink->Write(rows, 0).ok());
  KillUsersConnections();
  Status status = sink->Commit().status();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name)), (Rows{{"0"}}));
  // Idle: found dead by the next statement, which is sent again on a new one.
  KillUsersConnections();
  Result<bool> committed = sink->IsCommitted(load.id);
  ASSERT_TRUE(committed.has_value()) << committed.status().ToString();
  EXPECT_FALSE(*committed);
  ASSERT_TRUE(sink->Begin(def, {load}).ok());
  ASSERT_TRUE(sink->Write(rows, 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 3u);
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name)), (Rows{{"3"}}));

  // Lost between Writes while a LOAD DATA statement is being sent: a later
  // Write or Commit fails the same way, and nothing of that load is stored.
  std::vector<std::string> many_storage;
  const Batch many = MoreThanAStatement(def, many_storage);
  const LoadId streamed{UniqueName("lost_mid"), "/in/lost_mid.csv"};
  ASSERT_TRUE(sink->Begin(def, {streamed}).ok());
  ASSERT_TRUE(sink->Write(many, 0).ok());
  KillUsersConnections();
  status = Status::Ok();
  for (int i = 0; i < 4 && status.ok(); ++i) status = sink->Write(many, 0);
  if (status.ok()) status = sink->Commit().status();
  sink->Abort();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name)), (Rows{{"3"}}));
  counts = testing::LoadIdLabels(*sink, def, {streamed}, {testing::IdRange(10, 13)});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name)), (Rows{{"6"}}));
}

// The server refuses sluice's credentials or privileges: PermissionDenied, the
// status the pipeline treats as "sink down until fixed", never the password.
TEST_P(MysqlUserTest, RefusedCredentialsAndPrivilegesArePermissionDenied) {
  const std::string url = NewUser("SELECT", "wrong password");
  auto refused = OpenSink(url);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status().ToString();
  EXPECT_EQ(refused.status().message().find("wrong"), std::string::npos);
  EXPECT_NE(refused.status().message().find(":***@"), std::string::npos);

  auto reader = OpenSink(url.substr(0, url.find(':', 8) + 1) + PercentEncode("pw'd") +
                         url.substr(url.find('@')));
  ASSERT_TRUE(reader.has_value()) << reader.status().ToString();
  const TableDef def{UniqueName("ro"), {{"id", ColumnType::kInteger, false}}, {}};
  EXPECT_EQ((*reader)->EnsureTable(def).code(), StatusCode::kPermissionDenied);
}

INSTANTIATE_TEST_SUITE_P(Paths, MysqlUserTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? std::string("InsertFallback")
                                             : std::string("LoadDataLocal");
                         });

}  // namespace
}  // namespace sluice

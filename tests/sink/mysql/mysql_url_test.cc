// MySQL sink URLs: parsing (TLS options, defaults, hostile passwords), redaction
// and a password kept out of the URL, through the registry as the CLI uses them.
#include "sink/mysql/mysql_url.h"

#include <gtest/gtest.h>

#include "sink/registry.h"

namespace sluice {
namespace {

TEST(ParseMysqlUrl, ReadsEveryPart) {
  auto t = ParseMysqlUrl(
      "mariadb://loader:p%40ss@db.example:3307/events?ssl-mode=verify_identity&ssl-ca=%2Fetc%2Fca."
      "pem&ssl-cert=/c.pem&ssl-key=/k.pem&ssl-cipher=AES256&ssl-crl=/crl&ssl-capath=/cas&connect-"
      "timeout=5");
  ASSERT_TRUE(t.has_value()) << t.status().ToString();
  EXPECT_EQ(t->host, "db.example");
  EXPECT_EQ(t->port, 3307u);
  EXPECT_EQ(t->user, "loader");
  EXPECT_EQ(t->password, "p@ss");
  EXPECT_EQ(t->database, "events");
  EXPECT_EQ(t->ssl_mode, MysqlSslMode::kVerifyIdentity);
  EXPECT_EQ(t->ssl_ca, "/etc/ca.pem");
  EXPECT_EQ(t->ssl_cert, "/c.pem");
  EXPECT_EQ(t->ssl_key, "/k.pem");
  EXPECT_EQ(t->ssl_cipher, "AES256");
  EXPECT_EQ(t->ssl_crl, "/crl");
  EXPECT_EQ(t->ssl_capath, "/cas");
  EXPECT_EQ(t->connect_timeout, 5u);
  EXPECT_EQ(t->display,
            "mariadb://loader:***@db.example:3307/events?ssl-mode=verify_identity&ssl-ca=%2Fetc%"
            "2Fca.pem&ssl-cert=/c.pem&ssl-key=/k.pem&ssl-cipher=AES256&ssl-crl=/crl&ssl-capath=/"
            "cas&connect-timeout=5");
}

TEST(ParseMysqlUrl, Defaults) {
  auto t = ParseMysqlUrl("mysql://h/d");
  ASSERT_TRUE(t.has_value()) << t.status().ToString();
  EXPECT_EQ(t->port, 3306u);
  EXPECT_EQ(t->user, "root");
  EXPECT_EQ(t->password, "");
  EXPECT_EQ(t->ssl_mode, MysqlSslMode::kPreferred);
  EXPECT_TRUE(t->local_infile);
  auto off = ParseMysqlUrl("mysql://h/d?local-infile=0");
  ASSERT_TRUE(off.has_value()) << off.status().ToString();
  EXPECT_FALSE(off->local_infile);
  auto v6 = ParseMysqlUrl("mysql://u@[::1]:3310/d?ssl-mode=DISABLED&socket=%2Ftmp%2Fs");
  ASSERT_TRUE(v6.has_value()) << v6.status().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 3310u);
  EXPECT_EQ(v6->ssl_mode, MysqlSslMode::kDisabled);
  EXPECT_EQ(v6->socket, "/tmp/s");
  for (const char* mode : {"PREFERRED", "REQUIRED", "VERIFY_CA"}) {
    EXPECT_TRUE(ParseMysqlUrl(std::string("mysql://h/d?ssl-mode=") + mode).has_value()) << mode;
  }
}

TEST(ParseMysqlUrl, RefusesWhatItCannotReadWithoutShowingThePassword) {
  for (const char* url :
       {"mysql://u:hunter2@h", "mysql://u:hunter2@/d", "mysql://u:hunter2@h:0/d",
        "mysql://u:hunter2@h:99999/d", "mysql://u:hunter2@h:x/d", "mysql://u:hunter2@h/d?ssl=1",
        "mysql://u:hunter2@h/d?ssl-mode=ALWAYS", "mysql://u:hunter2@h/d?ssl-mode",
        "mysql://u:hunter2@h/d?local-infile=2", "mysql://u:hunter2@[::1/d",
        "postgresql://u:hunter2@h/d", "mysql://u:hunter2%00@h/d"}) {
    auto t = ParseMysqlUrl(url);
    ASSERT_FALSE(t.has_value()) << url;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(t.status().message().find("hunter2"), std::string::npos) << t.status().message();
  }
}

TEST(MysqlSinkUrl, PasswordsAreRedactedAndAddedThroughTheRegistry) {
  EXPECT_EQ(RedactSinkUrl("mysql://u:se@cr:et@h:3306/d?ssl-mode=REQUIRED"),
            "mysql://u:***@h:3306/d?ssl-mode=REQUIRED");
  EXPECT_EQ(RedactSinkUrl("mariadb://u@h/d"), "mariadb://u@h/d");
  const std::string password = "p@ss:w/rd?#&%'\"\\ \t";
  auto with = SinkUrlWithPassword("mysql://loader:old@h/d?ssl-mode=REQUIRED", password);
  ASSERT_TRUE(with.has_value()) << with.status().ToString();
  auto t = ParseMysqlUrl(*with);
  ASSERT_TRUE(t.has_value()) << t.status().ToString();
  EXPECT_EQ(t->password, password);
  EXPECT_EQ(t->user, "loader");
  EXPECT_EQ(t->ssl_mode, MysqlSslMode::kRequired);
  EXPECT_EQ(RedactSinkUrl(*with), "mysql://loader:***@h/d?ssl-mode=REQUIRED");
  auto no_user = SinkUrlWithPassword("mariadb://h:3310/d", "pw");
  ASSERT_TRUE(no_user.has_value());
  EXPECT_EQ(RedactSinkUrl(*no_user), "mariadb://root:***@h:3310/d");
  auto bad = SinkUrlWithPassword("mysql:h/d", "pw");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SinkUrlWithPassword("mysql://h/d", std::string("a\0b", 3)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice

// SinkUrlWithPassword: the password must reach each driver exactly as given, win
// over one in the URL, and stay hidden by RedactSinkUrl.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>
#include <string>

#include "sink/clickhouse/clickhouse_http.h"
#include "sink/registry.h"

namespace sluice {
namespace {

// Every character a URL or conninfo text treats specially.
constexpr std::string_view kPassword = "p@ss:w/rd?&=%20'\\ \"#x";

// The keywords libpq reads from `conninfo` (URI or key=value text), as it would
// connect with them.
std::map<std::string, std::string> LibpqOptions(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  EXPECT_NE(options, nullptr) << (error != nullptr ? error : "");
  PQfreemem(error);
  std::map<std::string, std::string> out;
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  return out;
}

TEST(SinkUrlWithPassword, PostgresUriPasswordWinsOverTheUrls) {
  for (const std::string_view url :
       {"postgresql://loader:old@db:5433/warehouse?sslmode=disable&password=older",
        "postgres://loader@db:5433/warehouse", "postgresql://loader@db:5433/warehouse?"}) {
    auto with = SinkUrlWithPassword(url, kPassword);
    ASSERT_TRUE(with.has_value()) << with.error().message();
    auto options = LibpqOptions(*with);
    EXPECT_EQ(options["password"], kPassword) << url;
    EXPECT_EQ(options["user"], "loader");
    EXPECT_EQ(options["host"], "db");
    EXPECT_EQ(options["port"], "5433");
    EXPECT_EQ(options["dbname"], "warehouse");
  }
  EXPECT_EQ(RedactSinkUrl(
                *SinkUrlWithPassword("postgresql://loader:old@db/w?sslmode=disable", kPassword)),
            "postgresql://loader:***@db/w?sslmode=disable&password=***");
}

TEST(SinkUrlWithPassword, PostgresKeyValuePasswordWinsOverTheUrls) {
  auto with = SinkUrlWithPassword("postgresql:host=db password=old dbname=w", kPassword);
  ASSERT_TRUE(with.has_value()) << with.error().message();
  ASSERT_TRUE(with->starts_with("postgresql:"));
  auto options = LibpqOptions(with->substr(11));
  EXPECT_EQ(options["password"], kPassword);
  EXPECT_EQ(options["host"], "db");
  EXPECT_EQ(options["dbname"], "w");
  EXPECT_EQ(RedactSinkUrl(*with), "postgresql:host=db password=*** dbname=w password=***");
}

TEST(SinkUrlWithPassword, ClickHouseUserInfoIsReplaced) {
  auto with =
      SinkUrlWithPassword("clickhouse://loader:old@ch:8124/events?compression=gzip", kPassword);
  ASSERT_TRUE(with.has_value()) << with.error().message();
  auto endpoint = ParseClickHouseUrl(*with);
  ASSERT_TRUE(endpoint.has_value()) << endpoint.error().message();
  EXPECT_EQ(endpoint->password, kPassword);
  EXPECT_EQ(endpoint->user, "loader");
  EXPECT_EQ(endpoint->host, "ch");
  EXPECT_EQ(endpoint->port, 8124);
  EXPECT_EQ(endpoint->database, "events");
  EXPECT_TRUE(endpoint->gzip);
  EXPECT_EQ(RedactSinkUrl(*with), "clickhouse://loader:***@ch:8124/events?compression=gzip");

  with = SinkUrlWithPassword("clickhouses://ch/events", kPassword);
  ASSERT_TRUE(with.has_value()) << with.error().message();
  endpoint = ParseClickHouseUrl(*with);
  ASSERT_TRUE(endpoint.has_value()) << endpoint.error().message();
  EXPECT_EQ(endpoint->password, kPassword);
  EXPECT_EQ(endpoint->user, "default");
  EXPECT_TRUE(endpoint->tls);
  EXPECT_EQ(RedactSinkUrl(*with), "clickhouses://default:***@ch/events");
}

// Found by fuzz/sink_url_fuzz.cc: "clickhouses:/…" (one slash) came back as
// "clickhouses:<password>@…", which RedactSinkUrl printed as it was.
TEST(SinkUrlWithPassword, ClickHouseUrlWithoutAuthorityIsRefused) {
  for (const std::string_view url : {"clickhouses:/\xafus%4re0p:%3Ass@[::1]:8443/db",
                                     "clickhouse:u@h/db", "clickhouse:h", "clickhouse:x://h"}) {
    auto with = SinkUrlWithPassword(url, "Qz7pW3xKv9Lr");
    ASSERT_FALSE(with.has_value()) << RedactSinkUrl(*with);
    EXPECT_EQ(with.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(with.error().message().find("Qz7pW3xKv9Lr"), std::string::npos);
  }
}

// Found by fuzz/sink_url_fuzz.cc: key=value text with an unterminated quote (or a
// NUL byte) swallowed the appended password, which RedactSinkUrl then showed.
TEST(SinkUrlWithPassword, PostgresTextLibpqCannotReadIsRefused) {
  using namespace std::string_literals;
  for (const std::string& url : {"postgresql:host=h sslmode='require"s, "postgres:host=h\0 user=u"s,
                                 "postgresql://h/d?x=1\0"s}) {
    auto with = SinkUrlWithPassword(url, "Qz7pW3xKv9Lr");
    ASSERT_FALSE(with.has_value()) << RedactSinkUrl(*with);
    EXPECT_EQ(with.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(with.error().message().find("Qz7pW3xKv9Lr"), std::string::npos);
  }
}

// A trailing backslash escapes the space before the appended password, which libpq
// then reads as part of the host: the password would be shown, so it is refused.
TEST(SinkUrlWithPassword, PostgresTextThatSwallowsThePasswordIsRefused) {
  for (const std::string_view url : {"postgresql:host=h\\", "postgresql:host=h password"}) {
    auto with = SinkUrlWithPassword(url, "Qz7pW3xKv9Lr");
    ASSERT_FALSE(with.has_value()) << RedactSinkUrl(*with);
    EXPECT_EQ(with.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(with.error().message().find("Qz7pW3xKv9Lr"), std::string::npos);
  }
}

// Found by fuzz/sink_url_fuzz.cc: ClickHouse reads the user info up to the last
// '@', past a '/', where URI redaction had stopped looking.
TEST(RedactSinkUrl, ClickHouseUserInfoEndsAtTheLastAt) {
  EXPECT_EQ(RedactSinkUrl("clickhouse://u/x:secret@h:8123/db"), "clickhouse://u/x:***@h:8123/db");
  EXPECT_EQ(RedactSinkUrl("clickhouses://u:se@cret@h/db?compression=gzip"),
            "clickhouses://u:***@h/db?compression=gzip");
  EXPECT_EQ(RedactSinkUrl("clickhouse://h/db?x=a@b"), "clickhouse://h/db?x=a@b");
  auto with = SinkUrlWithPassword("clickhouses://us%4re0p/deult:pw@127.e0p:%3Ass1]:8443/db",
                                  "Qz7pW3xKv9Lr");
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(RedactSinkUrl(*with).find("Qz7pW3xKv9Lr"), std::string::npos) << RedactSinkUrl(*with);
}

TEST(SinkUrlWithPassword, SqliteAndUnknownSchemesAreRefused) {
  auto sqlite = SinkUrlWithPassword("sqlite:./x.db", kPassword);
  ASSERT_FALSE(sqlite.has_value());
  EXPECT_EQ(sqlite.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sqlite.error().message(), "sqlite sinks take no password");

  auto unknown = SinkUrlWithPassword("oracle://u@h/db", kPassword);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().message().find(kPassword), std::string::npos);
}

}  // namespace
}  // namespace sluice

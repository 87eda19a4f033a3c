// How clickhouse_url.* reads sink URLs (one reading for the connection, the
// redaction and the password setter).
#include "sink/clickhouse/clickhouse_url.h"

#include <gtest/gtest.h>

#include <string>

#include "sink/registry.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

// A password with every byte a URL reserves, a percent sign that is no code, and
// non-ASCII bytes, written raw into the URL.
constexpr std::string_view kRawPassword = "s3cr/e?t#x:y@z%zz\xC3\xA9\xFF";

TEST(ClickHouseUrlTest, RawReservedBytesInThePasswordAreReadAsThePassword) {
  const std::string url = "clickhouse://loader:" + std::string(kRawPassword) + "@h:9/db";
  auto e = ParseClickHouseUrl(url);
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(e->user, "loader");
  EXPECT_EQ(e->password, kRawPassword);
  EXPECT_EQ(e->host, "h");
  EXPECT_EQ(e->port, 9);
  EXPECT_EQ(e->database, "db");
  EXPECT_EQ(RedactClickHouseUrl(url), "clickhouse://loader:***@h:9/db");
  EXPECT_EQ(RedactSinkUrl(url), "clickhouse://loader:***@h:9/db");
}

// The case of issue 12: the redaction and the connection used to disagree.
TEST(ClickHouseUrlTest, SlashInThePasswordIsHiddenWhereTheConnectionReadsIt) {
  const std::string url = "clickhouse://default:s3cr/et@host:1/db";
  auto e = ParseClickHouseUrl(url);
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(e->password, "s3cr/et");
  EXPECT_EQ(e->host, "host");
  EXPECT_EQ(RedactSinkUrl(url), "clickhouse://default:***@host:1/db");
}

TEST(ClickHouseUrlTest, EncodedPasswordsDecode) {
  const std::string url =
      "clickhouse://u:" + PercentEncode(kRawPassword) + "@h/db?compression=gzip";
  auto e = ParseClickHouseUrl(url);
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(e->password, kRawPassword);
  EXPECT_TRUE(e->gzip);
  EXPECT_EQ(RedactSinkUrl(url), "clickhouse://u:***@h/db?compression=gzip");
}

TEST(ClickHouseUrlTest, PasswordSetterReadsTheUrlAsTheConnectionDoes) {
  auto with = SinkUrlWithPassword("clickhouse://loader:old/pa?ss@h:9/db", kRawPassword);
  ASSERT_TRUE(with.has_value());
  auto e = ParseClickHouseUrl(*with);
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(e->user, "loader");
  EXPECT_EQ(e->password, kRawPassword);
  EXPECT_EQ(e->host, "h");
  EXPECT_EQ(RedactSinkUrl(*with), "clickhouse://loader:***@h:9/db");
}

TEST(ClickHouseUrlTest, ErrorsNeverRepeatThePassword) {
  for (const char* url : {"clickhouse://u:s3cr/et@h:99999/db", "clickhouse://u:s3cr/et@h/db#frag",
                          "clickhouse://u:s3cr/et@h/db?nope=1", "clickhouse://u:s3cr/et@:1/db",
                          "clickhouse://u:s3cr\r\net@h/db"}) {
    auto e = ParseClickHouseUrl(url);
    ASSERT_FALSE(e.has_value()) << url;
    EXPECT_EQ(e.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(e.error().message().find("s3cr"), std::string::npos) << e.error().message();
    EXPECT_EQ(RedactSinkUrl(url).find("s3cr"), std::string::npos) << RedactSinkUrl(url);
  }
}

// The codes ClickHouse answers when it refuses sluice, whatever the HTTP status
// (18.16 answers 500 for most of them): the sink is down, not the data bad.
TEST(ClickHouseUrlTest, ParsesCredentialsHostPortDatabase) {
  auto e = ParseClickHouseUrl("clickhouse://u%40x:p%3A%2Fw@db.example:9123/analytics");
  ASSERT_TRUE(e.has_value()) << e.status().ToString();
  EXPECT_FALSE(e->tls);
  EXPECT_EQ(e->user, "u@x");
  EXPECT_EQ(e->password, "p:/w");
  EXPECT_EQ(e->host, "db.example");
  EXPECT_EQ(e->port, 9123);
  EXPECT_EQ(e->database, "analytics");
  EXPECT_EQ(e->Redacted(), "clickhouse://db.example:9123/analytics");

  e = ParseClickHouseUrl("clickhouses://host?compression=gzip");
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->port, 8443);
  EXPECT_EQ(e->user, "default");
  EXPECT_EQ(e->database, "default");
  EXPECT_TRUE(e->gzip);

  auto bad = ParseClickHouseUrl("clickhouse://u:secret@host:99999/db");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace sluice

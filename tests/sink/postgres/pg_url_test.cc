#include "sink/postgres/pg_url.h"

#include <gtest/gtest.h>

#include "sink/registry.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

TEST(RedactPostgresUrl, HidesThePasswordOfAUri) {
  EXPECT_EQ(RedactPostgresUrl("postgresql://sluice:s3cret@127.0.0.1:5432/db"),
            "postgresql://sluice:***@127.0.0.1:5432/db");
  EXPECT_EQ(RedactPostgresUrl("postgres://u:p%40ss@h/db?sslmode=disable"),
            "postgres://u:***@h/db?sslmode=disable");
  // A raw '@' in the password: everything up to the last '@' is user info.
  EXPECT_EQ(RedactPostgresUrl("postgresql://u:a@b@h:1/db"), "postgresql://u:***@h:1/db");
}

// Passwords with every character a URI reserves, percent-encoded as libpq wants.
TEST(RedactPostgresUrl, HidesEncodedPasswordsWithReservedAndNonAsciiBytes) {
  for (const char* password : {"a%2Fb%3Fc%23d%40e%3Af%25g", "%C3%A9t%C3%A9%FF", "s3cr%2Fet"}) {
    const std::string url = std::string("postgresql://u:") + password + "@h:5432/db";
    EXPECT_EQ(RedactPostgresUrl(url), "postgresql://u:***@h:5432/db") << url;
    auto parsed = ParsePostgresUrl(url);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(parsed->display, "postgresql://u:***@h:5432/db");
  }
  auto parsed = ParsePostgresUrl("postgresql://u:a%2Fb%3Fc%23d%40e%3Af%25g@h/db");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->password, "a/b?c#d@e:f%g");
}

// libpq reads raw '?', '#' and ':' in a password as the password, as the redaction does.
TEST(RedactPostgresUrl, RawQuestionMarkHashAndColonStayInThePassword) {
  const std::string url = "postgresql://u:p?a#s:s\xC3\xA9@h/db?sslmode=disable";
  EXPECT_EQ(RedactPostgresUrl(url), "postgresql://u:***@h/db?sslmode=disable");
  auto parsed = ParsePostgresUrl(url);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(parsed->password, "p?a#s:s\xC3\xA9");
  EXPECT_EQ(parsed->display, "postgresql://u:***@h/db?sslmode=disable");
}

// libpq would read "s3cr" as a port and "b@h" as a host, and say so in its errors:
// such URLs are refused, and shown with all a password could be hidden.
TEST(ParsePostgresUrl, RefusesARawSlashOrAtInThePassword) {
  for (const char* url : {"postgresql://u:s3cr/et@h:1/db", "postgresql://u:a@b@h:1/db",
                          "postgresql://u:s3cr/et@h:1/db?application_name=x"}) {
    auto parsed = ParsePostgresUrl(url);
    ASSERT_FALSE(parsed.has_value()) << url;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message().find("s3cr"), std::string::npos) << parsed.error().message();
    EXPECT_EQ(parsed.error().message().find("et@"), std::string::npos) << parsed.error().message();
    EXPECT_EQ(parsed.error().message().find("a@b"), std::string::npos) << parsed.error().message();
    EXPECT_NE(parsed.error().message().find("u:***@h:1/db"), std::string::npos)
        << parsed.error().message();
    EXPECT_EQ(RedactPostgresUrl(url).find("s3cr"), std::string::npos);
  }
  // An '@' in a query parameter is no password.
  auto fine = ParsePostgresUrl("postgresql://u:p@h/db?application_name=x@y");
  ASSERT_TRUE(fine.has_value()) << fine.error().ToString();
  EXPECT_EQ(fine->display, "postgresql://u:***@h/db?application_name=x@y");
}

// libpq's own error quotes the token it cannot decode: the password as written.
TEST(ParsePostgresUrl, LibpqErrorsNeverRepeatThePassword) {
  for (const char* url :
       {"postgresql://u:Sup3r%zzSecret@h/db", "postgresql://u@h/db?password=Sup3r%zzSecret",
        "postgresql:host=h password='Sup3r\\zzSecret' dbname=d bogus"}) {
    auto parsed = ParsePostgresUrl(url);
    ASSERT_FALSE(parsed.has_value()) << url;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message().find("Sup3r"), std::string::npos)
        << parsed.error().message();
    EXPECT_EQ(parsed.error().message().find("zzSecret"), std::string::npos)
        << parsed.error().message();
  }
}

TEST(ScrubPassword, HidesRawAndPercentEncodedForms) {
  EXPECT_EQ(ScrubPassword("bad a/b@c and a%2Fb%40c and a%2fb%40c", "a/b@c"),
            "bad *** and *** and ***");
  EXPECT_EQ(ScrubPassword("nothing here", ""), "nothing here");
  EXPECT_EQ(ScrubPassword("x \xC3\xA9t\xC3\xA9 %C3%A9t%C3%A9", "\xC3\xA9t\xC3\xA9"), "x *** ***");
}

TEST(RedactPostgresUrl, HidesPasswordParameters) {
  EXPECT_EQ(RedactPostgresUrl("postgresql://u@h/db?sslmode=require&password=s3cret&x=1"),
            "postgresql://u@h/db?sslmode=require&password=***&x=1");
  EXPECT_EQ(RedactPostgresUrl("postgresql://h/db?password=s3cret"),
            "postgresql://h/db?password=***");
}

// Found by fuzz/sink_url_fuzz.cc: libpq's user info runs past a '?' to the first
// '@' before the path, so its query can start at a later '?'; and libpq
// percent-decodes parameter names.
TEST(RedactPostgresUrl, HidesPasswordsWhereverLibpqReadsThem) {
  EXPECT_EQ(RedactPostgresUrl("postgres://?@d?password=s3cret"), "postgres://?@d?password=***");
  EXPECT_EQ(RedactPostgresUrl("postgresql://us?er:s3cret@h/db"), "postgresql://us?er:***@h/db");
  EXPECT_EQ(RedactPostgresUrl("postgresql://h/db?%70assword=s3cret&x=1"),
            "postgresql://h/db?%70assword=***&x=1");
  EXPECT_EQ(RedactPostgresUrl("postgresql://h?application_name=a@b&password=s3cret"),
            "postgresql://h?application_name=a@b&password=***");
}

// Text libpq refuses never connects, but an unterminated quote may end anywhere:
// all after the first "password" is hidden; libpq reads nothing after a NUL byte,
// so that is hidden whole, and such text is refused.
TEST(RedactPostgresUrl, HidesGenerouslyWhereLibpqCannotRead) {
  using namespace std::string_literals;
  EXPECT_EQ(RedactPostgresUrl("postgresql:host=h sslmode='require password='s3cret'"),
            "postgresql:host=h sslmode='require password***");
  EXPECT_EQ(RedactPostgresUrl("postgresql://h/db\0?password=s3cret"s), "postgresql://h/db***");
  auto parsed = ParsePostgresUrl("postgresql://h/db\0?password=s3cret"s);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message().find("s3cret"), std::string::npos);
}

TEST(RedactPostgresUrl, HidesThePasswordOfKeyValueConninfo) {
  EXPECT_EQ(RedactPostgresUrl("postgresql:host=h password=s3cret dbname=d"),
            "postgresql:host=h password=*** dbname=d");
  EXPECT_EQ(RedactPostgresUrl("postgresql:host=h password = 'it\\'s \\\\ x' dbname=d"),
            "postgresql:host=h password = *** dbname=d");
  EXPECT_EQ(RedactPostgresUrl("host=h password='a b c'"), "host=h password=***");
}

TEST(RedactPostgresUrl, KeepsUrlsWithoutPasswords) {
  for (const char* url : {"postgresql://u@h:5432/db", "postgresql://h/db?sslmode=disable",
                          "postgresql:host=h dbname=d user=u", "postgres://%2Fvar%2Frun/db"}) {
    EXPECT_EQ(RedactPostgresUrl(url), url);
  }
}

TEST(RedactSinkUrl, HidesPasswordsOfEverySinkUrl) {
  EXPECT_EQ(RedactSinkUrl("postgresql://u:pw@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(RedactSinkUrl("postgresql:host=h password=pw"), "postgresql:host=h password=***");
  EXPECT_EQ(RedactSinkUrl("clickhouse://u:pw@h:8123/db"), "clickhouse://u:***@h:8123/db");
  // As ClickHouse's parser reads it: the user info runs to the last '@'.
  EXPECT_EQ(RedactSinkUrl("clickhouse://default:s3cr/et@host:1/db"),
            "clickhouse://default:***@host:1/db");
  EXPECT_EQ(RedactSinkUrl("clickhouse://u:a?b#c@d:e%zz@h/db?compression=gzip"),
            "clickhouse://u:***@h/db?compression=gzip");
  EXPECT_EQ(RedactSinkUrl("mysql://u:s3cr/et@h/db"), "mysql://u:***@h/db");
  EXPECT_EQ(RedactSinkUrl("sqlite:./password=x.db"), "sqlite:./password=x.db");
}

}  // namespace
}  // namespace sluice

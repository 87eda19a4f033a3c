#include "sink/postgres/pg_support.h"

#include <gtest/gtest.h>

#include "sink/sink.h"

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
  EXPECT_EQ(RedactSinkUrl("sqlite:./password=x.db"), "sqlite:./password=x.db");
}

TEST(PostgresArray, QuotesEveryElement) {
  EXPECT_EQ(PostgresArray({}), "{}");
  EXPECT_EQ(PostgresArray({"a"}), "{\"a\"}");
  EXPECT_EQ(PostgresArray({"", "x,y", "{z}", "q\"uote", "back\\slash", "NULL", "12"}),
            "{\"\",\"x,y\",\"{z}\",\"q\\\"uote\",\"back\\\\slash\",\"NULL\",\"12\"}");
}

TEST(PostgresStatus, MapsSqlStatesToActions) {
  struct Case {
    const char* sqlstate;
    StatusCode code;
  } cases[] = {
      {"08006", StatusCode::kUnavailable},     {"57P01", StatusCode::kUnavailable},
      {"57P03", StatusCode::kUnavailable},     {"40001", StatusCode::kUnavailable},
      {"40P01", StatusCode::kUnavailable},     {"55P03", StatusCode::kUnavailable},
      {"53100", StatusCode::kUnavailable},     {"53300", StatusCode::kUnavailable},
      {"57014", StatusCode::kTimeout},         {"22P02", StatusCode::kInvalidData},
      {"22001", StatusCode::kInvalidData},     {"23502", StatusCode::kInvalidData},
      {"23505", StatusCode::kInvalidData},     {"23514", StatusCode::kInvalidData},
      {"42804", StatusCode::kInvalidData},     {"28P01", StatusCode::kInvalidArgument},
      {"3D000", StatusCode::kInvalidArgument}, {"42501", StatusCode::kInvalidArgument},
      {"XX000", StatusCode::kInternal},        {"42601", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    Status s = PostgresStatus(c.sqlstate, "boom\n", false, "ctx");
    EXPECT_EQ(s.code(), c.code) << c.sqlstate;
    EXPECT_EQ(s.message(), "ctx: boom");
  }
}

TEST(PostgresStatus, ClassifiesFailedConnections) {
  EXPECT_EQ(PostgresStatus("",
                           "connection to server at \"127.0.0.1\", port 1 failed: Connection "
                           "refused",
                           true, "c")
                .code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(
      PostgresStatus("", "FATAL:  password authentication failed for user \"u\"", true, "c").code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(PostgresStatus("", "FATAL:  database \"nope\" does not exist", true, "c").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PostgresStatus("", "server closed the connection unexpectedly", true, "c").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(PostgresStatus("", "another command is already in progress", false, "c").code(),
            StatusCode::kInternal);
}

}  // namespace
}  // namespace sluice

#include "sink/postgres/pg_connection.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

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
      {"08006", StatusCode::kUnavailable},      {"57P01", StatusCode::kUnavailable},
      {"57P03", StatusCode::kUnavailable},      {"40001", StatusCode::kUnavailable},
      {"40P01", StatusCode::kUnavailable},      {"55P03", StatusCode::kUnavailable},
      {"53100", StatusCode::kUnavailable},      {"53300", StatusCode::kUnavailable},
      {"57014", StatusCode::kTimeout},          {"22P02", StatusCode::kInvalidData},
      {"22001", StatusCode::kInvalidData},      {"23502", StatusCode::kInvalidData},
      {"23505", StatusCode::kInvalidData},      {"23514", StatusCode::kInvalidData},
      {"42804", StatusCode::kInvalidData},      {"28P01", StatusCode::kPermissionDenied},
      {"28000", StatusCode::kPermissionDenied}, {"3D000", StatusCode::kPermissionDenied},
      {"42501", StatusCode::kPermissionDenied}, {"XX000", StatusCode::kInternal},
      {"42601", StatusCode::kInternal},
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
      StatusCode::kPermissionDenied);
  EXPECT_EQ(PostgresStatus("", "FATAL:  database \"nope\" does not exist", true, "c").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(PostgresStatus("", "FATAL:  permission denied for database \"d\"", true, "c").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(PostgresStatus("", "FATAL:  role \"u\" is not permitted to log in", true, "c").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(
      PostgresStatus("", "FATAL:  no pg_hba.conf entry for host \"1.2.3.4\"", true, "c").code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(PostgresStatus("", "server closed the connection unexpectedly", true, "c").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(PostgresStatus("", "another command is already in progress", false, "c").code(),
            StatusCode::kInternal);
}

}  // namespace
}  // namespace sluice

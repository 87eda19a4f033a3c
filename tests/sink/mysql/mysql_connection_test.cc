// MysqlStatus, the MySQL sink's one error classifier, and what a failed
// connection says: its class, and never the password.
#include "sink/mysql/mysql_connection.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(MysqlStatus, MapsErrorCodesToActions) {
  struct Case {
    unsigned code;
    StatusCode want;
  } cases[] = {
      {2002, StatusCode::kUnavailable},      {2003, StatusCode::kUnavailable},
      {2006, StatusCode::kUnavailable},      {2013, StatusCode::kUnavailable},
      {1040, StatusCode::kUnavailable},      {1053, StatusCode::kUnavailable},
      {1927, StatusCode::kUnavailable},      {1213, StatusCode::kUnavailable},
      {1205, StatusCode::kUnavailable},      {1021, StatusCode::kUnavailable},
      {1148, StatusCode::kUnavailable},      {3948, StatusCode::kUnavailable},
      {1969, StatusCode::kTimeout},          {3024, StatusCode::kTimeout},
      {1062, StatusCode::kAlreadyExists},    {1045, StatusCode::kPermissionDenied},
      {1044, StatusCode::kPermissionDenied}, {1142, StatusCode::kPermissionDenied},
      {1143, StatusCode::kPermissionDenied}, {1049, StatusCode::kPermissionDenied},
      {1698, StatusCode::kPermissionDenied}, {1227, StatusCode::kPermissionDenied},
      {1059, StatusCode::kInvalidArgument},  {1103, StatusCode::kInvalidArgument},
      {1166, StatusCode::kInvalidArgument},  {1264, StatusCode::kInvalidData},
      {1265, StatusCode::kInvalidData},      {1366, StatusCode::kInvalidData},
      {1292, StatusCode::kInvalidData},      {1406, StatusCode::kInvalidData},
      {1048, StatusCode::kInvalidData},      {1146, StatusCode::kInvalidData},
      {1064, StatusCode::kInternal},         {1105, StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    const Status s = MysqlStatus(c.code, "boom\n", "ctx");
    EXPECT_EQ(s.code(), c.want) << c.code;
    EXPECT_EQ(s.message(), "ctx: boom");
  }
  EXPECT_TRUE(MysqlConnectionLost(2013));
  EXPECT_FALSE(MysqlConnectionLost(1213));
}

TEST(MysqlConnection, NoServerIsUnavailableAndTheMessageHidesThePassword) {
  // Port 1 on the loopback: nothing listens, the connection is refused at once.
  auto target = ParseMysqlUrl("mysql://loader:s3cr%3At@127.0.0.1:1/db?connect-timeout=2");
  ASSERT_TRUE(target.has_value()) << target.status().ToString();
  MysqlConnection db(*target);
  const Status status = db.Connect();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_EQ(status.message().find("s3cr"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("mysql://loader:***@127.0.0.1:1/db"), std::string::npos)
      << status.message();
  EXPECT_FALSE(db.up());
}

}  // namespace
}  // namespace sluice

// How clickhouse_http.* classifies the server's refusals and failed requests.
#include "sink/clickhouse/clickhouse_http.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

TEST(ClickHouseErrorTest, RefusalsArePermissionDenied) {
  for (const char* header : {"516", "497", "81", "192", "193", "194", "195", "164", "291"}) {
    EXPECT_EQ(ClassifyClickHouseError(0, 500, header, "", "ctx").code(),
              StatusCode::kPermissionDenied)
        << header;
  }
  // 18.16 sends no header: the code is read from the body.
  EXPECT_EQ(
      ClassifyClickHouseError(
          0, 500, "", "Code: 193, e.displayText() = DB::Exception: Wrong password for user default",
          "ctx")
          .code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(ClassifyClickHouseError(0, 500, "",
                                    "Code: 291, e.displayText() = DB::Exception: Access denied to "
                                    "database sluice_test for user t1",
                                    "ctx")
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(ClassifyClickHouseError(0, 403, "", "Forbidden", "ctx").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(ClassifyClickHouseError(0, 401, "", "", "ctx").code(), StatusCode::kPermissionDenied);
}

TEST(ClickHouseErrorTest, ClassifiesByCode) {
  auto code = [](int curl, long http, std::string_view header, std::string_view body) {
    return ClassifyClickHouseError(curl, http, header, body, "ctx").code();
  };
  EXPECT_EQ(code(0, 500, "27", ""), StatusCode::kInvalidData);
  EXPECT_EQ(code(0, 500, "", "Code: 53, e.displayText() = DB::Exception: Type mismatch"),
            StatusCode::kInvalidData);
  EXPECT_EQ(code(0, 500, "252", ""), StatusCode::kUnavailable);
  EXPECT_EQ(code(0, 500, "241", ""), StatusCode::kUnavailable);
  EXPECT_EQ(code(0, 500, "", "Code: 202, too many"), StatusCode::kUnavailable);
  EXPECT_EQ(code(0, 401, "", "Code: 193, wrong password"), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(0, 500, "516", ""), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(0, 404, "81", ""), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(0, 503, "", "Service Unavailable"), StatusCode::kUnavailable);
  EXPECT_EQ(code(7 /* CURLE_COULDNT_CONNECT */, 0, "", ""), StatusCode::kUnavailable);
  EXPECT_EQ(code(28 /* CURLE_OPERATION_TIMEDOUT */, 0, "", ""), StatusCode::kTimeout);
}

}  // namespace
}  // namespace sluice

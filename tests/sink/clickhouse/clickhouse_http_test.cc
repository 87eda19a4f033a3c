// How clickhouse_http.* classifies the server's refusals and failed requests,
// and that a streamed insert's body arrives whole however its pieces are handed
// over (against a real server: SLUICE_TEST_CLICKHOUSE_URL).
#include "sink/clickhouse/clickhouse_http.h"

#include <gtest/gtest.h>

#include <string>

#include "sink/clickhouse/clickhouse_test_util.h"

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

using namespace ::sluice::clickhouse_test;  // NOLINT(build/namespaces)

class ClickHouseHttpTest : public ClickHouseServerTest {};

// SendInsert(std::string*) takes the caller's buffer when nothing of the body
// waits and copies otherwise; pieces of 1 byte to 12 MiB (more than the socket
// takes at once, so that some find bytes still waiting), cut inside rows, one
// buffer refilled as the sink does, must arrive as the one body in order.
TEST_F(ClickHouseHttpTest, PiecesOfAStreamedBodyArriveInOrder) {
  const std::string name = Unique("body");
  Exec(url, "CREATE TABLE " + Table(url, name) +
                " (n UInt64, s String) ENGINE = MergeTree ORDER BY tuple()");
  std::string body;
  constexpr uint64_t kRows = 1500000;
  for (uint64_t n = 0; n < kRows; ++n) {
    body += std::to_string(n) + "\tv" + std::to_string(n) + "\n";
  }
  auto http = ClickHouseHttp::Create(*ParseClickHouseUrl(url));
  ASSERT_TRUE(http.has_value());
  ASSERT_TRUE(
      (*http)->StartInsert("INSERT INTO " + Table(url, name) + " FORMAT TSV", "", "test").ok());
  std::string piece;
  size_t at = 0;
  for (size_t size : {size_t{1}, size_t{5}, size_t{12} << 20, size_t{100}, size_t{3} << 20,
                      size_t{1} << 20, size_t{7}}) {
    piece.append(body, at, size);
    at += std::min(size, body.size() - at);
    Status sent = (*http)->SendInsert(&piece);
    ASSERT_TRUE(sent.ok()) << sent.ToString();
    EXPECT_TRUE(piece.empty());
  }
  piece.append(body, at);
  ASSERT_TRUE((*http)->SendInsert(&piece).ok());
  Status finished = (*http)->FinishInsert();
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  EXPECT_EQ(Query(url, "SELECT count(), sum(n), countIf(s != concat('v', toString(n))) FROM " +
                           Table(url, name)),
            std::to_string(kRows) + "\t" + std::to_string(kRows * (kRows - 1) / 2) + "\t0\n");
  Exec(url, "DROP TABLE " + Table(url, name));
}

}  // namespace
}  // namespace sluice

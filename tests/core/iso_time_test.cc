#include "core/iso_time.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace sluice {
namespace {

std::string Date(int64_t days) {
  char buf[kIsoTextCapacity];
  return std::string(buf, FormatIsoDate(days, buf));
}

std::string Timestamp(int64_t micros) {
  char buf[kIsoTextCapacity];
  return std::string(buf, FormatIsoTimestamp(micros, buf));
}

TEST(IsoTimeTest, FormatsKnownDates) {
  EXPECT_EQ(Date(0), "1970-01-01");
  EXPECT_EQ(Date(-1), "1969-12-31");
  EXPECT_EQ(Date(11016), "2000-02-29");
  EXPECT_EQ(Date(19723), "2024-01-01");
  EXPECT_EQ(Date(-25509), "1900-02-28");
  EXPECT_EQ(Date(-25508), "1900-03-01");  // 1900 is not a leap year
  EXPECT_EQ(Date(-719528), "0000-01-01");
  EXPECT_EQ(Date(-719529), "-0001-12-31");
  EXPECT_EQ(Date(2932896), "9999-12-31");
  EXPECT_EQ(Date(2932897), "+10000-01-01");
}

TEST(IsoTimeTest, FormatsKnownTimestamps) {
  EXPECT_EQ(Timestamp(0), "1970-01-01 00:00:00");
  EXPECT_EQ(Timestamp(-1), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(Timestamp(1'500'000), "1970-01-01 00:00:01.500000");
  EXPECT_EQ(Timestamp(1'709'210'096'000'001), "2024-02-29 12:34:56.000001");
  EXPECT_EQ(Timestamp(-86'400'000'000), "1969-12-31 00:00:00");
  EXPECT_EQ(Timestamp(std::numeric_limits<int64_t>::max()), "+294247-01-10 04:00:54.775807");
  EXPECT_EQ(Timestamp(std::numeric_limits<int64_t>::min()), "-290308-12-21 19:59:05.224192");
}

TEST(IsoTimeTest, ExtremeDatesFitTheBuffer) {
  for (int64_t days : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    const std::string text = Date(days);
    EXPECT_LE(text.size(), kIsoTextCapacity);
    EXPECT_EQ(text.substr(text.size() - 6, 1), "-") << text;
  }
}

// SQLite's own date functions are an independent implementation of the same
// calendar; they cover years 0000 to 9999.
class SqliteReference {
 public:
  SqliteReference() {
    sqlite3_open(":memory:", &db_);
    sqlite3_prepare_v2(db_, "SELECT strftime('%Y-%m-%d', ?1 * 86400, 'unixepoch')", -1, &date_,
                       nullptr);
    sqlite3_prepare_v2(db_, "SELECT strftime('%Y-%m-%d %H:%M:%S', ?1, 'unixepoch')", -1, &seconds_,
                       nullptr);
  }
  ~SqliteReference() {
    sqlite3_finalize(date_);
    sqlite3_finalize(seconds_);
    sqlite3_close(db_);
  }
  std::string Date(int64_t days) { return Run(date_, days); }
  std::string Seconds(int64_t seconds) { return Run(seconds_, seconds); }

 private:
  static std::string Run(sqlite3_stmt* stmt, int64_t v) {
    sqlite3_bind_int64(stmt, 1, v);
    sqlite3_step(stmt);
    std::string out(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_reset(stmt);
    return out;
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* date_ = nullptr;
  sqlite3_stmt* seconds_ = nullptr;
};

TEST(IsoTimeTest, DatesAgreeWithSqlite) {
  SqliteReference ref;
  for (int64_t days = -719528; days <= 2932896; days += 97) {
    ASSERT_EQ(Date(days), ref.Date(days)) << days;
  }
  for (int64_t days = -800; days <= 800; ++days) {
    ASSERT_EQ(Date(days), ref.Date(days)) << days;
  }
}

TEST(IsoTimeTest, TimestampsAgreeWithSqlite) {
  SqliteReference ref;
  std::mt19937_64 random(42);
  // 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z
  std::uniform_int_distribution<int64_t> micros_in_range(-62'167'219'200'000'000,
                                                         253'402'300'799'999'999);
  for (int i = 0; i < 20000; ++i) {
    const int64_t micros = micros_in_range(random);
    int64_t seconds = micros / 1'000'000;
    int64_t fraction = micros % 1'000'000;
    if (fraction < 0) {
      --seconds;
      fraction += 1'000'000;
    }
    std::string expected = ref.Seconds(seconds);
    if (fraction != 0) {
      const std::string digits = std::to_string(fraction);
      expected += "." + std::string(6 - digits.size(), '0') + digits;
    }
    ASSERT_EQ(Timestamp(micros), expected) << micros;
  }
}

}  // namespace
}  // namespace sluice

#include "core/retry_policy.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicyTest, CeilingDoublesUpToMax) {
  constexpr RetryPolicy p{milliseconds(250), milliseconds(8000)};
  EXPECT_EQ(p.Ceiling(1), milliseconds(250));
  EXPECT_EQ(p.Ceiling(2), milliseconds(500));
  EXPECT_EQ(p.Ceiling(6), milliseconds(8000));
  EXPECT_EQ(p.Ceiling(1000), milliseconds(8000));
}

TEST(RetryPolicyTest, DelayIsBetweenHalfTheCeilingAndTheCeiling) {
  constexpr RetryPolicy p{milliseconds(1000), milliseconds(30000)};
  EXPECT_EQ(p.Delay(1, 0.0), milliseconds(500));
  EXPECT_EQ(p.Delay(1, 0.999999), milliseconds(1000));
  EXPECT_EQ(p.Delay(3, 0.5), milliseconds(3000));
  for (int retry = 1; retry < 20; ++retry) {
    const auto d = p.Delay(retry);
    EXPECT_GE(d, p.Ceiling(retry) / 2);
    EXPECT_LE(d, p.Ceiling(retry));
  }
}

TEST(RetryPolicyTest, BackoffCountsItsRetries) {
  Backoff b(RetryPolicy{milliseconds(10), milliseconds(40)});
  EXPECT_LE(b.Next(), milliseconds(10));
  EXPECT_LE(b.Next(), milliseconds(20));
  EXPECT_GE(b.Next(), milliseconds(20));
  EXPECT_EQ(b.retries(), 3);
}

}  // namespace
}  // namespace sluice

#include "observe/progress.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ProgressTest, ShowsFilesBytesRateAndTimeLeft) {
  ProgressCounts c{5, 20, 25 * 1024 * 1024, 100 * 1024 * 1024};
  std::string line = FormatProgress(c, 5, 120);
  EXPECT_EQ(line,
            "[##########..............................]  5/20 files  25.0 MiB/100.0 MiB  "
            "5.0 MiB/s  ETA 15s");
}

TEST(ProgressTest, WithoutSizesTheRateIsInFiles) {
  ProgressCounts c{10, 40, 0, 0};
  std::string line = FormatProgress(c, 2, 120);
  EXPECT_NE(line.find("10/40 files"), std::string::npos) << line;
  EXPECT_NE(line.find("5 files/s  ETA 6s"), std::string::npos) << line;
}

TEST(ProgressTest, NothingDoneYetHasNoRateAndDoneHasNoEta) {
  EXPECT_EQ(FormatProgress({0, 3, 0, 300}, 1, 80).find("/s"), std::string::npos);
  std::string done = FormatProgress({3, 3, 300, 300}, 1, 80);
  EXPECT_EQ(done.find("ETA"), std::string::npos) << done;
  EXPECT_EQ(done.rfind("[#", 0), 0u) << done;
}

TEST(ProgressTest, FitsTheWidth) {
  ProgressCounts c{123456, 999999, 1ull << 40, 1ull << 41};
  EXPECT_LE(FormatProgress(c, 100, 40).size(), 40u);
}

}  // namespace
}  // namespace sluice

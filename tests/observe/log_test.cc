#include "observe/log.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

// Issue 12, item 12: a file name or a value must not reach the operator's
// terminal as control characters (ESC [ 2 J clears it).
TEST(LogTest, TextLinesShowControlCharactersEscaped) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "quarantined",
                          {{"file", "data/evil\x1b[2J.csv"}, {"rows", 3}}),
            "quarantined file=\"data/evil\\x1b[2J.csv\" rows=3");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "e", {{"v", std::string("a\0b\x7f", 4)}}),
            "e v=\"a\\x00b\\x7f\"");
  // Invalid UTF-8 bytes and C1 controls (C2 9B is CSI) are shown as escapes too;
  // valid UTF-8 stays as it is.
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "e",
                          {{"v",
                            "\xff\xc2\x9b"
                            "2J"}}),
            "e v=\"\\xff\\u009b2J\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "e", {{"v", "日本語.csv"}}), "e v=日本語.csv");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "e", {{"v", "a b\n\"c\"\\"}}),
            "e v=\"a b\\n\\\"c\\\"\\\\\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "e", {{"v", ""}, {"w", "plain"}}), "e v=\"\" w=plain");
}

TEST(LogTest, JsonLinesStayValidJsonAndEscapeControls) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, "quarantined",
                          {{"file", "evil\x1b[2J\x7f\xc2\x9b\xff.csv"}, {"rows", 3}}),
            "\"event\":\"quarantined\",\"file\":\"evil\\u001b[2J\\u007f\\u009b\xEF\xBF\xBD.csv\","
            "\"rows\":3");
}

}  // namespace
}  // namespace sluice

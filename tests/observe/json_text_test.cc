#include "observe/json_text.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(JsonTextTest, ReplacesInvalidUtf8AndEscapesEveryTerminalControl) {
  const nlohmann::ordered_json v = {{"a", "x\x1b[2J\x7f\xc2\x9b\xff"}, {"n", 3}};
  EXPECT_EQ(JsonText(v), "{\"a\":\"x\\u001b[2J\\u007f\\u009b\xEF\xBF\xBD\",\"n\":3}");
  // Keys too; other non-ASCII text (U+00A0 is C2 A0) stays as it is.
  EXPECT_EQ(JsonText({{"k\x7f", "\xc2\xa0日本"}}), "{\"k\\u007f\":\"\xc2\xa0日本\"}");
  // The result parses back to the escaped characters.
  EXPECT_EQ(nlohmann::json::parse(JsonText({{"a", "\x7f\xc2\x85"}}))["a"], "\x7f\xc2\x85");
}

TEST(JsonTextTest, IndentsOnRequest) { EXPECT_EQ(JsonText({{"a", 1}}, 2), "{\n  \"a\": 1\n}"); }

}  // namespace
}  // namespace sluice

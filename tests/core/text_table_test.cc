#include "core/text_table.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(VisibleText, PrintableTextIsUnchanged) {
  EXPECT_EQ(VisibleText("plain text"), "plain text");
  EXPECT_EQ(VisibleText("café 日本 😀"), "café 日本 😀");
  EXPECT_EQ(VisibleText(""), "");
}

TEST(VisibleText, ControlCharactersAreEscaped) {
  EXPECT_EQ(VisibleText("a\nb\r\tc"), "a\\nb\\r\\tc");
  EXPECT_EQ(VisibleText(std::string("nul\0bell\a", 9)), "nul\\x00bell\\x07");
  EXPECT_EQ(VisibleText("esc\x1b[31m del\x7f"), "esc\\x1b[31m del\\x7f");
  EXPECT_EQ(VisibleText("c1\xc2\x85 ls\xe2\x80\xa8"), "c1\\u0085 ls\\u2028");
}

TEST(VisibleText, BackslashIsDoubledSoEscapesAreUnambiguous) {
  EXPECT_EQ(VisibleText("C:\\temp\\n"), "C:\\\\temp\\\\n");
  EXPECT_NE(VisibleText("\\n"), VisibleText("\n"));
}

TEST(VisibleText, InvalidUtf8BytesAreEscaped) {
  EXPECT_EQ(VisibleText("a\xff"
                        "b"),
            "a\\xffb");
  EXPECT_EQ(VisibleText("\xc3"), "\\xc3");                    // truncated sequence
  EXPECT_EQ(VisibleText("\xc0\xaf"), "\\xc0\\xaf");           // overlong
  EXPECT_EQ(VisibleText("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
}

TEST(DisplayWidth, CountsColumnsNotBytes) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("café"), 4u);       // é is two bytes, one column
  EXPECT_EQ(DisplayWidth("e\xcc\x81"), 1u);  // e + combining acute accent
  EXPECT_EQ(DisplayWidth("日本"), 4u);       // wide
  EXPECT_EQ(DisplayWidth("😀"), 2u);          // emoji
  EXPECT_EQ(DisplayWidth("ｈｉ"), 4u);       // fullwidth
  EXPECT_EQ(DisplayWidth(""), 0u);
}

TEST(FitWidth, KeepsWhatFitsAndCutsTheRestWithAnEllipsis) {
  EXPECT_EQ(FitWidth("abcdef", 6), "abcdef");
  EXPECT_EQ(FitWidth("abcdefg", 6), "abcde…");
  EXPECT_EQ(DisplayWidth(FitWidth("abcdefg", 6)), 6u);
  EXPECT_EQ(FitWidth("abc", 0), "");
  EXPECT_EQ(FitWidth("abc", 1), "…");
}

TEST(FitWidth, NeverSplitsACharacterAndCountsWideOnesAsTwo) {
  EXPECT_EQ(FitWidth("日本語テキスト", 6), "日本…");  // 2+2+1; a third would need 7
  EXPECT_EQ(FitWidth("日本語テキスト", 7), "日本語…");
  EXPECT_EQ(FitWidth("ééééé", 4), "ééé…");
  EXPECT_EQ(FitWidth("😀😀😀", 4), "😀…");
}

TEST(DisplayCell, NullIsNotAnEmptyStringNorTheTextNull) {
  EXPECT_EQ(DisplayCell(std::nullopt, 20), "NULL");
  EXPECT_EQ(DisplayCell(std::string(""), 20), "\"\"");
  EXPECT_EQ(DisplayCell(std::string("NULL"), 20), "\"NULL\"");
  EXPECT_EQ(DisplayCell(std::string("\"q\""), 20), "\"\"q\"\"");
  EXPECT_EQ(DisplayCell(std::string("null"), 20), "null");
  EXPECT_EQ(DisplayCell(std::string("plain"), 20), "plain");
}

TEST(DisplayCell, EscapesThenCuts) {
  EXPECT_EQ(DisplayCell(std::string("a\nb"), 20), "a\\nb");
  EXPECT_EQ(DisplayCell(std::string("line one\nline two"), 10), "line one\\…");
  EXPECT_EQ(DisplayCell(std::string(""), 1), "…");
}

TEST(TextTable, AlignsColumnsByDisplayWidth) {
  TextTable t;
  t.AddHeader({"name", "n"});
  t.AddRow({"日本", "1"});
  t.AddRow({"café", "22"});
  t.AddRow({"x", "333"});
  EXPECT_EQ(t.Render(),
            "name  n\n"
            "----  ---\n"
            "日本  1\n"
            "café  22\n"
            "x     333\n");
}

TEST(TextTable, RightAlignedColumnsAndTwoHeaderLines) {
  TextTable t;
  t.AddHeader({"id", "label"});
  t.AddHeader({"integer", "string"});
  t.AlignRight(0);
  t.AddRow({"7", "😀"});
  t.AddRow({"1234", ""});
  EXPECT_EQ(t.Render(),
            "     id  label\n"
            "integer  string\n"
            "-------  ------\n"
            "      7  😀\n"
            "   1234\n");
}

TEST(TextTable, ShortRowsArePaddedAndNoLineEndsInBlanks) {
  TextTable t;
  t.AddRow({"a", "b", "c"});
  t.AddRow({"long cell"});
  EXPECT_EQ(t.Render(),
            "a          b  c\n"
            "long cell\n");
}

}  // namespace
}  // namespace sluice

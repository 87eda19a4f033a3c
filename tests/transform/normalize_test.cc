#include "transform/normalize.h"

#include <gtest/gtest.h>

#include "schema/text_batch_builder.h"

namespace sluice {
namespace {

using testing::Cell;
using testing::MakeBatch;
using Column = std::vector<Cell>;

Column Values(const TextBatch& batch, size_t c) {
  Column out;
  for (size_t r = 0; r < batch.rows(); ++r) {
    if (batch.IsNull(r, c)) {
      out.push_back(std::nullopt);
    } else {
      out.emplace_back(std::string(batch.Cell(r, c)));
    }
  }
  return out;
}

TEST(NormalizerTest, NothingConfiguredLeavesTheBatchAlone) {
  TextBatch batch = MakeBatch({"a"}, {{" x "}, {std::nullopt}, {""}});
  Normalizer({}).Apply(batch, {"a"});
  EXPECT_EQ(Values(batch, 0), (Column{" x ", std::nullopt, ""}));
}

TEST(NormalizerTest, TrimStripsAsciiWhiteSpaceOfEveryColumn) {
  TextBatch batch =
      MakeBatch({"a", "b"}, {{" x ", "\t y\r\n"}, {"   ", std::nullopt}, {"é ", "z"}});
  NormalizeOptions options;
  options.trim = true;
  Normalizer(options).Apply(batch, {"a", "b"});
  EXPECT_EQ(Values(batch, 0), (Column{"x", "", "é"}));
  EXPECT_EQ(Values(batch, 1), (Column{"y", std::nullopt, "z"}));
}

TEST(NormalizerTest, NullValuesAreMatchedAfterTrim) {
  TextBatch batch = MakeBatch({"a"}, {{" NA "}, {"-"}, {""}, {"na"}, {"N/A x"}});
  NormalizeOptions options;
  options.trim = true;
  options.null_values = {"", "NA", "-"};
  Normalizer(options).Apply(batch, {"a"});
  EXPECT_EQ(Values(batch, 0), (Column{std::nullopt, std::nullopt, std::nullopt, "na", "N/A x"}));
}

TEST(NormalizerTest, WithoutTrimNullValuesMatchExactly) {
  TextBatch batch = MakeBatch({"a"}, {{" NA"}, {"NA"}});
  NormalizeOptions options;
  options.null_values = {"NA"};
  Normalizer(options).Apply(batch, {"a"});
  EXPECT_EQ(Values(batch, 0), (Column{" NA", std::nullopt}));
}

TEST(NormalizerTest, CaseIsPerColumnAndAsciiOnly) {
  TextBatch batch = MakeBatch({"status", "code", "other"},
                              {{"OK", "ab", "Mixed"}, {"Fail É", "Cd9", "X"}, {"ok", "", "y"}});
  NormalizeOptions options;
  options.letter_case = {{"status", LetterCase::kLower}, {"code", LetterCase::kUpper}};
  Normalizer(options).Apply(batch, {"status", "code", "other"});
  EXPECT_EQ(Values(batch, 0), (Column{"ok", "fail É", "ok"}));
  EXPECT_EQ(Values(batch, 1), (Column{"AB", "CD9", ""}));
  EXPECT_EQ(Values(batch, 2), (Column{"Mixed", "X", "y"}));
}

// The case of a letter at any place of a value of any length (the test of a
// value for letters to change goes eight or four bytes at a time), next to
// every byte that is not one: the letters just outside A-Z and a-z ('@', '[',
// '`', '{') and UTF-8 bytes stay as they are.
TEST(NormalizerTest, CaseFindsALetterAtAnyPlaceOfAnyLength) {
  const std::string others = "@[`{0 \xC3\xA9\xC3\x89";  // and é, É in UTF-8
  for (LetterCase to : {LetterCase::kLower, LetterCase::kUpper}) {
    const char letter = to == LetterCase::kLower ? 'Q' : 'q';
    const char changed = to == LetterCase::kLower ? 'q' : 'Q';
    std::vector<std::vector<Cell>> rows;
    std::vector<std::string> want;
    for (size_t n = 0; n <= 20; ++n) {
      std::string base;
      for (size_t i = 0; i < n; ++i) base += others[i % others.size()];
      rows.push_back({base});  // nothing to change
      want.push_back(base);
      for (size_t at = 0; at < n; ++at) {
        std::string value = base;
        value[at] = letter;
        rows.push_back({value});
        value[at] = changed;
        want.push_back(value);
      }
    }
    TextBatch batch = MakeBatch({"s"}, rows);
    NormalizeOptions options;
    options.letter_case = {{"s", to}};
    Normalizer(options).Apply(batch, {"s"});
    ASSERT_EQ(batch.rows(), want.size());
    for (size_t r = 0; r < want.size(); ++r) EXPECT_EQ(batch.Cell(r, 0), want[r]) << "row " << r;
  }
}

TEST(NormalizerTest, MapAppliesOnceAfterCase) {
  TextBatch batch = MakeBatch({"status"}, {{"OK"}, {"Ok"}, {"FAIL"}, {"a"}, {"unknown"}});
  NormalizeOptions options;
  options.letter_case = {{"status", LetterCase::kLower}};
  // After lower-casing, "fail" (not "FAIL") is what the map sees; a → b is not
  // followed by b → c.
  options.map = {{"status", {{"ok", "good"}, {"fail", "bad"}, {"a", "b"}, {"b", "c"}}}};
  Normalizer(options).Apply(batch, {"status"});
  EXPECT_EQ(Values(batch, 0), (Column{"good", "good", "bad", "b", "unknown"}));
}

TEST(NormalizerTest, OrderIsTrimNullCaseMap) {
  TextBatch batch = MakeBatch({"s"}, {{" OK "}, {" null "}, {"NULL"}});
  NormalizeOptions options;
  options.trim = true;
  options.null_values = {"null"};
  options.letter_case = {{"s", LetterCase::kLower}};
  options.map = {{"s", {{"ok", "fine"}, {"null", "was upper"}}}};
  Normalizer(options).Apply(batch, {"s"});
  // "NULL" is not a null value (null_values is before case), then case and map apply.
  EXPECT_EQ(Values(batch, 0), (Column{"fine", std::nullopt, "was upper"}));
}

TEST(NormalizerTest, ColumnsAreNamedByTheGivenNames) {
  // The batch's own names are the file's; the given ones are after normalize_names.
  TextBatch batch = MakeBatch({"Status Code"}, {{"A"}});
  NormalizeOptions options;
  options.letter_case = {{"status_code", LetterCase::kLower}};
  Normalizer(options).Apply(batch, {"status_code"});
  EXPECT_EQ(Values(batch, 0), (Column{"a"}));
}

TEST(NormalizerTest, RawTextAndLinesAreKept) {
  TextBatch batch = MakeBatch({"a"}, {{" x "}});
  NormalizeOptions options;
  options.trim = true;
  options.letter_case = {{"a", LetterCase::kUpper}};
  Normalizer(options).Apply(batch, {"a"});
  EXPECT_EQ(batch.Cell(0, 0), "X");
  EXPECT_EQ(batch.Raw(0), " x ");
  EXPECT_EQ(batch.Line(0), 2u);
}

TEST(NormalizerTest, ParseLetterCase) {
  EXPECT_EQ(ParseLetterCase("lower"), LetterCase::kLower);
  EXPECT_EQ(ParseLetterCase("upper"), LetterCase::kUpper);
  EXPECT_EQ(ParseLetterCase("Lower"), std::nullopt);
}

}  // namespace
}  // namespace sluice

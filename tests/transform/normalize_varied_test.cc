// Normalizer::Apply on varied batches (blank ends of every kind, null cells,
// null_values of many lengths, long ones among them, case and map per column)
// against the rules of transform/normalize.h applied here cell by cell to strings.
#include <gtest/gtest.h>

#include <random>

#include "schema/text_batch_builder.h"
#include "transform/normalize.h"

namespace sluice {
namespace {

using testing::Cell;
using testing::MakeBatch;
using testing::Row;

bool Blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// The documented order: trim, null_values, case, map.
Cell Expected(const NormalizeOptions& options, const std::string& name, Cell cell) {
  if (!cell) return cell;
  std::string v = *cell;
  if (options.trim) {
    while (!v.empty() && Blank(v.front())) v.erase(v.begin());
    while (!v.empty() && Blank(v.back())) v.pop_back();
  }
  for (const std::string& n : options.null_values) {
    if (v == n) return std::nullopt;
  }
  if (auto it = options.letter_case.find(name); it != options.letter_case.end()) {
    for (char& ch : v) {
      if (it->second == LetterCase::kLower && ch >= 'A' && ch <= 'Z') ch = ch - 'A' + 'a';
      if (it->second == LetterCase::kUpper && ch >= 'a' && ch <= 'z') ch = ch - 'a' + 'A';
    }
  }
  if (auto it = options.map.find(name); it != options.map.end()) {
    if (auto m = it->second.find(v); m != it->second.end()) v = m->second;
  }
  return v;
}

std::string Text(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {"NA",
                                                  "na",
                                                  "N/A",
                                                  "-",
                                                  "null",
                                                  "Ok",
                                                  "x",
                                                  "É",
                                                  "12.5",
                                                  "OFF",
                                                  "on",
                                                  " ",
                                                  "\t",
                                                  "\r\n",
                                                  "\v",
                                                  "\f",
                                                  std::string(70, 'L'),
                                                  std::string(63, 'M')};
  std::string s;
  for (int n = static_cast<int>(rng() % 4); n > 0; --n) s += pieces[rng() % pieces.size()];
  return s;
}

TEST(NormalizerVariedTest, EveryCellIsWhatTheRulesMakeOfIt) {
  std::mt19937 rng(1515);
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  for (int round = 0; round < 200; ++round) {
    NormalizeOptions options;
    options.trim = rng() % 2 == 0;
    const std::vector<std::string> nulls = {"",
                                            "NA",
                                            "-",
                                            "null",
                                            "N/A",
                                            std::string(70, 'L'),
                                            std::string(63, 'M'),
                                            std::string(64, 'M')};
    for (const std::string& n : nulls) {
      if (rng() % 3 == 0) options.null_values.push_back(n);
    }
    if (rng() % 2 == 0) options.letter_case["b"] = LetterCase::kLower;
    if (rng() % 2 == 0) options.letter_case["c"] = LetterCase::kUpper;
    if (rng() % 2 == 0) options.map["c"] = {{"OK", "yes"}, {"ON", "1"}, {"", "empty"}};
    if (rng() % 2 == 0) options.map["d"] = {{"on", "1"}, {"OFF", "0"}};
    std::vector<Row> rows(rng() % 50);
    for (Row& row : rows) {
      for (size_t c = 0; c < names.size(); ++c) {
        row.push_back(rng() % 7 == 0 ? Cell() : Cell(Text(rng)));
      }
    }
    TextBatch batch = MakeBatch(names, rows);
    Normalizer(options).Apply(batch, names);
    for (size_t r = 0; r < rows.size(); ++r) {
      for (size_t c = 0; c < names.size(); ++c) {
        const Cell want = Expected(options, names[c], rows[r][c]);
        const Cell got = batch.IsNull(r, c) ? Cell() : Cell(std::string(batch.Cell(r, c)));
        EXPECT_EQ(got, want) << "round " << round << " row " << r << " column " << names[c];
      }
    }
  }
}

TEST(NormalizerVariedTest, AColumnItRewritesLosesItsTypedValuesAndOthersKeepThem) {
  // The text is the truth: a normalised column's typed values could be stale.
  TextBatch batch;
  batch.SetColumns({"n", "m", "empty"});
  batch.SetTyped(0, ColumnType::kInteger);
  batch.SetTyped(1, ColumnType::kInteger);
  batch.SetTyped(2, ColumnType::kInteger);
  for (int r = 0; r < 3; ++r) {
    batch.StartRow(r + 2, 0, kNullSpan);
    batch.SetCell(0, batch.Append(std::to_string(r)));
    batch.SetCell(1, batch.Append(std::to_string(r)));
    batch.SetTypedInt(0, r);
    batch.SetTypedInt(1, r);
    batch.FinishRow();
  }
  NormalizeOptions options;
  options.letter_case["n"] = LetterCase::kUpper;
  options.letter_case["empty"] = LetterCase::kUpper;  // every cell null: nothing rewritten
  Normalizer(options).Apply(batch, {"n", "m", "empty"});
  EXPECT_EQ(batch.Typed(0), nullptr);
  EXPECT_NE(batch.Typed(1), nullptr);
  EXPECT_NE(batch.Typed(2), nullptr);
  EXPECT_EQ(batch.Cell(2, 0), "2");
}

}  // namespace
}  // namespace sluice

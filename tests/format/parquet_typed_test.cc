// The Parquet reader's typed values (TextBatch::Typed) against its text: over
// every readable file of the conformance suite, each typed value must be what the
// Validator's text path parses its cell to (or, for NaN, infinities and dates
// beyond years 1-9999, a value the Validator hands back to the text path).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/cell_parse.h"
#include "format/read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kFirstDay = -719162;  // 0001-01-01
constexpr int64_t kLastDay = 2932896;   // 9999-12-31
constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000 * 1000;

// Checks row `r` of typed column `c` against its text.
void CheckCell(const TextBatch& batch, const TypedCells& typed, size_t r, size_t c,
               const std::string& where) {
  if (batch.IsNull(r, c)) return;
  const std::string_view text = batch.Cell(r, c);
  switch (typed.type) {
    case ColumnType::kInteger: {
      int64_t v = 0;
      ASSERT_EQ(ParseInteger(text, &v), ParseResult::kOk) << where << " " << text;
      EXPECT_EQ(v, typed.ints[r]) << where << " " << text;
      return;
    }
    case ColumnType::kFloat: {
      double v = 0;
      if (!std::isfinite(typed.floats[r])) return;  // the text path judges those
      ASSERT_EQ(ParseFloat(text, &v), ParseResult::kOk) << where << " " << text;
      EXPECT_EQ(v, typed.floats[r]) << where << " " << text;
      return;
    }
    case ColumnType::kBoolean: {
      bool v = false;
      ASSERT_TRUE(ParseBoolean(text, &v)) << where << " " << text;
      EXPECT_EQ(v ? 1 : 0, typed.ints[r]) << where << " " << text;
      return;
    }
    case ColumnType::kDate: {
      if (typed.ints[r] < kFirstDay || typed.ints[r] > kLastDay) return;
      int64_t v = 0;
      ASSERT_TRUE(ParseIsoDate(text, &v)) << where << " " << text;
      EXPECT_EQ(v, typed.ints[r]) << where << " " << text;
      return;
    }
    case ColumnType::kTimestamp: {
      if (typed.ints[r] < kFirstDay * kMicrosPerDay ||
          typed.ints[r] >= (kLastDay + 1) * kMicrosPerDay) {
        return;
      }
      int64_t v = 0;
      ASSERT_TRUE(ParseIsoTimestamp(text, &v)) << where << " " << text;
      EXPECT_EQ(v, typed.ints[r]) << where << " " << text;
      return;
    }
    case ColumnType::kString: {
      // A dictionary column: the cell is exactly the entry it names, or none (-1).
      const int64_t entry = typed.ints[r];
      if (entry < 0) {
        EXPECT_EQ(entry, -1) << where;
        return;
      }
      ASSERT_LT(static_cast<size_t>(entry), typed.entries.size()) << where;
      const Span cell = batch.CellSpan(r, c);
      EXPECT_EQ(cell.offset, typed.entries[entry].offset) << where;
      EXPECT_EQ(cell.size, typed.entries[entry].size) << where;
      return;
    }
  }
}

TEST(ParquetTypedTest, TypedValuesAreWhatTheirTextParsesTo) {
  const std::string dir = std::string(SLUICE_TEST_DATA_DIR) + "/conformance/parquet-testing/data";
  size_t files = 0;
  size_t typed_cells = 0;
  size_t dictionary_cells = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".parquet")) continue;
    Result<std::unique_ptr<RecordReader>> reader =
        OpenReader(Format::kParquet, StringInput(ReadFile(entry.path().string()), 1 << 20), {});
    ASSERT_TRUE(reader.has_value()) << name;
    TextBatch batch;
    CollectingErrors errors;
    for (;;) {
      Result<size_t> n = (*reader)->ReadBatch(batch, errors);
      if (!n.has_value() || *n == 0) break;  // refused files are the conformance test's
      for (size_t c = 0; c < batch.columns().size(); ++c) {
        const TypedCells* typed = batch.Typed(c);
        if (typed == nullptr) continue;
        const std::vector<std::optional<ColumnType>> declared = (*reader)->declared_types();
        if (typed->type != ColumnType::kString) {  // a dictionary column is any byte array
          EXPECT_EQ(declared[c], typed->type) << name << " " << batch.columns()[c];
        }
        ASSERT_EQ(typed->type == ColumnType::kFloat ? typed->floats.size() : typed->ints.size(),
                  batch.rows());
        for (size_t r = 0; r < batch.rows(); ++r) {
          CheckCell(batch, *typed, r, c, name + " " + batch.columns()[c]);
          ++typed_cells;
          if (typed->type == ColumnType::kString && !batch.IsNull(r, c) && typed->ints[r] >= 0) {
            ++dictionary_cells;
          }
        }
      }
    }
    ++files;
  }
  EXPECT_GT(files, 50u);
  EXPECT_GT(typed_cells, 10000u);
  EXPECT_GT(dictionary_cells, 1000u);
}

// Every cell's text, through CellText, in row order (null: nullopt).
std::vector<Row> AllText(RecordReader& reader, bool textless, size_t* textless_columns) {
  std::vector<Row> rows;
  TextBatch batch;
  CollectingErrors errors;
  std::string scratch;
  bool asked = false;
  for (;;) {
    Result<size_t> n = reader.ReadBatch(batch, errors);
    if (!n.has_value() || *n == 0) break;
    for (size_t r = 0; r < batch.rows(); ++r) {
      Row row;
      for (size_t c = 0; c < batch.columns().size(); ++c) {
        if (batch.Textless(c)) {
          ++*textless_columns;
          EXPECT_TRUE(batch.IsNull(r, c) || batch.Cell(r, c).empty());
        }
        row.push_back(batch.IsNull(r, c) ? Cell()
                                         : Cell(std::string(batch.CellText(r, c, scratch))));
      }
      rows.push_back(std::move(row));
    }
    if (textless && !asked) {  // as the pipeline does: from the second batch on
      reader.SetTextless(std::vector<bool>(batch.columns().size(), true));
      asked = true;
    }
  }
  return rows;
}

TEST(ParquetTypedTest, TextlessCellsMakeTheTextTheReaderGives) {
  const std::string dir = std::string(SLUICE_TEST_DATA_DIR) + "/conformance/parquet-testing/data";
  size_t textless_cells = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".parquet")) continue;
    const std::string bytes = ReadFile(entry.path().string());
    ReaderOptions options;
    options.batch_rows = 7;  // several batches, so that SetTextless takes effect
    auto text = OpenReader(Format::kParquet, StringInput(bytes, 1 << 20), options);
    auto typed = OpenReader(Format::kParquet, StringInput(bytes, 1 << 20), options);
    ASSERT_TRUE(text.has_value() && typed.has_value()) << name;
    size_t unused = 0;
    const std::vector<Row> want = AllText(**text, false, &unused);
    const std::vector<Row> got = AllText(**typed, true, &textless_cells);
    EXPECT_EQ(got, want) << name;
  }
  EXPECT_GT(textless_cells, 10000u);
}

}  // namespace
}  // namespace sluice::testing

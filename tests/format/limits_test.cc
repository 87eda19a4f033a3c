// The readers' limits: max_columns, batch memory counted per column, and a stop
// request honoured while a record is being read (issue 12, items 3 and 4).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "format/record_reader.h"
#include "format/stream_buffer.h"
#include "read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

// One JSON line per key: {"k0":0}\n{"k1":1}\n... — a small file of many columns.
std::string SparseJsonl(size_t keys) {
  std::string out;
  for (size_t i = 0; i < keys; ++i) {
    out += "{\"k" + std::to_string(i) + "\":" + std::to_string(i) + "}\n";
  }
  return out;
}

ReaderOptions WithMaxColumns(size_t n) {
  ReaderOptions options;
  options.max_columns = n;
  return options;
}

std::string Header(size_t names, const std::string& name) {
  std::string out;
  for (size_t i = 0; i < names; ++i) {
    if (i > 0) out += ',';
    out += name;
  }
  return out + "\n";
}

TEST(ReaderLimitsTest, CsvHeaderWiderThanMaxColumnsIsInvalidData) {
  ReaderOptions options;
  options.max_columns = 3;
  ReadOutcome got = ReadString(Format::kCsv, "a,b,c,d\n1,2,3,4\n", 1 << 20, options);
  EXPECT_EQ(got.status.code(), StatusCode::kInvalidData);
  EXPECT_EQ(got.status.message(), "line 1: 4 columns, more than max_columns (3)");

  options.csv.header = false;  // the first record counts too
  got = ReadString(Format::kCsv, "1,2,3,4\n", 1 << 20, options);
  EXPECT_EQ(got.status.code(), StatusCode::kInvalidData) << got.status.ToString();

  got = ReadString(Format::kCsv, "a,b,c\n1,2,3\n", 1 << 20, WithMaxColumns(3));
  EXPECT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.rows.size(), 1u);
}

TEST(ReaderLimitsTest, DefaultMaxColumnsFitsEverySink) {
  EXPECT_EQ(ReaderOptions{}.max_columns, kDefaultMaxColumns);
  EXPECT_LT(kDefaultMaxColumns, 1600u);  // PostgreSQL's limit, the smallest
  ReadOutcome got = ReadString(Format::kCsv, Header(kDefaultMaxColumns + 1, "a"));
  EXPECT_EQ(got.status.code(), StatusCode::kInvalidData) << got.status.ToString();
}

TEST(ReaderLimitsTest, JsonKeysPastMaxColumnsAreInvalidData) {
  ReaderOptions options;
  options.max_columns = 100;
  for (Format format : {Format::kJsonl, Format::kJson}) {
    std::string text = SparseJsonl(8192);
    if (format == Format::kJson) {
      // The same objects, one a line, as an array.
      std::string array = "[";
      for (size_t p = 0; p < text.size();) {
        size_t end = text.find('\n', p);
        if (p > 0) array += ",";
        array += text.substr(p, end - p) + "\n";
        p = end + 1;
      }
      text = array + "]";
    }
    ReadOutcome got = ReadString(format, text, 1 << 20, options);
    EXPECT_EQ(got.status.code(), StatusCode::kInvalidData) << FormatName(format);
    EXPECT_EQ(got.status.message(),
              "line 101: more than max_columns (100) distinct keys; the next is \"k100\"")
        << FormatName(format);
    // The rows before the offending one are returned first.
    EXPECT_EQ(got.rows.size(), 100u) << FormatName(format);
  }
}

// 8,192 distinct keys in 97 KB used to make every batch 8,192 columns by 8,192
// rows of cells (512 MiB). Counted with its cells, a batch stops at the byte
// budget however sparse its rows.
TEST(ReaderLimitsTest, WideSparseBatchesAreCutByTheirCells) {
  ReaderOptions options;
  options.max_columns = 8192;
  auto reader = OpenReader(Format::kJsonl, StringInput(SparseJsonl(8192)), options);
  ASSERT_TRUE(reader.has_value());
  TextBatch batch;
  CollectingErrors errors;
  size_t rows = 0;
  size_t batches = 0;
  for (;;) {
    Result<size_t> n = (*reader)->ReadBatch(batch, errors);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    if (*n == 0) break;
    ++batches;
    rows += *n;
    // At most one row (of at most 8,192 cells) past the budget. The rows' own
    // bytes: memory_bytes counts the capacity the next row would need.
    const size_t held =
        batch.arena_bytes() +
        batch.rows() * ((batch.columns().size() + 1) * sizeof(Span) + 2 * sizeof(uint64_t));
    EXPECT_LE(held, kBatchArenaBytes + 8192 * sizeof(Span) + 1024);
  }
  EXPECT_EQ(rows, 8192u);
  EXPECT_GT(batches, 1u);
  EXPECT_EQ(batch.columns().size(), 8192u);
}

// Quadratic work in names (item 4): 100,000 columns read in one pass. The time
// is measured by hand, not asserted here.
TEST(ReaderLimitsTest, HundredThousandColumnsWhenAllowed) {
  ReaderOptions options;
  options.max_columns = 100'000;
  ReadOutcome got =
      ReadString(Format::kCsv, Header(100'000, "a") + Header(100'000, "1"), 1 << 20, options);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.columns.size(), 100'000u);
  ASSERT_EQ(got.rows.size(), 1u);

  std::string object = "{";
  for (int i = 0; i < 100'000; ++i) {
    if (i > 0) object += ',';
    object += "\"k" + std::to_string(i) + "\":" + std::to_string(i);
  }
  object += ",\"k5\":\"last\"}\n";  // a repeated key keeps its last value
  got = ReadString(Format::kJsonl, object, 1 << 20, options);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  ASSERT_EQ(got.columns.size(), 100'000u);
  EXPECT_EQ(got.columns[99'999], "k99999");
  ASSERT_EQ(got.rows.size(), 1u);
  EXPECT_EQ(got.rows[0][5], Cell("last"));
  EXPECT_EQ(got.rows[0][99'999], Cell("99999"));
}

// A stop request ends a read at the next buffer refill, even in the middle of a
// record too long to keep (which used to be skipped to its end first).
TEST(ReaderLimitsTest, StopEndsAReadInsideALongRecord) {
  for (Format format : {Format::kCsv, Format::kJson, Format::kJsonl}) {
    std::atomic<bool> stop{false};
    ReaderOptions options;
    options.max_record_bytes = 1024;
    options.stop = &stop;
    std::string head = format == Format::kCsv ? "a\n" : format == Format::kJson ? "[" : "";
    std::string record =
        format == Format::kCsv ? std::string(8 << 20, 'x') : "\"" + std::string(8 << 20, 'x');
    auto reader = OpenReader(format, StringInput(head + record, 4096), options);
    ASSERT_TRUE(reader.has_value());
    TextBatch batch;
    struct StopOnFirstError : RowErrorSink {
      std::atomic<bool>* stop;
      void Report(RowError) override { stop->store(true); }
    } errors;
    errors.stop = &stop;
    // The too-long record is reported after 1 KiB; the stop comes with it.
    Result<size_t> n = (*reader)->ReadBatch(batch, errors);
    ASSERT_FALSE(n.has_value()) << FormatName(format);
    EXPECT_EQ(n.error().code(), StatusCode::kUnavailable) << FormatName(format);
    EXPECT_EQ(n.error().message(), "stop requested");
  }
}

TEST(ReaderLimitsTest, ZeroMaxColumnsIsRejected) {
  auto reader = OpenReader(Format::kCsv, StringInput("a\n"), WithMaxColumns(0));
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::testing

#include "format/record_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

TEST(FormatTest, Names) {
  EXPECT_EQ(FormatName(Format::kCsv), "csv");
  EXPECT_EQ(FormatName(Format::kTsv), "tsv");
  EXPECT_EQ(FormatName(Format::kJson), "json");
  EXPECT_EQ(FormatName(Format::kJsonl), "jsonl");
}

TEST(FormatTest, FromPath) {
  EXPECT_EQ(FormatFromPath("data/in/orders.csv"), Format::kCsv);
  EXPECT_EQ(FormatFromPath("ORDERS.CSV"), Format::kCsv);
  EXPECT_EQ(FormatFromPath("notes.txt"), Format::kCsv);
  EXPECT_EQ(FormatFromPath("a.tsv.gz"), Format::kTsv);
  EXPECT_EQ(FormatFromPath("a.Tab.ZST"), Format::kTsv);
  EXPECT_EQ(FormatFromPath("x/y.json"), Format::kJson);
  EXPECT_EQ(FormatFromPath("y.jsonl.zst"), Format::kJsonl);
  EXPECT_EQ(FormatFromPath("y.NDJSON"), Format::kJsonl);
  EXPECT_EQ(FormatFromPath("archive.gz"), std::nullopt);
  EXPECT_EQ(FormatFromPath("data.csv.bak"), std::nullopt);
  EXPECT_EQ(FormatFromPath("dir.csv/file"), std::nullopt);
  EXPECT_EQ(FormatFromPath("csv"), std::nullopt);
  EXPECT_EQ(FormatFromPath(""), std::nullopt);
}

TEST(OpenReaderTest, RejectsBadOptions) {
  auto open = [](Format format, ReaderOptions options) {
    return OpenReader(format, StringInput("a\n"), options).status();
  };
  ReaderOptions colon;
  colon.csv.delimiter = ':';
  EXPECT_EQ(open(Format::kCsv, colon).code(), StatusCode::kInvalidArgument);
  ReaderOptions backtick;
  backtick.csv.quote = '`';
  EXPECT_EQ(open(Format::kCsv, backtick).code(), StatusCode::kInvalidArgument);
  ReaderOptions comma;
  comma.csv.delimiter = ',';
  EXPECT_EQ(open(Format::kTsv, comma).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(open(Format::kCsv, comma).ok());
  ReaderOptions no_rows;
  no_rows.batch_rows = 0;
  EXPECT_EQ(open(Format::kJson, no_rows).code(), StatusCode::kInvalidArgument);
  ReaderOptions no_bytes;
  no_bytes.max_record_bytes = 0;
  EXPECT_EQ(open(Format::kJsonl, no_bytes).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenReader(Format::kCsv, nullptr, ReaderOptions()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(OpenReaderTest, DispatchesOnFormat) {
  TempDir dir;
  WriteFile(dir / "in.tsv", "a\tb\n1\t2\n");
  Result<std::unique_ptr<RecordReader>> tsv =
      OpenReader(*FormatFromPath(dir / "in.tsv"), StringInput(ReadFile(dir / "in.tsv")), {});
  ASSERT_TRUE(tsv.has_value());
  EXPECT_EQ((*tsv)->dialect(), std::nullopt);  // known after the first read
  ReadOutcome got = ReadAll(**tsv);
  EXPECT_EQ(got.rows, (std::vector<Row>{{Cell("1"), Cell("2")}}));
  ASSERT_TRUE(got.dialect.has_value());
  EXPECT_EQ(got.dialect->delimiter, '\t');
  EXPECT_EQ(got.dialect->quote, '"');
  EXPECT_EQ(got.dialect->header, true);

  // The same bytes mean different things to each reader.
  const std::string object = "{\"a\": 1}\n";
  EXPECT_EQ(ReadString(Format::kJson, object).rows, (std::vector<Row>{{Cell("1")}}));
  EXPECT_EQ(ReadString(Format::kJsonl, object).rows, (std::vector<Row>{{Cell("1")}}));
  EXPECT_EQ(ReadString(Format::kJson, object + object).status.code(), StatusCode::kInvalidData);
  EXPECT_EQ(ReadString(Format::kJsonl, object + object).rows.size(), 2u);
  EXPECT_EQ(ReadString(Format::kJson, object).dialect, std::nullopt);
}

}  // namespace
}  // namespace sluice::testing

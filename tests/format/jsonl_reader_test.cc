#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/record_reader.h"
#include "read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

const std::string kLines =
    "\xEF\xBB\xBF{\"id\": 1, \"name\": \"a\"}\n"  // line 1, after a BOM
    "\n"                                          // 2: blank
    "{\"id\": 2, \"name\": \"b\"}\r\n"            // 3: CRLF
    "{\"id\": 3, \"name\": }\n"                   // 4: invalid JSON
    "  \t \r\n"                                   // 5: blank
    "[1, 2]\n"                                    // 6: not an object
    "{\"id\": 4, \"extra\": {\"k\": [true]}}\n"   // 7: a new column
    "\"text\"\n"                                  // 8: not an object
    "{\"id\": 5} {\"id\": 6}\n"                   // 9: two values
    "{\"id\": 7, \"name\": \"\xFF\"}\n"           // 10: invalid UTF-8
    "{\"id\": 8, \"name\": \"last\"}";            // 11: no final newline

TEST(JsonlReaderTest, GoodLinesAreRowsBadLinesAreRowErrors) {
  ReadOutcome got = ReadString(Format::kJsonl, kLines);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.columns, (std::vector<std::string>{"id", "name", "extra"}));
  EXPECT_EQ(got.rows, (std::vector<Row>{
                          {Cell("1"), Cell("a"), Cell()},
                          {Cell("2"), Cell("b"), Cell()},
                          {Cell("4"), Cell(), Cell(R"({"k":[true]})")},
                          {Cell("8"), Cell("last"), Cell()},
                      }));
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{1, 3, 7, 11}));
  EXPECT_EQ(got.raws[1], "{\"id\": 2, \"name\": \"b\"}");
  EXPECT_EQ(got.offsets[1], kLines.find("{\"id\": 2"));
  ASSERT_EQ(got.errors.size(), 5u);
  std::vector<uint64_t> error_lines;
  for (const RowError& e : got.errors) error_lines.push_back(e.line);
  EXPECT_EQ(error_lines, (std::vector<uint64_t>{4, 6, 8, 9, 10}));
  EXPECT_EQ(got.errors[0].raw, "{\"id\": 3, \"name\": }");
  EXPECT_EQ(got.errors[0].byte_offset, kLines.find("{\"id\": 3"));
  EXPECT_TRUE(got.errors[0].message.starts_with("invalid JSON: ")) << got.errors[0].message;
  EXPECT_EQ(got.errors[1].message, "line is not a JSON object");
  EXPECT_TRUE(got.errors[4].message.starts_with("invalid JSON: ")) << got.errors[4].message;
  for (const RowError& e : got.errors) {
    EXPECT_EQ(e.kind, RowErrorKind::kJson) << e.message;
    EXPECT_EQ(e.hint, "JSON lines: each line must be one JSON object, {...}");
  }
}

TEST(JsonlReaderTest, ChunkBoundariesGiveIdenticalBatches) {
  ReaderOptions options;
  options.batch_rows = 3;
  ReadOutcome whole = ReadString(Format::kJsonl, kLines, 1 << 20, options);
  EXPECT_EQ(whole.batch_sizes, (std::vector<size_t>{3, 1}));
  for (size_t chunk : {1, 2, 3, 7, 4096}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(ReadString(Format::kJsonl, kLines, chunk, options), whole);
  }
}

TEST(JsonlReaderTest, TooLongLinesAreSkipped) {
  std::string data = "{\"a\":1}\n{\"a\":\"" + std::string(200, 'x') + "\"}\r\n{\"a\":3}\n" +
                     std::string(100, ' ') + "{\"a\":4}\n";
  ReaderOptions options;
  options.max_record_bytes = 64;
  for (size_t chunk : {1, 7, 1 << 20}) {
    SCOPED_TRACE(chunk);
    ReadOutcome got = ReadString(Format::kJsonl, data, chunk, options);
    ASSERT_TRUE(got.status.ok());
    EXPECT_EQ(got.rows, (std::vector<Row>{{Cell("1")}, {Cell("3")}}));
    EXPECT_EQ(got.lines, (std::vector<uint64_t>{1, 3}));
    ASSERT_EQ(got.errors.size(), 2u);
    EXPECT_EQ(got.errors[0].line, 2u);
    EXPECT_EQ(got.errors[0].byte_offset, 8u);
    EXPECT_EQ(got.errors[0].message, "record longer than max_record_bytes (64 bytes)");
    EXPECT_EQ(got.errors[1].line, 4u);
    EXPECT_EQ(got.errors[0].kind, RowErrorKind::kTooLong);
    EXPECT_EQ(got.errors[1].kind, RowErrorKind::kTooLong);
  }
}

// A line of exactly max_record_bytes loads (its CR not counted); one byte more
// is a row error naming the limit and the line, and the lines around it load.
TEST(JsonlReaderTest, LinesBelowAtAndAboveTheLimit) {
  auto line = [](size_t bytes) {  // {"a":"x...x"} of `bytes` bytes
    return "{\"a\":\"" + std::string(bytes - 8, 'x') + "\"}";
  };
  std::string data = line(63) + "\n" + line(64) + "\r\n" + line(65) + "\n" + line(64) + "\n" +
                     line(65);  // no final newline
  ReaderOptions options;
  options.max_record_bytes = 64;
  for (size_t chunk : {1, 7, 64, 65, 66, 1 << 20}) {
    SCOPED_TRACE(chunk);
    ReadOutcome got = ReadString(Format::kJsonl, data, chunk, options);
    ASSERT_TRUE(got.status.ok()) << got.status.ToString();
    EXPECT_EQ(got.rows, (std::vector<Row>{{Cell(std::string(55, 'x'))},
                                          {Cell(std::string(56, 'x'))},
                                          {Cell(std::string(56, 'x'))}}));
    EXPECT_EQ(got.lines, (std::vector<uint64_t>{1, 2, 4}));
    ASSERT_EQ(got.errors.size(), 2u);
    EXPECT_EQ(got.errors[0].line, 3u);
    EXPECT_EQ(got.errors[0].byte_offset, data.find(line(65)));
    EXPECT_EQ(got.errors[0].message, "record longer than max_record_bytes (64 bytes)");
    EXPECT_EQ(got.errors[0].kind, RowErrorKind::kTooLong);
    EXPECT_EQ(got.errors[1].line, 5u);
  }
}

// A line of MiBs over the limit among good lines: the others load, the long one
// is a row error with its line and only its first KiBs, and reading it holds no
// more than the limit.
TEST(JsonlReaderTest, AVeryLongLineAmongGoodLinesIsOneRowError) {
  std::string data =
      "{\"a\":1}\n{\"a\":2}\n{\"a\":\"" + std::string(6 << 20, 'y') + "\"}\n{\"a\":3}\n";
  ReaderOptions options;
  options.max_record_bytes = 1 << 20;
  ReadOutcome got = ReadString(Format::kJsonl, data, 1 << 16, options);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.rows, (std::vector<Row>{{Cell("1")}, {Cell("2")}, {Cell("3")}}));
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{1, 2, 4}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].line, 3u);
  EXPECT_EQ(got.errors[0].message, "record longer than max_record_bytes (1048576 bytes)");
  EXPECT_LE(got.errors[0].raw.size(), 4096u);
}

// Long string values point into the row's raw text when found there verbatim;
// every value reads the same whether shared or copied (escapes, repeats, keys
// that hold the same bytes, duplicate keys).
TEST(JsonlReaderTest, LongStringValuesReadTheSameSharedOrCopied) {
  const std::string a(5000, 'a');
  const std::string b = std::string(4096, 'b') + "c";
  std::string data =
      "{\"k\":\"" + a + "\",\"v\":\"" + a.substr(0, 4096) + "\"}\n" +  // a prefix again
      "{\"" + b + "\":\"" + b + "\",\"k\":\"" + b + "\"}\n" +          // key = value
      "{\"k\":\"" + a + "\\n\",\"v\":\"" + b + "\"}\n" +               // escape, then plain
      "{\"k\":\"short\",\"k\":\"" + a + "\",\"v\":\"" + a + "\"}\n";   // duplicate key
  ReadOutcome got = ReadString(Format::kJsonl, data);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.columns, (std::vector<std::string>{"k", "v", b}));
  EXPECT_EQ(got.rows, (std::vector<Row>{{Cell(a), Cell(a.substr(0, 4096)), Cell()},
                                        {Cell(b), Cell(), Cell(b)},
                                        {Cell(a + "\n"), Cell(b), Cell()},
                                        {Cell(a), Cell(a), Cell()}}));
}

TEST(JsonlReaderTest, EmptyInput) {
  for (std::string data : {"", "\n\n", "\xEF\xBB\xBF"}) {
    ReadOutcome got = ReadString(Format::kJsonl, data);
    EXPECT_TRUE(got.status.ok());
    EXPECT_TRUE(got.rows.empty());
    EXPECT_TRUE(got.errors.empty());
  }
}

}  // namespace
}  // namespace sluice::testing

// CsvScanner::Next at every position relative to its 16-byte steps: records
// without quotes (the mask path) and with a quote somewhere (the general path)
// must split the same way a plain reference split does.
#include "format/csv_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

// Scans `text` as StreamBuffer holds it: a '\n' after the data, then padding.
struct Scanned {
  CsvScanner::Scan scan;
  std::vector<std::string> values;
  std::vector<CsvField::Kind> kinds;
};

Scanned ScanOne(std::string_view text, bool eof, char delimiter = ',') {
  std::string buffer(text);
  buffer += '\n';
  buffer.append(64, 'x');
  const CsvScanner scanner(delimiter, '"');
  std::vector<CsvField> fields;
  Scanned out;
  out.scan = scanner.Next(buffer.data(), buffer.data() + text.size(), eof, fields);
  for (const CsvField& f : fields) {
    out.values.push_back(scanner.Value(buffer.data(), f));
    out.kinds.push_back(f.kind);
  }
  return out;
}

std::vector<std::string> Split(std::string_view record, char delimiter) {
  std::vector<std::string> values;
  size_t start = 0;
  for (;;) {
    const size_t at = record.find(delimiter, start);
    values.emplace_back(record.substr(start, at - start));
    if (at == std::string_view::npos) return values;
    start = at + 1;
  }
}

TEST(CsvScannerTest, UnquotedRecordsSplitAtEveryOffset) {
  std::mt19937 random(7);
  for (char delimiter : {',', '\t', ';', '|'}) {
    for (int i = 0; i < 3000; ++i) {
      // Fields of 0 to 40 bytes, so delimiters and line ends fall on every byte
      // of a 16-byte step, and beyond the first step.
      std::string record;
      const int fields = 1 + static_cast<int>(random() % 8);
      for (int f = 0; f < fields; ++f) {
        if (f > 0) record += delimiter;
        const int length = static_cast<int>(random() % 41);
        for (int b = 0; b < length; ++b) record += static_cast<char>('a' + random() % 26);
      }
      const char* endings[] = {"\n", "\r\n", "\r"};
      const std::string ending = endings[random() % 3];
      const std::string text = record + ending + "next,row\n";
      SCOPED_TRACE(text);
      const Scanned got = ScanOne(text, true, delimiter);
      ASSERT_EQ(got.scan.outcome, CsvScanner::Outcome::kRecord);
      EXPECT_EQ(got.scan.content, record.size());
      EXPECT_EQ(got.scan.length, record.size() + ending.size());
      EXPECT_EQ(got.values, Split(record, delimiter));
      for (CsvField::Kind kind : got.kinds) EXPECT_EQ(kind, CsvField::kPlain);
    }
  }
}

TEST(CsvScannerTest, QuoteAtEveryOffsetTakesTheGeneralPath) {
  for (size_t lead = 0; lead < 40; ++lead) {
    const std::string plain(lead, 'p');
    {
      // A quoted field after `lead` bytes of an unquoted one, holding a delimiter,
      // a doubled quote and a line break.
      const std::string text = plain + ",\"a,\"\"b\nc\",z\r\nrest\n";
      SCOPED_TRACE(text);
      const Scanned got = ScanOne(text, true);
      ASSERT_EQ(got.scan.outcome, CsvScanner::Outcome::kRecord);
      EXPECT_EQ(got.values, (std::vector<std::string>{plain, "a,\"b\nc", "z"}));
      EXPECT_EQ(got.kinds[1], CsvField::kEscaped);
      EXPECT_EQ(got.scan.newlines, 1u);
      EXPECT_EQ(got.scan.length, text.size() - 5);
    }
    {
      // A quote inside an unquoted field is data.
      const std::string text = plain + "x\"y,w\n";
      SCOPED_TRACE(text);
      const Scanned got = ScanOne(text, true);
      ASSERT_EQ(got.scan.outcome, CsvScanner::Outcome::kRecord);
      EXPECT_EQ(got.values, (std::vector<std::string>{plain + "x\"y", "w"}));
    }
  }
}

TEST(CsvScannerTest, EmptyFieldsAndBlankLines) {
  Scanned got = ScanOne(",,\n", true);
  EXPECT_EQ(got.values, (std::vector<std::string>{"", "", ""}));
  got = ScanOne("\nabc\n", true);
  ASSERT_EQ(got.scan.outcome, CsvScanner::Outcome::kRecord);
  EXPECT_EQ(got.scan.content, 0u);
  EXPECT_EQ(got.scan.length, 1u);
  got = ScanOne("\r\nabc\n", true);
  EXPECT_EQ(got.scan.content, 0u);
  EXPECT_EQ(got.scan.length, 2u);
}

TEST(CsvScannerTest, RecordAtTheEndOfTheBuffer) {
  for (size_t length : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 100u}) {
    const std::string record = std::string(length, 'v') + ",w";
    SCOPED_TRACE(record);
    // More input may follow: the record is not known to be whole.
    EXPECT_EQ(ScanOne(record, false).scan.outcome, CsvScanner::Outcome::kNeedMore);
    // At end of input it is a record without a line break.
    Scanned got = ScanOne(record, true);
    ASSERT_EQ(got.scan.outcome, CsvScanner::Outcome::kRecord);
    EXPECT_EQ(got.scan.content, record.size());
    EXPECT_EQ(got.scan.length, record.size());
    EXPECT_EQ(got.values, (std::vector<std::string>{std::string(length, 'v'), "w"}));
    // A CR as the last buffered byte may be the first half of a CRLF.
    EXPECT_EQ(ScanOne(record + "\r", false).scan.outcome, CsvScanner::Outcome::kNeedMore);
    got = ScanOne(record + "\r", true);
    ASSERT_EQ(got.scan.outcome, CsvScanner::Outcome::kRecord);
    EXPECT_EQ(got.scan.length, record.size() + 1);
  }
}

TEST(CsvScannerTest, VeryLongUnquotedField) {
  const std::string value(1 << 20, 'L');
  const Scanned got = ScanOne("a," + value + ",b\n", true);
  ASSERT_EQ(got.scan.outcome, CsvScanner::Outcome::kRecord);
  EXPECT_EQ(got.values, (std::vector<std::string>{"a", value, "b"}));
}

TEST(CsvScannerTest, UnterminatedQuoteAfterPlainFields) {
  EXPECT_EQ(ScanOne("aaaaaaaaaaaaaaaaaaaa,\"open", true).scan.outcome,
            CsvScanner::Outcome::kUnterminated);
  EXPECT_EQ(ScanOne("aaaaaaaaaaaaaaaaaaaa,\"open", false).scan.outcome,
            CsvScanner::Outcome::kNeedMore);
}

}  // namespace
}  // namespace sluice

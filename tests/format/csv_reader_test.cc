#include "format/csv_reader.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "format/record_reader.h"
#include "read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

const std::string kTestData = SLUICE_TEST_DATA_DIR;

ReaderOptions Dialect(char delimiter, char quote, bool header) {
  ReaderOptions options;
  options.csv = CsvDialect{delimiter, quote, header};
  return options;
}

Row Cells(std::initializer_list<const char*> values) {
  Row row;
  for (const char* v : values) row.push_back(v == nullptr ? Cell() : Cell(v));
  return row;
}

// csv-spectrum: every CSV must read as its JSON twin says, cell for cell.
TEST(CsvSpectrumTest, EveryCaseMatchesItsJson) {
  const std::filesystem::path dir = kTestData + "/conformance/csv-spectrum";
  size_t cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "csvs")) {
    const std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    ReadOutcome got = ReadString(Format::kCsv, ReadFile(entry.path().string()));
    ASSERT_TRUE(got.status.ok()) << got.status.ToString();
    EXPECT_TRUE(got.errors.empty());
    ASSERT_TRUE(got.dialect.has_value());
    EXPECT_EQ(got.dialect->delimiter, ',');
    EXPECT_EQ(got.dialect->quote, '"');
    EXPECT_EQ(got.dialect->header, true);

    simdjson::dom::parser parser;
    simdjson::padded_string json =
        simdjson::padded_string::load((dir / "json" / (name + ".json")).string());
    simdjson::dom::element doc = parser.parse(json);
    std::vector<simdjson::dom::object> expected;
    if (doc.is_array()) {
      for (simdjson::dom::element e : doc.get_array()) expected.push_back(e.get_object());
    } else {
      expected.push_back(doc.get_object());
    }
    ASSERT_EQ(got.rows.size(), expected.size());
    for (size_t r = 0; r < expected.size(); ++r) {
      ASSERT_EQ(expected[r].size(), got.columns.size());
      for (auto [key, value] : expected[r]) {
        auto column = std::find(got.columns.begin(), got.columns.end(), key);
        ASSERT_NE(column, got.columns.end()) << key;
        std::string want(value.get_string().value());
        // Upstream's JSON for this case says "1234567890", but its CSV holds
        // 2095257564: the JSON is wrong, the reader must give the file's value.
        if (name == "location_coordinates" && key == "Contact Phone Number") want = "2095257564";
        EXPECT_EQ(got.rows[r][column - got.columns.begin()], want) << "row " << r << " " << key;
      }
    }
    ++cases;
  }
  EXPECT_EQ(cases, 12u);
}

TEST(CsvReaderTest, QuotedEmptyIsEmptyUnquotedEmptyIsNull) {
  ReadOutcome got = ReadString(Format::kCsv, "a,b,c\n,\"\",x\n\"\",,\n");
  ASSERT_TRUE(got.status.ok());
  ASSERT_EQ(got.rows.size(), 2u);
  EXPECT_EQ(got.rows[0], Cells({nullptr, "", "x"}));
  EXPECT_EQ(got.rows[1], Cells({"", nullptr, nullptr}));
}

TEST(CsvReaderTest, Rfc4180Details) {
  std::string data =
      "\xEF\xBB\xBFid,text,note\r\n"         // BOM, CRLF
      "1,\"say \"\"hi\"\"\",plain\r\n"       // doubled quotes
      "2,\"two\r\nlines\",\"lone\rcr\"\r\n"  // quoted CRLF, lone CR inside quotes is data
      "3,37\xC2\xB0"
      "36'37.8\"N,\"quoted\"tail\r\n"  // quote mid-field is data; text after a closing quote kept
      "4,,\"\"\r\n"
      "\r\n"
      "5,last,no newline";
  ReadOutcome got = ReadString(Format::kCsv, data);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_TRUE(got.errors.empty());
  EXPECT_EQ(got.columns, (std::vector<std::string>{"id", "text", "note"}));
  ASSERT_EQ(got.rows.size(), 5u);
  EXPECT_EQ(got.rows[0], Cells({"1", "say \"hi\"", "plain"}));
  EXPECT_EQ(got.rows[1], Cells({"2", "two\r\nlines", "lone\rcr"}));
  EXPECT_EQ(got.rows[2], Cells({"3",
                                "37\xC2\xB0"
                                "36'37.8\"N",
                                "quotedtail"}));
  EXPECT_EQ(got.rows[3], Cells({"4", nullptr, ""}));
  EXPECT_EQ(got.rows[4], Cells({"5", "last", "no newline"}));
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{2, 3, 5, 6, 8}));
  EXPECT_EQ(got.raws[1], "2,\"two\r\nlines\",\"lone\rcr\"");
  // Offsets count the BOM: they are positions in the decoded stream.
  EXPECT_EQ(got.offsets[0], data.find("1,"));
  EXPECT_EQ(got.offsets[4], data.find("5,last"));
}

TEST(CsvReaderTest, LoneCrEndsARecordOutsideQuotes) {
  ReadOutcome got = ReadString(Format::kCsv, "a,b\r1,2\r3,4\r");
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.rows, (std::vector<Row>{Cells({"1", "2"}), Cells({"3", "4"})}));
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{2, 3}));
}

TEST(CsvReaderTest, BlankLinesAreSkipped) {
  ReadOutcome got = ReadString(Format::kCsv, "\n\na,b\n1,2\n\n3,4\n\n\r\n\n");
  ASSERT_TRUE(got.status.ok());
  EXPECT_TRUE(got.errors.empty());
  EXPECT_EQ(got.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(got.rows, (std::vector<Row>{Cells({"1", "2"}), Cells({"3", "4"})}));
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{4, 6}));
}

// Unquoted cells point into the record's text, stored once: the arena holds each
// record once (consecutive records are copied as one run, with their line
// breaks) plus the unescaped copies of fields with doubled quotes.
TEST(CsvReaderTest, RecordTextIsStoredOnce) {
  Result<std::unique_ptr<RecordReader>> reader = OpenReader(
      Format::kCsv, StringInput("a,b,c\nxx,\"yy\",zz\n1,\"q\"\"q\",3\n"), ReaderOptions());
  ASSERT_TRUE(reader.has_value());
  TextBatch batch;
  CollectingErrors errors;
  ASSERT_EQ(*(*reader)->ReadBatch(batch, errors), 2u);
  EXPECT_EQ(batch.arena_bytes(), std::string("xx,\"yy\",zz\n1,\"q\"\"q\",3\nq\"q").size());
  EXPECT_EQ(batch.Cell(1, 1), "q\"q");
  EXPECT_EQ(batch.Raw(0), "xx,\"yy\",zz");
  EXPECT_EQ(batch.Raw(1), "1,\"q\"\"q\",3");
}

// Records copied in runs keep their cells and raw text whatever breaks a run: a
// field to unescape, a ragged or too-long record, blank lines, a batch's end, a
// refill of the buffer. Checked against the rows the test wrote.
TEST(CsvReaderTest, RunsOfRecordsKeepTheirText) {
  std::mt19937 rng(17);
  std::string data = "a,b,c\n";
  std::vector<Row> rows;
  std::vector<std::string> raws;
  std::vector<uint64_t> error_lines;
  uint64_t line = 2;
  // Over 1 MiB, so that the buffer's bytes move on refills.
  for (int i = 0; i < 8000; ++i) {
    const int kind = static_cast<int>(rng() % 10);
    const std::string n = std::to_string(rng() % 100000);
    std::string record;
    if (kind == 0) {
      record = n + ",\"x\"\"" + n + "\",";  // escaped, then a null
      rows.push_back({Cell(n), Cell("x\"" + n), Cell()});
    } else if (kind == 1) {
      record = n + "," + n;  // ragged
      error_lines.push_back(line);
    } else if (kind == 2) {
      record = std::string(401 + rng() % 400, 'L');  // longer than max_record_bytes
      error_lines.push_back(line);
    } else if (kind == 3) {
      data += "\n";  // a blank line, then a plain record
      ++line;
      record = n + ",\"q\"," + n;
      rows.push_back({Cell(n), Cell("q"), Cell(n)});
    } else {
      const std::string c(rng() % 380, 'c');
      record = n + ",b" + n + "," + c;
      rows.push_back({Cell(n), Cell("b" + n), c.empty() ? Cell() : Cell(c)});
    }
    if (kind != 1 && kind != 2) raws.push_back(record);
    data += record + (rng() % 3 == 0 ? "\r\n" : "\n");
    ++line;
  }
  data += "1,2,3";  // the last record has no line break
  rows.push_back({Cell("1"), Cell("2"), Cell("3")});
  raws.push_back("1,2,3");
  ReaderOptions options;
  options.batch_rows = 37;
  options.max_record_bytes = 400;
  for (size_t chunk : {size_t{100}, size_t{4096}, size_t{1} << 20}) {
    SCOPED_TRACE(chunk);
    ReadOutcome got = ReadString(Format::kCsv, data, chunk, options);
    ASSERT_TRUE(got.status.ok()) << got.status.ToString();
    ASSERT_EQ(got.rows.size(), rows.size());
    for (size_t r = 0; r < rows.size(); ++r) ASSERT_EQ(got.rows[r], rows[r]) << r;
    EXPECT_EQ(got.raws, raws);
    std::vector<uint64_t> lines;
    for (const RowError& e : got.errors) lines.push_back(e.line);
    EXPECT_EQ(lines, error_lines);
  }
}

TEST(CsvReaderTest, EmptyAndHeaderOnlyInputs) {
  ReadOutcome empty = ReadString(Format::kCsv, "");
  EXPECT_TRUE(empty.status.ok());
  EXPECT_TRUE(empty.rows.empty());
  EXPECT_TRUE(empty.columns.empty());

  ReadOutcome bom_only = ReadString(Format::kCsv, "\xEF\xBB\xBF\n\n");
  EXPECT_TRUE(bom_only.status.ok());
  EXPECT_TRUE(bom_only.rows.empty());

  ReadOutcome header_only = ReadString(Format::kCsv, "name,city\n");
  EXPECT_TRUE(header_only.status.ok());
  EXPECT_TRUE(header_only.rows.empty());
  EXPECT_EQ(header_only.columns, (std::vector<std::string>{"name", "city"}));
}

std::string TrickyCsv() {
  std::string data = "\xEF\xBB\xBFid,name,comment,score\r\n";
  for (int i = 0; i < 40; ++i) {
    data += std::to_string(i) + ",\"name " + std::to_string(i) + "\",";
    switch (i % 5) {
      case 0:
        data += "\"multi\r\nline \"\"quoted\"\"\ntext\"";
        break;
      case 1:
        data += "plain text with ' and \" inside";
        break;
      case 2:
        data += "\"\"";
        break;
      case 3:
        data += "";
        break;
      case 4:
        data += "\"a,b;c|d\tq\r\"";
        break;
    }
    data += "," + std::to_string(i * 7) + ".5";
    data += i % 2 ? "\r\n" : "\n";
    if (i == 17) data += "1,2\n";  // ragged
  }
  while (data.back() == '\n' || data.back() == '\r') data.pop_back();  // no final newline
  return data;
}

TEST(CsvReaderTest, ChunkBoundariesGiveIdenticalBatches) {
  const std::string data = TrickyCsv();
  for (bool sniff : {false, true}) {
    SCOPED_TRACE(sniff ? "sniffed" : "given dialect");
    ReaderOptions options = sniff ? ReaderOptions() : Dialect(',', '"', true);
    options.batch_rows = 16;
    ReadOutcome whole = ReadString(Format::kCsv, data, 1 << 20, options);
    ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
    ASSERT_EQ(whole.rows.size(), 40u);
    EXPECT_EQ(whole.batch_sizes, (std::vector<size_t>{16, 16, 8}));
    EXPECT_EQ(whole.rows[0], Cells({"0", "name 0", "multi\r\nline \"quoted\"\ntext", "0.5"}));
    EXPECT_EQ(whole.rows[1], Cells({"1", "name 1", "plain text with ' and \" inside", "7.5"}));
    EXPECT_EQ(whole.rows[2], Cells({"2", "name 2", "", "14.5"}));
    EXPECT_EQ(whole.rows[3], Cells({"3", "name 3", nullptr, "21.5"}));
    EXPECT_EQ(whole.rows[4], Cells({"4", "name 4", "a,b;c|d\tq\r", "28.5"}));
    EXPECT_EQ(whole.rows[39], Cells({"39", "name 39", "a,b;c|d\tq\r", "273.5"}));
    // Records 0, 5, 10, 15 span three lines each.
    EXPECT_EQ(whole.lines[0], 2u);
    EXPECT_EQ(whole.lines[1], 5u);
    EXPECT_EQ(whole.lines[18], 2u + 18 + 2 * 4 + 1);
    ASSERT_EQ(whole.errors.size(), 1u);
    EXPECT_EQ(whole.errors[0].line, 2u + 18 + 2 * 4);
    EXPECT_EQ(whole.errors[0].raw, "1,2");
    for (size_t chunk : {1, 2, 3, 7, 4096}) {
      SCOPED_TRACE(chunk);
      EXPECT_EQ(ReadString(Format::kCsv, data, chunk, options), whole);
    }
  }
}

// Past the sniffed sample, block boundaries fall inside records of a stream read
// in small pieces.
TEST(CsvReaderTest, ChunkBoundariesAfterSniffing) {
  std::string data = "k;v\n";
  for (int i = 0; i < 6000; ++i) {
    data += std::to_string(i) + ";\"v\"\"" + std::to_string(i) + "\nx\"\n";
  }
  ReadOutcome whole = ReadString(Format::kCsv, data);
  ASSERT_TRUE(whole.status.ok());
  ASSERT_EQ(whole.rows.size(), 6000u);
  EXPECT_EQ(whole.dialect->delimiter, ';');
  EXPECT_EQ(whole.rows[5999], Cells({"5999", "v\"5999\nx"}));
  EXPECT_EQ(whole.lines[5999], 2u + 2 * 5999);
  for (size_t chunk : {3, 7, 4093}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(ReadString(Format::kCsv, data, chunk), whole);
  }
}

TEST(CsvReaderTest, BatchesHoldAtMostBatchRows) {
  std::string data = "n\n";
  for (int i = 0; i < 10; ++i) data += std::to_string(i) + "\n";
  ReaderOptions options;
  options.batch_rows = 3;
  ReadOutcome got = ReadString(Format::kCsv, data, 1 << 20, options);
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.batch_sizes, (std::vector<size_t>{3, 3, 3, 1}));
  EXPECT_EQ(got.rows.back(), Cells({"9"}));
  EXPECT_EQ(got.lines.back(), 11u);
}

TEST(CsvReaderTest, RaggedRowsAreRowErrorsWithTheirLines) {
  std::string data =
      "a,b,c\n"
      "1,2,3\n"
      "\"x\ny\",2\n"             // line 3, spans 2 lines, too few fields
      "4,5,6\n"                  // line 5
      "7,8,9,10\n"               // line 6, too many fields
      "\"p\r\nq\",\"r\ns\",t\n"  // line 7, spans 3 lines
      "1,2\n";                   // line 10
  ReadOutcome got = ReadString(Format::kCsv, data);
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{2, 5, 7}));
  ASSERT_EQ(got.errors.size(), 3u);
  EXPECT_EQ(got.errors[0].line, 3u);
  EXPECT_EQ(got.errors[0].byte_offset, data.find("\"x"));
  EXPECT_EQ(got.errors[0].raw, "\"x\ny\",2");
  EXPECT_EQ(got.errors[0].message, "expected 3 fields, found 2");
  for (const RowError& e : got.errors) {
    EXPECT_EQ(e.kind, RowErrorKind::kRagged);
    EXPECT_EQ(e.hint,
              "every line needs as many fields as the header; check the delimiter and that "
              "fields holding it are quoted");
  }
  EXPECT_EQ(got.errors[1].line, 6u);
  EXPECT_EQ(got.errors[1].message, "expected 3 fields, found 4");
  EXPECT_EQ(got.errors[2].line, 10u);
  EXPECT_EQ(got.errors[2].raw, "1,2");
}

TEST(CsvReaderTest, UnterminatedQuoteFailsAfterTheRowsBeforeIt) {
  Result<std::unique_ptr<RecordReader>> reader = OpenReader(
      Format::kCsv, StringInput("a,b\n1,2\n3,4\n5,\"open\nstill open\n", 3), ReaderOptions());
  ASSERT_TRUE(reader.has_value());
  TextBatch batch;
  CollectingErrors errors;
  Result<size_t> first = (*reader)->ReadBatch(batch, errors);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 2u);
  Result<size_t> second = (*reader)->ReadBatch(batch, errors);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), StatusCode::kInvalidData);
  EXPECT_EQ(second.error().message(), "line 4: unterminated quoted field");
  // The error sticks.
  EXPECT_FALSE((*reader)->ReadBatch(batch, errors).has_value());
}

TEST(CsvReaderTest, TooLongRecordsAreSkippedToTheirEnd) {
  std::string long_field(200, 'x');
  std::string data = "a,b\n1,short\n2,\"" + long_field + "\n,\"\"\n" + long_field +
                     "\"\n3,ok\r\n4," + long_field + "\r\n5,end\n";
  ReaderOptions options;
  options.max_record_bytes = 64;
  ReadOutcome whole = ReadString(Format::kCsv, data, 1 << 20, options);
  ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
  EXPECT_EQ(whole.rows,
            (std::vector<Row>{Cells({"1", "short"}), Cells({"3", "ok"}), Cells({"5", "end"})}));
  EXPECT_EQ(whole.lines, (std::vector<uint64_t>{2, 6, 8}));
  ASSERT_EQ(whole.errors.size(), 2u);
  EXPECT_EQ(whole.errors[0].line, 3u);
  EXPECT_EQ(whole.errors[0].byte_offset, data.find("2,"));
  EXPECT_EQ(whole.errors[0].message, "record longer than max_record_bytes (64 bytes)");
  EXPECT_EQ(whole.errors[0].raw.substr(0, 5), "2,\"xx");
  EXPECT_EQ(whole.errors[0].kind, RowErrorKind::kTooLong);
  EXPECT_EQ(whole.errors[0].hint,
            "sluice reads records of at most 64 bytes; check for an unbalanced quote or "
            "bracket that runs on, or split the record");
  EXPECT_EQ(whole.errors[1].kind, RowErrorKind::kTooLong);
  EXPECT_EQ(whole.errors[1].line, 7u);
  // Read in small pieces, the long records never fit the window and are skipped
  // byte by byte: the outcome must not change, except that the reported text is
  // what was buffered when the record was found too long.
  for (size_t chunk : {1, 7, 4096}) {
    SCOPED_TRACE(chunk);
    ReadOutcome pieces = ReadString(Format::kCsv, data, chunk, options);
    for (RowError& e : pieces.errors) e.raw = "";
    for (RowError& e : whole.errors) e.raw = "";
    EXPECT_EQ(pieces, whole);
  }
}

// An open quote at the end of input is damage whether or not the record was
// already too long to hold.
TEST(CsvReaderTest, TooLongRecordWithAnOpenQuoteIsUnterminated) {
  ReaderOptions options = Dialect(',', '"', true);
  options.max_record_bytes = 8;
  for (size_t chunk : {2, 1 << 20}) {
    SCOPED_TRACE(chunk);
    ReadOutcome got =
        ReadString(Format::kCsv, "a\n1\n\"" + std::string(100, 'z') + "\n,", chunk, options);
    EXPECT_EQ(got.rows, (std::vector<Row>{Cells({"1"})}));
    EXPECT_EQ(got.status.message(), "line 3: unterminated quoted field");
  }
}

TEST(CsvReaderTest, HeaderMustBeValidUtf8) {
  ReadOutcome got = ReadString(Format::kCsv, "ok,bad\xFF\n1,2\n", 1 << 20, Dialect(',', '"', true));
  EXPECT_EQ(got.status.code(), StatusCode::kInvalidData);
  EXPECT_EQ(got.status.message(), "line 1: column name 2 is not valid UTF-8");
  // Cells are not checked here: validation does that later.
  ReadOutcome cells = ReadString(Format::kCsv, "a,b\n1,bad\xFF\n");
  EXPECT_TRUE(cells.status.ok());
  EXPECT_EQ(cells.rows, (std::vector<Row>{Cells({"1", "bad\xFF"})}));
}

TEST(CsvReaderTest, HeaderProblemsAreStreamErrors) {
  EXPECT_EQ(ReadString(Format::kCsv, "a,\"b\n").status.message(),
            "line 1: unterminated quoted field");
  ReaderOptions options;
  options.max_record_bytes = 4;
  EXPECT_EQ(ReadString(Format::kCsv, "abc,def\n1,2\n", 1 << 20, options).status.code(),
            StatusCode::kInvalidData);
}

TEST(CsvReaderTest, HeaderNamesAreKeptAsTheyAre) {
  ReadOutcome got = ReadString(Format::kCsv, " Name ,\"a,b\",,\"x\"\"y\"\nq,r,s,t\n", 1 << 20,
                               Dialect(',', '"', true));
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.columns, (std::vector<std::string>{" Name ", "a,b", "", "x\"y"}));
}

TEST(CsvSniffTest, SemicolonWithQuotes) {
  ReadOutcome got =
      ReadString(Format::kCsv, ReadFile(kTestData + "/datasets/student-mat.csv"), 4096);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_TRUE(got.errors.empty());
  ASSERT_TRUE(got.dialect.has_value());
  EXPECT_EQ(got.dialect->delimiter, ';');
  EXPECT_EQ(got.dialect->quote, '"');
  EXPECT_EQ(got.dialect->header, true);
  EXPECT_EQ(got.rows.size(), 395u);
  ASSERT_EQ(got.columns.size(), 33u);
  EXPECT_EQ(got.columns.front(), "school");
  EXPECT_EQ(got.columns.back(), "G3");
  EXPECT_EQ(got.rows[0][0], "GP");
  EXPECT_EQ(got.rows[0][2], "18");
  EXPECT_EQ(got.rows[0][30], "5");
}

TEST(CsvSniffTest, DelimiterCandidates) {
  struct Case {
    std::string data;
    char delimiter;
  };
  for (const Case& c : std::vector<Case>{
           {"a\tb\tc\n1\t2,5\t3\n4\t5,5\t6\n", '\t'},
           {"a|b\n1|x,y\n2|z;w\n", '|'},
           {"a;b\n\"1;2\";3\n4;\"5\"\n", ';'},
           {"a,b;c\n1,2;3\n", ','},  // a tie goes to ','
           {"single\nvalue\nlines\n", ','},
       }) {
    SCOPED_TRACE(c.data);
    ReadOutcome got = ReadString(Format::kCsv, c.data);
    ASSERT_TRUE(got.status.ok());
    EXPECT_TRUE(got.errors.empty());
    EXPECT_EQ(got.dialect->delimiter, c.delimiter);
  }
}

TEST(CsvSniffTest, SingleQuoteWhenItExplainsTheFields) {
  ReadOutcome got = ReadString(Format::kCsv, "id,name\n1,'Smith, J'\n2,'Doe, A'\n3,Roe\n");
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.dialect->quote, '\'');
  EXPECT_EQ(got.rows[0], Cells({"1", "Smith, J"}));
}

TEST(CsvSniffTest, HeaderOrNot) {
  ReadOutcome numbers = ReadString(Format::kCsv, "1,2.5,2024-01-02\n3,4.5,2024-02-03\n");
  ASSERT_TRUE(numbers.status.ok());
  EXPECT_EQ(numbers.dialect->header, false);
  EXPECT_EQ(numbers.columns, (std::vector<std::string>{"column_1", "column_2", "column_3"}));
  EXPECT_EQ(numbers.rows.size(), 2u);
  EXPECT_EQ(numbers.lines[0], 1u);

  ReadOutcome names = ReadString(Format::kCsv, "id,price\n1,2.5\n3,4.5\n");
  EXPECT_EQ(names.dialect->header, true);
  EXPECT_EQ(names.rows.size(), 2u);

  // All text: a header unless the first row repeats a value or has an empty one.
  EXPECT_EQ(ReadString(Format::kCsv, "city,country\nParis,France\n").dialect->header, true);
  EXPECT_EQ(ReadString(Format::kCsv, "yes,yes\nno,yes\n").dialect->header, false);
  EXPECT_EQ(ReadString(Format::kCsv, "Paris,,France\nRome,x,Italy\n").dialect->header, false);
  // A lone row of numbers is data.
  EXPECT_EQ(ReadString(Format::kCsv, "1,2,3\n").dialect->header, false);
  // An empty first header name does not outvote typed columns.
  EXPECT_EQ(ReadString(Format::kCsv, ",a,b\n0,1,2\n1,3,4\n").dialect->header, true);
}

TEST(CsvSniffTest, GivenDialectIsUsed) {
  ReadOutcome got = ReadString(Format::kCsv, "1;2\n3;4\n", 1 << 20, Dialect(';', '"', true));
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.columns, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(got.rows, (std::vector<Row>{Cells({"3", "4"})}));
  ASSERT_TRUE(got.dialect.has_value());
  EXPECT_EQ(got.dialect->delimiter, ';');
  EXPECT_EQ(got.dialect->header, true);

  ReaderOptions only_header;
  only_header.csv.header = false;
  ReadOutcome partial = ReadString(Format::kCsv, "a|b\nc|d\n", 1 << 20, only_header);
  EXPECT_EQ(partial.dialect->delimiter, '|');
  EXPECT_EQ(partial.rows.size(), 2u);
}

TEST(CsvSniffTest, TsvForcesTab) {
  ReadOutcome got = ReadString(Format::kTsv, "a,b\tc\n1,2\t3\n");
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.dialect->delimiter, '\t');
  EXPECT_EQ(got.columns, (std::vector<std::string>{"a,b", "c"}));
  EXPECT_EQ(got.rows, (std::vector<Row>{Cells({"1,2", "3"})}));
}

TEST(CsvSniffTest, BomAndCrlf) {
  ReadOutcome got = ReadString(Format::kCsv, "\xEF\xBB\xBFname;n\r\nx;1\r\ny;2\r\n", 2);
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.dialect->delimiter, ';');
  EXPECT_EQ(got.columns, (std::vector<std::string>{"name", "n"}));
  EXPECT_EQ(got.rows, (std::vector<Row>{Cells({"x", "1"}), Cells({"y", "2"})}));
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{2, 3}));
}

}  // namespace
}  // namespace sluice::testing

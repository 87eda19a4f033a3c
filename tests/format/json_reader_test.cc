#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "format/record_reader.h"
#include "read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

const std::string kSuite =
    std::string(SLUICE_TEST_DATA_DIR) + "/conformance/jsontestsuite/test_parsing";

Cell At(const ReadOutcome& got, size_t row, std::string_view column) {
  auto it = std::find(got.columns.begin(), got.columns.end(), column);
  EXPECT_NE(it, got.columns.end()) << column;
  if (it == got.columns.end()) return Cell();
  return got.rows[row][it - got.columns.begin()];
}

// Checks `got` against what simdjson makes of the whole document at once.
void ExpectSameAsWholeDocument(const std::string& data, const ReadOutcome& got) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(data).get(doc), simdjson::SUCCESS);
  if (!doc.is_array() && !doc.is_object()) {
    EXPECT_EQ(got.status.message(),
              "line 1: top-level value must be an object or an array of objects");
    return;
  }
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  std::vector<simdjson::dom::object> objects;
  size_t others = 0;
  if (doc.is_object()) {
    objects.push_back(doc.get_object());
  } else {
    for (simdjson::dom::element e : doc.get_array()) {
      if (e.is_object()) {
        objects.push_back(e.get_object());
      } else {
        ++others;
      }
    }
  }
  ASSERT_EQ(got.rows.size(), objects.size());
  EXPECT_EQ(got.errors.size(), others);
  for (size_t r = 0; r < objects.size(); ++r) {
    for (auto [key, value] : objects[r]) {
      // A repeated key keeps its last value: look the key up again.
      simdjson::dom::element last;
      for (auto [k, v] : objects[r]) {
        if (k == key) last = v;
      }
      Cell cell = At(got, r, key);
      if (last.is_null()) {
        EXPECT_FALSE(cell.has_value()) << key;
      } else if (last.is_string()) {
        EXPECT_EQ(cell, std::string(last.get_string().value())) << key;
      } else {
        EXPECT_TRUE(cell.has_value()) << key;
      }
    }
  }
}

// JSONTestSuite: n_ files must fail, y_ files must read as simdjson reads them
// whole, i_ files may go either way; nothing may crash, and the outcome must not
// depend on where the stream's pieces end.
TEST(JsonTestSuiteTest, EveryFile) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kSuite))
    files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 300u);
  size_t rejected = 0;
  for (const std::filesystem::path& path : files) {
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    const std::string data = ReadFile(path.string());
    ReadOutcome got = ReadString(Format::kJson, data);
    if (name.starts_with("n_")) {
      EXPECT_EQ(got.status.code(), StatusCode::kInvalidData);
      EXPECT_TRUE(got.status.message().starts_with("line ")) << got.status.message();
      ++rejected;
    } else if (name.starts_with("y_")) {
      ExpectSameAsWholeDocument(data, got);
    }
    for (size_t chunk : {1, 7}) {
      if (chunk == 1 && data.size() > 4096) continue;
      SCOPED_TRACE(chunk);
      EXPECT_EQ(ReadString(Format::kJson, data, chunk), got);
    }
  }
  EXPECT_GT(rejected, 180u);
}

TEST(JsonReaderTest, ValuesBecomeText) {
  std::string data = R"([
  {"s": "a\"b\n\u00e9", "i": -42, "u": 18446744073709551615, "f": 0.1, "e": 1e300,
   "one": 1.0, "t": true, "fa": false, "n": null,
   "nested": {"x": [1, 2.5, "y"], "z": {}}, "": "empty key", "a\u0000b": "nul key"},
  {"s": "first", "s": "last wins", "new": 7}
])";
  ReadOutcome got = ReadString(Format::kJson, data);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_TRUE(got.errors.empty());
  ASSERT_EQ(got.rows.size(), 2u);
  EXPECT_EQ(got.columns, (std::vector<std::string>{"s", "i", "u", "f", "e", "one", "t", "fa", "n",
                                                   "nested", "", std::string("a\0b", 3), "new"}));
  EXPECT_EQ(At(got, 0, "s"), "a\"b\n\xC3\xA9");
  EXPECT_EQ(At(got, 0, "i"), "-42");
  EXPECT_EQ(At(got, 0, "u"), "18446744073709551615");
  EXPECT_EQ(At(got, 0, "f"), "0.1");
  EXPECT_EQ(At(got, 0, "e"), "1e+300");
  EXPECT_EQ(At(got, 0, "one"), "1");
  EXPECT_EQ(At(got, 0, "t"), "true");
  EXPECT_EQ(At(got, 0, "fa"), "false");
  EXPECT_EQ(At(got, 0, "n"), std::nullopt);
  EXPECT_EQ(At(got, 0, "nested"), R"({"x":[1,2.5,"y"],"z":{}})");
  EXPECT_EQ(At(got, 0, ""), "empty key");
  EXPECT_EQ(At(got, 0, std::string("a\0b", 3)), "nul key");
  // A column first seen in a later row is null in the earlier ones, and the
  // other way round.
  EXPECT_EQ(At(got, 0, "new"), std::nullopt);
  EXPECT_EQ(At(got, 1, "s"), "last wins");
  EXPECT_EQ(At(got, 1, "new"), "7");
  EXPECT_EQ(At(got, 1, "i"), std::nullopt);
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{2, 5}));
  EXPECT_EQ(got.offsets[1], data.find(R"({"s": "first")"));
  EXPECT_EQ(got.raws[1], R"({"s": "first", "s": "last wins", "new": 7})");
  EXPECT_TRUE(got.raws[0].starts_with(R"({"s": "a\"b\n\u00e9", "i": -42,)"));
  EXPECT_TRUE(got.raws[0].ends_with(R"("a\u0000b": "nul key"})"));
}

TEST(JsonReaderTest, OneObjectOrAnEmptyArray) {
  ReadOutcome one = ReadString(Format::kJson, "\xEF\xBB\xBF\n  {\"a\": 1}\n\n");
  ASSERT_TRUE(one.status.ok());
  EXPECT_EQ(one.rows, (std::vector<Row>{{Cell("1")}}));
  EXPECT_EQ(one.lines, (std::vector<uint64_t>{2}));

  ReadOutcome none = ReadString(Format::kJson, " [ \n ] ");
  EXPECT_TRUE(none.status.ok());
  EXPECT_TRUE(none.rows.empty());
  EXPECT_TRUE(none.errors.empty());
}

TEST(JsonReaderTest, ElementsThatAreNotObjectsAreRowErrors) {
  ReadOutcome got =
      ReadString(Format::kJson, "[{\"a\":1},\n 2,\n \"x\",\n [{\"a\":2}],\n null,\n{\"a\":3}]");
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.rows, (std::vector<Row>{{Cell("1")}, {Cell("3")}}));
  EXPECT_EQ(got.lines, (std::vector<uint64_t>{1, 6}));
  ASSERT_EQ(got.errors.size(), 4u);
  EXPECT_EQ(got.errors[0].line, 2u);
  EXPECT_EQ(got.errors[0].raw, "2");
  EXPECT_EQ(got.errors[0].message, "array element is not a JSON object");
  EXPECT_EQ(got.errors[2].raw, "[{\"a\":2}]");
  EXPECT_EQ(got.errors[3].line, 5u);
  for (const RowError& e : got.errors) {
    EXPECT_EQ(e.kind, RowErrorKind::kJson);
    EXPECT_EQ(e.hint, "each element of the top-level array must be a JSON object, {...}");
  }
}

TEST(JsonReaderTest, SyntaxErrorsFailTheReadNamingTheLine) {
  struct Case {
    std::string data;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "line 1: empty JSON document"},
           {"\n 42", "line 2: top-level value must be an object or an array of objects"},
           {"\"text\"", "line 1: top-level value must be an object or an array of objects"},
           {"[{\"a\":1},\n]", "line 2: expected a JSON value"},
           {"[{\"a\":1}\n{\"a\":2}]", "line 2: expected ',' or ']' after an array element"},
           {"[{\"a\":1}]\n,", "line 2: unexpected data after the top-level value"},
           {"{\"a\":1} {}", "line 1: unexpected data after the top-level value"},
           {"[{\"a\":1},\n{\"a\":2}\n", "line 3: unterminated array"},
           {"[{\"a\":1},\n{\"a\":\n", "line 2: unexpected end of input inside a value"},
           {"[{\"a\":1},\n\n{\"a\":\"\xFF\"}]", "line 3: invalid JSON: "},
           {"[{\"a\":1},\n{\"a\":01}]", "line 2: invalid JSON: "},
           {"[{\"a\":1}, tru]", "line 1: invalid JSON: "},
           {"[\f{\"a\":1}]", "line 1: invalid JSON: "},
       }) {
    SCOPED_TRACE(c.data);
    for (size_t chunk : {1, 1 << 20}) {
      ReadOutcome got = ReadString(Format::kJson, c.data, chunk);
      EXPECT_EQ(got.status.code(), StatusCode::kInvalidData);
      EXPECT_TRUE(got.status.message().starts_with(c.message)) << got.status.message();
    }
  }
}

TEST(JsonReaderTest, RowsBeforeAnErrorComeFirst) {
  Result<std::unique_ptr<RecordReader>> reader =
      OpenReader(Format::kJson, StringInput("[{\"a\":1},{\"a\":2},{\"a\":3,}]"), ReaderOptions());
  ASSERT_TRUE(reader.has_value());
  TextBatch batch;
  CollectingErrors errors;
  Result<size_t> first = (*reader)->ReadBatch(batch, errors);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 2u);
  Result<size_t> second = (*reader)->ReadBatch(batch, errors);
  ASSERT_FALSE(second.has_value());
  EXPECT_TRUE(second.error().message().starts_with("line 1: invalid JSON"))
      << second.error().message();
  EXPECT_FALSE((*reader)->ReadBatch(batch, errors).has_value());
}

TEST(JsonReaderTest, ColumnsCarryOverBetweenBatches) {
  ReaderOptions options;
  options.batch_rows = 1;
  Result<std::unique_ptr<RecordReader>> reader =
      OpenReader(Format::kJson, StringInput("[{\"a\":1},{\"b\":2},{\"a\":3}]"), options);
  ASSERT_TRUE(reader.has_value());
  TextBatch batch;
  CollectingErrors errors;
  ASSERT_EQ(*(*reader)->ReadBatch(batch, errors), 1u);
  EXPECT_EQ(batch.columns(), (std::vector<std::string>{"a"}));
  ASSERT_EQ(*(*reader)->ReadBatch(batch, errors), 1u);
  EXPECT_EQ(batch.columns(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(batch.IsNull(0, 0));
  EXPECT_EQ(batch.Cell(0, 1), "2");
  TextBatch fresh;
  ASSERT_EQ(*(*reader)->ReadBatch(fresh, errors), 1u);
  EXPECT_EQ(fresh.columns(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(fresh.Cell(0, 0), "3");
  EXPECT_TRUE(fresh.IsNull(0, 1));
  EXPECT_EQ(*(*reader)->ReadBatch(fresh, errors), 0u);
}

std::string BigArray(size_t n) {
  std::string data = "[\n";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) data += ",\n";
    data += "  {\"id\": " + std::to_string(i) + ", \"name\": \"n\\\"" + std::to_string(i) +
            "\", \"tags\": [\"x\", {\"y\": [" + std::to_string(i % 7) + "]}]}";
  }
  return data + "\n]\n";
}

TEST(JsonReaderTest, ChunkBoundariesGiveIdenticalBatches) {
  const std::string data = BigArray(300);
  ReaderOptions options;
  options.batch_rows = 128;
  ReadOutcome whole = ReadString(Format::kJson, data, 1 << 20, options);
  ASSERT_TRUE(whole.status.ok());
  EXPECT_EQ(whole.batch_sizes, (std::vector<size_t>{128, 128, 44}));
  EXPECT_EQ(whole.rows[299], (Row{Cell("299"), Cell("n\"299"), Cell(R"(["x",{"y":[5]}])")}));
  EXPECT_EQ(whole.lines[299], 301u);
  for (size_t chunk : {1, 2, 3, 7, 4096}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(ReadString(Format::kJson, data, chunk, options), whole);
  }
}

TEST(JsonReaderTest, ALargeArrayStreamsInBatches) {
  ReadOutcome got = ReadString(Format::kJson, BigArray(50000), 64 << 10);
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.rows.size(), 50000u);
  EXPECT_EQ(got.batch_sizes.front(), 8192u);
}

TEST(JsonReaderTest, TooLongElementsAreSkipped) {
  std::string data = "[{\"a\":\"short\"},\n{\"a\":\"" + std::string(100, 'x') +
                     "\\\"]}\"},\n{\"a\":\"ok\"}, [" + std::string(100, '1') + "]]";
  ReaderOptions options;
  options.max_record_bytes = 32;
  ReadOutcome whole = ReadString(Format::kJson, data, 1 << 20, options);
  ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
  EXPECT_EQ(whole.rows, (std::vector<Row>{{Cell("short")}, {Cell("ok")}}));
  EXPECT_EQ(whole.lines, (std::vector<uint64_t>{1, 3}));
  ASSERT_EQ(whole.errors.size(), 2u);
  EXPECT_EQ(whole.errors[0].line, 2u);
  EXPECT_EQ(whole.errors[0].message, "record longer than max_record_bytes (32 bytes)");
  EXPECT_EQ(whole.errors[0].kind, RowErrorKind::kTooLong);
  EXPECT_EQ(whole.errors[1].kind, RowErrorKind::kTooLong);
  for (size_t chunk : {1, 7}) {
    SCOPED_TRACE(chunk);
    ReadOutcome pieces = ReadString(Format::kJson, data, chunk, options);
    for (RowError& e : pieces.errors) e.raw = "";
    for (RowError& e : whole.errors) e.raw = "";
    EXPECT_EQ(pieces, whole);
  }
}

// A document that is one object is one record: over max_record_bytes it fails
// the read, naming the limit and the line it starts on; at the limit it loads.
TEST(JsonReaderTest, ADocumentOfOneObjectOverTheLimitFailsTheRead) {
  ReaderOptions options;
  options.max_record_bytes = 64;
  const std::string at_limit = "{\"a\":\"" + std::string(56, 'x') + "\"}";
  for (size_t chunk : {1, 7, 1 << 20}) {
    SCOPED_TRACE(chunk);
    ReadOutcome ok = ReadString(Format::kJson, "\n" + at_limit + "\n", chunk, options);
    ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
    EXPECT_EQ(ok.rows, (std::vector<Row>{{Cell(std::string(56, 'x'))}}));
    for (const std::string& big :
         {"{\"a\":\"" + std::string(57, 'x') + "\"}", "{\"a\":\"" + std::string(5000, 'x')}) {
      ReadOutcome got = ReadString(Format::kJson, "\n" + big, chunk, options);
      EXPECT_EQ(got.status.code(), StatusCode::kInvalidData);
      EXPECT_EQ(got.status.message(),
                "line 2: the document, one JSON object, is longer than max_record_bytes (64 "
                "bytes); an array of objects is read element by element");
      EXPECT_TRUE(got.rows.empty());
      EXPECT_TRUE(got.errors.empty());
    }
  }
}

// An element of MiBs over the limit in an array: a row error, the elements
// around it load.
TEST(JsonReaderTest, AVeryLongElementAmongGoodOnesIsOneRowError) {
  std::string data = "[{\"a\":1},\n{\"a\":\"" + std::string(6 << 20, 'y') + "\"},\n{\"a\":2}]";
  ReaderOptions options;
  options.max_record_bytes = 1 << 20;
  ReadOutcome got = ReadString(Format::kJson, data, 1 << 16, options);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.rows, (std::vector<Row>{{Cell("1")}, {Cell("2")}}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].line, 2u);
  EXPECT_EQ(got.errors[0].kind, RowErrorKind::kTooLong);
  EXPECT_LE(got.errors[0].raw.size(), 4096u);
}

}  // namespace
}  // namespace sluice::testing

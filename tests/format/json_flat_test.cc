// Tests of ParseFlatObject (json_flat.h) against simdjson's DOM: whatever it
// accepts, simdjson accepts with the same keys and values, and the rows built
// from either are the same cells (JsonRowBuilder); what it declines includes
// every invalid line tried.
#include "format/json_flat.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "format/json_row.h"
#include "format/record_reader.h"
#include "read_all.h"

namespace sluice::testing {
namespace {

// `text` followed by the padding ParseFlatObject requires (digits, so that
// reading past the end would show as a wrong value); the view is of `text`.
std::string_view Padded(const std::string& text, std::string& storage) {
  storage = text + std::string(simdjson::SIMDJSON_PADDING, '7');
  return std::string_view(storage.data(), text.size());
}

// ParseFlatObject on `text`, padded; `fields` point into a buffer kept until the
// next call.
bool Flat(const std::string& text, std::vector<FlatField>& fields) {
  static std::string storage;
  return ParseFlatObject(Padded(text, storage), fields);
}

// True if simdjson parses `text` as an object with exactly `fields`; explains in
// `why` otherwise.
bool SameAsSimdjson(const std::string& text, const std::vector<FlatField>& fields,
                    std::string& why) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (auto error = parser.parse(text).get(element)) {
    why = std::string("simdjson rejects it: ") + simdjson::error_message(error);
    return false;
  }
  simdjson::dom::object object;
  if (element.get_object().get(object)) {
    why = "simdjson: not an object";
    return false;
  }
  why = FlatDifference(fields, object);
  return why.empty();
}

// "" if `a` and `b` are the same fields (keys, kinds, values; strings by their
// bytes, doubles by their bits), else what differs.
std::string FieldsDiffer(const std::vector<FlatField>& a, const std::vector<FlatField>& b) {
  if (a.size() != b.size()) return "field counts differ";
  for (size_t i = 0; i < a.size(); ++i) {
    const FlatField& x = a[i];
    const FlatField& y = b[i];
    const bool same = x.key == y.key && x.kind == y.kind &&
                      (x.kind != FlatKind::kString || x.string == y.string) &&
                      (x.kind != FlatKind::kInteger || x.integer == y.integer) &&
                      (x.kind != FlatKind::kDouble ||
                       std::bit_cast<uint64_t>(x.number) == std::bit_cast<uint64_t>(y.number));
    if (!same) return "field " + std::to_string(i) + " differs";
  }
  return "";
}

// The keys of the usual sensor line, as a reader expects them after one such line.
const FlatKeys& SensorKeys() {
  static const FlatKeys keys = [] {
    FlatKeys k;
    size_t i = 0;
    for (const char* key : {"sensor_id", "ts", "temperature", "humidity", "pressure", "status"}) {
      k.Set(i++, key);
    }
    return k;
  }();
  return keys;
}

// The other ways of reading `text` must agree with ParseFlatObject alone (verdict
// and fields): with expected keys, and as a JSON Lines line (ParseFlatLine: up to
// its first LF, followed by another line or by nothing).
void CheckOtherWays(const std::string& text, bool accepted, const std::vector<FlatField>& fields) {
  std::string storage;
  std::vector<FlatField> other;
  const std::string_view padded = Padded(text, storage);
  EXPECT_EQ(ParseFlatObject(padded, other, &SensorKeys()), accepted) << text;
  if (accepted) EXPECT_EQ(FieldsDiffer(fields, other), "") << text;

  // As a line: its end is the first LF, and what comes after does not matter.
  const size_t lf = text.find('\n');
  const std::string line = text.substr(0, lf);
  std::vector<FlatField> line_fields;
  std::string line_storage;
  const bool line_accepted = lf == std::string::npos ? accepted
                                                     : ParseFlatObject(Padded(line, line_storage),
                                                                       line_fields, &SensorKeys());
  if (lf == std::string::npos) line_fields = fields;
  for (const std::string& after : {std::string(), std::string("\n{\"a\":1}\n")}) {
    if (lf != std::string::npos && !after.empty()) continue;
    const std::string all = text + after;
    std::string all_storage;
    const std::string_view view = Padded(all, all_storage);
    const char* end = ParseFlatLine(view.data(), view.data() + view.size(), other, &SensorKeys());
    if (!line_accepted) {
      EXPECT_EQ(end, nullptr) << text;
      continue;
    }
    ASSERT_NE(end, nullptr) << text;
    EXPECT_EQ(static_cast<size_t>(end - view.data()), line.size()) << text;
    EXPECT_EQ(FieldsDiffer(line_fields, other), "") << text;
  }
}

// Accepted ⇒ simdjson gives the same; returns whether it was accepted.
bool CheckLine(const std::string& text) {
  std::vector<FlatField> fields;
  const bool accepted = Flat(text, fields);
  CheckOtherWays(text, accepted, fields);
  if (!accepted) return false;
  std::string why;
  EXPECT_TRUE(SameAsSimdjson(text, fields, why)) << text << ": " << why;
  return true;
}

TEST(JsonFlatTest, TheUsualLinesAreAccepted) {
  for (
      const char* line : {
          R"({"sensor_id":1161,"ts":"2026-03-01T00:00:00.019Z","temperature":29.39,"humidity":63.858,"pressure":1010.234,"status":"maintenance"})",
          R"(  { "a" : 1 , "b" : -2.5e3 , "c" : true , "d" : false , "e" : null , "f" : "" }  )",
          "{\"a\":\t0,\r\n\"b\":0.0,\"c\":-1,\"d\":1E2,\"e\":1e-2,\"f\":1.5E+2}\r",
          R"({"a":123456789012345678,"b":-123456789012345678})",
          R"({"a":0.1,"b":0.000001,"c":9007199254740.992,"d":1e22,"e":1e-22})",
          R"({"a":"~ !#$%&'()*+,-./:;<=>?@[]^_`{|}","a":"again"})",
          "{\"del\":\"\x7F\"}",
      }) {
    EXPECT_TRUE(CheckLine(line)) << line;
  }
}

TEST(JsonFlatTest, InvalidLinesAreDeclined) {
  for (const char* line : {
           "",
           " ",
           "{",
           "}",
           "{}x",
           R"({"a":1,})",
           R"({"a":1 "b":2})",
           R"({"a" 1})",
           R"({"a":})",
           R"({a:1})",
           R"({"a":1}})",
           R"({"a":1} x)",
           R"({"a":1}{"b":2})",
           R"({"a":01})",
           R"({"a":1.})",
           R"({"a":.5})",
           R"({"a":-})",
           R"({"a":1e})",
           R"({"a":1e+})",
           R"({"a":+1})",
           R"({"a":1.5.3})",
           R"({"a":1x})",
           R"({"a":0x10})",
           R"({"a":truex})",
           R"({"a":tru})",
           R"({"a":nul})",
           R"({"a":True})",
           R"({"a":NaN})",
           R"({"a":Infinity})",
           R"({"a":"x)",
           R"({"a":"x\"})",
           "{\"a\":\"\t\"}",
           "{\"a\":\"\x01\"}",
           "{\"a\":\"\xFF\"}",
           "{\"a\":\"\xC3\"}",
           "{\"\x80\":1}",
           "{\"a\":1}\v",
           "\f{\"a\":1}",
           R"({'a':1})",
           R"([{"a":1}])",
           R"("a")",
           "1",
       }) {
    std::vector<FlatField> fields;
    EXPECT_FALSE(Flat(line, fields)) << line;
  }
}

// Valid JSON outside the subset, left to simdjson.
TEST(JsonFlatTest, OtherValidLinesAreDeclined) {
  for (const char* line : {
           R"({})",
           R"({"a":[1]})",
           R"({"a":{"b":1}})",
           R"({"a\n":1})",
           R"({"a":"\u00e9"})",
           "{\"a\":\"\xC3\xA9\"}",
           R"({"a":-0})",
           R"({"a":-0.0})",
           R"({"a":-0e5})",
           R"({"a":1234567890123456789})",
           R"({"a":18446744073709551615})",
           R"({"a":9007199254740993.0})",
           R"({"a":1e23})",
           R"({"a":1e-23})",
           R"({"a":0.00000000000000000001})",
           R"({"a":1e00001})",
       }) {
    std::vector<FlatField> fields;
    EXPECT_FALSE(Flat(line, fields)) << line;
  }
}

// Every file of JSONTestSuite: accepted only if simdjson accepts it with the same
// values (so no n_ file is ever accepted), and the y_ files that are flat objects
// are accepted, so the fast path is what reads them.
TEST(JsonFlatTest, JsonTestSuiteVerdictsAreSimdjsons) {
  const std::string suite =
      std::string(SLUICE_TEST_DATA_DIR) + "/conformance/jsontestsuite/test_parsing";
  size_t files = 0;
  std::vector<std::string> accepted;
  for (const auto& entry : std::filesystem::directory_iterator(suite)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    ++files;
    if (CheckLine(bytes.str())) accepted.push_back(entry.path().filename().string());
  }
  EXPECT_GT(files, 300u);
  for (const std::string& name : accepted) EXPECT_NE(name[0], 'n') << name;
  std::sort(accepted.begin(), accepted.end());
  for (const char* flat : {"y_object_basic.json", "y_object_duplicated_key.json",
                           "y_object_duplicated_key_and_value.json", "y_object_empty_key.json"}) {
    EXPECT_TRUE(std::binary_search(accepted.begin(), accepted.end(), flat)) << flat;
  }
}

// Decimals of every shape the subset takes, and beyond it, against simdjson's
// correctly rounded reading.
TEST(JsonFlatTest, RandomNumbersReadAsSimdjsonReadsThem) {
  std::mt19937_64 random(17);
  size_t accepted = 0;
  const int kLines = 200000;
  for (int i = 0; i < kLines; ++i) {
    std::string number;
    if (random() % 4 == 0) number += '-';
    const int int_digits = 1 + static_cast<int>(random() % 12);
    for (int d = 0; d < int_digits; ++d) {
      number +=
          static_cast<char>('0' + (d == 0 && int_digits > 1 ? 1 + random() % 9 : random() % 10));
    }
    if (random() % 4 != 0) {
      number += '.';
      const int frac_digits = 1 + static_cast<int>(random() % 10);
      for (int d = 0; d < frac_digits; ++d) number += static_cast<char>('0' + random() % 10);
    }
    if (random() % 5 == 0) {
      number += 'e';
      number += std::to_string(static_cast<int>(random() % 50) - 25);
    }
    accepted += CheckLine(R"({"n":)" + number + "}");
  }
  EXPECT_GT(accepted, kLines / 2);  // most are in the subset: the test reaches the fast path
}

// Lines cut short or with a byte changed: never accepted unless simdjson agrees.
TEST(JsonFlatTest, DamagedLinesAreAcceptedOnlyIfValid) {
  const std::string line =
      R"({"sensor_id":239,"ts":"2026-03-01T00:00:00.026Z","temperature":-7.57,"ok":true,"x":null,"p":1e3})";
  const std::string bytes = "\"\\{}[],:. -+eE019atfnulx\t\r\n\x80\xFF";
  std::mt19937 random(3);
  for (size_t cut = 0; cut <= line.size(); ++cut) CheckLine(line.substr(0, cut));
  for (size_t at = 0; at < line.size(); ++at) {
    for (char b : bytes) {
      std::string changed = line;
      changed[at] = b;
      CheckLine(changed);
      CheckLine(line.substr(0, at) + b + line.substr(at));  // inserted
    }
    CheckLine(line.substr(0, at) + line.substr(at + 1));  // deleted
  }
}

// Expected keys are a shortcut only: a key that is not the expected one (longer,
// shorter, another, cut short, outside the subset) is read as without them, and
// one that is, is marked.
TEST(JsonFlatTest, ExpectedKeysAreMarkedAndOthersReadAsWithout) {
  const std::string long_key(40, 'k');
  FlatKeys keys;
  keys.Set(0, "id");
  keys.Set(1, "name");
  keys.Set(2, "");
  keys.Set(3, long_key);
  keys.Set(4, "a\"b");  // never expected: not in the subset
  keys.Set(5, "back\\");
  const struct {
    std::string line;
    std::vector<bool> expected;  // empty: declined
  } cases[] = {
      {R"({"id":1,"name":"x","":2,")" + long_key + R"(":3})", {true, true, true, true}},
      {R"({ "id" : 1 , "name" :"x"})", {true, true}},
      {R"({"idx":1,"nam":"x","a":2,")" + long_key + R"(k":3})", {false, false, false, false}},
      {R"({"name":1,"id":2})", {false, false}},
      {R"({"id":1,"name":2,"":3,")" + long_key.substr(0, 20) + "j" + long_key.substr(21) +
           R"(":4})",
       {true, true, true, false}},
      {R"({"id":1,"name":2,"":3,"k":4,"a\"b":5})", {}},
      {R"({"id":1,"name":2,"":3,"k":4,"z":5,"back\\":6})", {}},
      {R"({"id)", {}},
      {R"({"id")", {}},
      {R"({"i)", {}},
      {R"({"id":1,"name)", {}},
  };
  for (const auto& c : cases) {
    std::string storage;
    std::vector<FlatField> with;
    std::vector<FlatField> without;
    const std::string_view text = Padded(c.line, storage);
    const bool accepted = ParseFlatObject(text, with, &keys);
    EXPECT_EQ(ParseFlatObject(text, without), accepted) << c.line;
    ASSERT_EQ(accepted, !c.expected.empty()) << c.line;
    if (!accepted) continue;
    EXPECT_EQ(FieldsDiffer(with, without), "") << c.line;
    std::vector<bool> marked;
    for (const FlatField& f : with) marked.push_back(f.expected);
    EXPECT_EQ(marked, c.expected) << c.line;
    std::string why;
    EXPECT_TRUE(SameAsSimdjson(c.line, with, why)) << c.line << ": " << why;
  }
}

// ParseFlatLine ends the line at its first LF: blanks (CR included) may come
// before it, anything after it; a LF inside the object (JSON whitespace
// elsewhere) ends the line too early, so the line is declined.
TEST(JsonFlatTest, LinesEndAtTheirFirstLf) {
  const struct {
    std::string text;
    long end;  // of the line, or -1: declined
  } cases[] = {
      {"{\"a\":1}\n{\"b\":2}\n", 7},
      {"{\"a\":1} \t\r\n", 10},
      {"{\"a\":1}\r\n", 8},
      {"{\"a\":1}", 7},
      {"  {\"a\" :\t1 }", 12},
      {"{\"a\":\n1}\n", -1},
      {"{\"a\":1\n}\n", -1},
      {"\n{\"a\":1}\n", -1},
      {"{\"a\":\"x\ny\"}\n", -1},
      {"{\"a\":1}x\n", -1},
      {"{\"a\":1}\n", 7},
  };
  for (const auto& c : cases) {
    std::string storage;
    std::vector<FlatField> fields;
    const std::string_view text = Padded(c.text, storage);
    const char* end = ParseFlatLine(text.data(), text.data() + text.size(), fields, nullptr);
    EXPECT_EQ(end == nullptr ? -1 : end - text.data(), c.end) << c.text;
  }
}

// The same row built from the flat fields and from simdjson's object: the same
// cells, texts and typed values, textless or not.
TEST(JsonFlatTest, RowsAreTheSameAsFromSimdjson) {
  const std::vector<std::string> lines = {
      R"({"id":1,"name":"a","t":21.5,"ok":true,"n":null})",
      R"({"name":"b","id":-2,"t":0.1,"ok":false,"new":"x"})",
      R"({"id":3,"t":1e3,"t":2.25,"name":""})",
      R"({"id":4,"t":1e3,"t":2.25,"name":"same keys: all expected"})",
      R"({"idx":5,"i":6,"t":7,"name":"keys that start as or are cut from the expected ones"})",
      R"({"id":8,"a\"b":1,"t":9})",
      R"({"id":10,"a\"b":2,"t":11})",
  };
  for (bool textless : {false, true}) {
    JsonRowBuilder flat_rows(100);
    JsonRowBuilder dom_rows(100);
    if (textless) {
      flat_rows.SetTextless({true, false, true, true, false, false});
      dom_rows.SetTextless({true, false, true, true, false, false});
    }
    TextBatch flat;
    TextBatch dom;
    flat_rows.StartBatch(flat);
    dom_rows.StartBatch(dom);
    simdjson::dom::parser parser;
    std::vector<FlatField> fields;
    std::string storage;
    for (size_t i = 0; i < lines.size(); ++i) {
      // The fields point into the raw text given with them, as in the readers.
      const std::string_view raw = Padded(lines[i], storage);
      simdjson::dom::object object;
      ASSERT_EQ(parser.parse(lines[i]).get_object().get(object), simdjson::SUCCESS);
      ASSERT_TRUE(dom_rows.AddRow(object, lines[i], i + 1, 0, dom).ok());
      // Lines with escapes go to simdjson, as in the readers, between flat ones
      // whose keys are then expected by position.
      const bool escaped = lines[i].find('\\') != std::string::npos;
      ASSERT_EQ(ParseFlatObject(raw, fields, &flat_rows.keys()), !escaped) << lines[i];
      if (escaped) {
        ASSERT_TRUE(flat_rows.AddRow(object, lines[i], i + 1, 0, flat).ok());
      } else {
        ASSERT_TRUE(flat_rows.AddRow(fields, raw, i + 1, 0, flat).ok());
      }
    }
    ASSERT_EQ(flat.columns(), dom.columns());
    ASSERT_EQ(flat.rows(), dom.rows());
    std::string a;
    std::string b;
    for (size_t c = 0; c < flat.columns().size(); ++c) {
      const TypedCells* ft = flat.Typed(c);
      const TypedCells* dt = dom.Typed(c);
      ASSERT_EQ(ft == nullptr, dt == nullptr) << c;
      for (size_t r = 0; r < flat.rows(); ++r) {
        EXPECT_EQ(flat.IsNull(r, c), dom.IsNull(r, c)) << r << "," << c;
        EXPECT_EQ(flat.CellText(r, c, a), dom.CellText(r, c, b)) << r << "," << c;
        EXPECT_EQ(flat.Raw(r), dom.Raw(r));
        if (ft != nullptr) {
          EXPECT_EQ(ft->kinds[r], dt->kinds[r]) << r << "," << c;
          EXPECT_EQ(ft->ints[r], dt->ints[r]) << r << "," << c;
        }
      }
    }
  }
}

// Objects wider than the positions whose keys are expected (4096) read the
// same: keys past them are found by search, the first ones still expected.
TEST(JsonFlatTest, WideObjectsReadTheSameAsFromSimdjson) {
  std::vector<std::string> lines;
  for (int line = 0; line < 3; ++line) {
    std::string text = "{";
    for (int k = 0; k < 5000; ++k) {
      // The third line swaps two keys past 4096 and two before it.
      int key = line == 2 && (k == 10 || k == 4500)   ? k + 1
                : line == 2 && (k == 11 || k == 4501) ? k - 1
                                                      : k;
      text +=
          (k == 0 ? "\"k" : ",\"k") + std::to_string(key) + "\":" + std::to_string(k * 3 + line);
    }
    lines.push_back(text + "}");
  }
  JsonRowBuilder flat_rows(10000);
  JsonRowBuilder dom_rows(10000);
  TextBatch flat;
  TextBatch dom;
  flat_rows.StartBatch(flat);
  dom_rows.StartBatch(dom);
  simdjson::dom::parser parser;
  std::vector<FlatField> fields;
  std::string storage;
  size_t expected = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view raw = Padded(lines[i], storage);
    ASSERT_TRUE(ParseFlatObject(raw, fields, &flat_rows.keys()));
    for (const FlatField& f : fields) expected += f.expected;
    ASSERT_TRUE(flat_rows.AddRow(fields, raw, i + 1, 0, flat).ok());
    simdjson::dom::object object;
    ASSERT_EQ(parser.parse(lines[i]).get_object().get(object), simdjson::SUCCESS);
    ASSERT_TRUE(dom_rows.AddRow(object, lines[i], i + 1, 0, dom).ok());
  }
  EXPECT_EQ(expected, 2 * 4096u - 2);  // lines 2 and 3, but the two swapped keys
  ASSERT_EQ(flat.columns(), dom.columns());
  std::string a;
  std::string b;
  for (size_t c = 0; c < flat.columns().size(); ++c) {
    for (size_t r = 0; r < flat.rows(); ++r) {
      ASSERT_EQ(flat.CellText(r, c, a), dom.CellText(r, c, b)) << r << "," << c;
    }
  }
}

// Through the readers: JSON Lines and the same objects as one JSON array (its
// elements split by JsonReader) give the same columns and cells, flat lines and
// lines with nested values (read by simdjson) mixed, LF and CRLF.
TEST(JsonFlatTest, JsonlReadsAsTheSameObjectsInAnArray) {
  std::mt19937 random(5);
  std::string jsonl;
  std::string array = "[";
  for (int i = 0; i < 3000; ++i) {
    char line[200];
    std::snprintf(line, sizeof line, R"({"id":%d,"v":%d.%03d,"s":"%s","b":%s,"e":%de%d%s})", i,
                  static_cast<int>(random() % 2000) - 1000, static_cast<int>(random() % 1000),
                  i % 3 == 0 ? "ok" : "fail", i % 2 ? "true" : "false",
                  static_cast<int>(random() % 100), static_cast<int>(random() % 30) - 15,
                  i % 7 == 0    ? R"(,"n":[1,{"x":"\u00e9"}])"
                  : i % 11 == 0 ? R"(,"extra":null)"
                                : "");
    jsonl += line;
    jsonl += i % 5 == 0 ? "\r\n" : "\n";
    array += (i == 0 ? "" : ",\n") + std::string(line);
  }
  array += "]";
  ReadOutcome from_lines = ReadString(Format::kJsonl, jsonl, 4096);
  ReadOutcome from_array = ReadString(Format::kJson, array, 4096);
  ASSERT_TRUE(from_lines.status.ok()) << from_lines.status.ToString();
  ASSERT_TRUE(from_array.status.ok()) << from_array.status.ToString();
  EXPECT_TRUE(from_lines.errors.empty());
  EXPECT_EQ(from_lines.columns, from_array.columns);
  EXPECT_EQ(from_lines.rows, from_array.rows);
}

}  // namespace
}  // namespace sluice::testing

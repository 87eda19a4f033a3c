// Parquet conformance: every file of apache/parquet-testing's data/ reads as
// DuckDB reads it (tests/data/conformance/parquet-expected/, made by
// scripts/parquet-expected.py; nested columns as DuckDB's to_json) and as its
// *_expect.csv says; encrypted files, a map without values, a 1 GiB page, every file of bad_data/
// and truncated or bit-flipped copies of good files are refused with InvalidData naming the
// structure and its byte offset, never a crash (scripts/test-sanitize.sh runs this under ASan and
// UBSan).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "format/read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

const std::string kData = std::string(SLUICE_TEST_DATA_DIR) + "/conformance/parquet-testing/data";
const std::string kBad =
    std::string(SLUICE_TEST_DATA_DIR) + "/conformance/parquet-testing/bad_data";
const std::string kExpected = std::string(SLUICE_TEST_DATA_DIR) + "/conformance/parquet-expected";

// Files sluice refuses on purpose, and a word of the reason it must give.
const std::map<std::string, std::string> kRefused = {
    // A page of 1 GiB uncompressed: beyond what sluice reads into memory at once.
    {"large_string_map.brotli.parquet", "more than the"},
    {"map_no_value.parquet", "cannot load as JSON"},
    {"datapage_v1-corrupt-checksum.parquet", "CRC"},
    {"rle-dict-uncompressed-corrupt-checksum.parquet", "CRC"},
};

// Where DuckDB is wrong: (file, row, column) → sluice's text, with the reason.
const std::map<std::tuple<std::string, size_t, std::string>, std::string> kDuckDbWrong = {
    // Spark wrote 290000-12-31T01:00:00+02:00 (int96_from_spark.md); DuckDB's
    // nanosecond arithmetic overflows to a date BC.
    {{"int96_from_spark.parquet", 5, "a"}, "290000-12-30T23:00:00Z"},
};

std::vector<std::string> Files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(suffix)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

ReadOutcome ReadParquet(std::string bytes, size_t batch_rows = 8192) {
  ReaderOptions options;
  options.batch_rows = batch_rows;
  return ReadString(Format::kParquet, std::move(bytes), 1 << 20, options);
}

// Removes what differs only in spelling between DuckDB's VARCHAR text and sluice's
// cell text, by DuckDB type.
std::string Normalize(const std::string& type, std::string v, bool sluice);

// Inside JSON text: every number as a double (1 and 1.0 are the same number), and
// timestamps spelt alike.
void NormalizeJson(nlohmann::json& v, bool sluice) {
  static const std::regex timestamp(R"(-?\d+-\d\d-\d\d[ T]\d\d:\d\d:\d\d.*)");
  if (v.is_number()) {
    v = v.get<double>();
  } else if (v.is_string() && std::regex_match(v.get<std::string>(), timestamp)) {
    v = Normalize("TIMESTAMP", v.get<std::string>(), sluice);
  } else if (v.is_structured()) {
    for (auto& child : v) NormalizeJson(child, sluice);
  }
}

std::string Normalize(const std::string& type, std::string v, bool sluice) {
  if (type.ends_with("]") || type.starts_with("STRUCT(") || type.starts_with("MAP(")) {
    nlohmann::json parsed = nlohmann::json::parse(v, nullptr, false);
    if (parsed.is_discarded()) return "not JSON: " + v;
    NormalizeJson(parsed, sluice);
    return parsed.dump();
  }
  if (type.starts_with("TIMESTAMP")) {
    if (sluice) {
      size_t t = v.find('T');  // after the date (years may have more than 4 digits)
      if (t != std::string::npos && t >= 10) v[t] = ' ';
      if (v.ends_with("Z")) v.pop_back();
    } else if (v.ends_with("+00")) {
      v.resize(v.size() - 3);
    }
    size_t dot = v.find('.');
    if (dot != std::string::npos) {
      if (v.size() - dot > 7) v.resize(dot + 7);  // nanoseconds: sluice keeps micros
      while (v.back() == '0') v.pop_back();
      if (v.back() == '.') v.pop_back();
    }
    return v;
  }
  if (type == "BLOB" && !sluice) {  // DuckDB writes bytes outside printable ASCII as \xNN
    std::string bytes;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 3 < v.size() && v[i + 1] == 'x') {
        bytes.push_back(static_cast<char>(std::stoi(v.substr(i + 2, 2), nullptr, 16)));
        i += 3;
      } else {
        bytes.push_back(v[i]);
      }
    }
    return bytes;
  }
  if (type == "FLOAT" || type == "DOUBLE") {
    std::string lower = v;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "nan" || lower == "-nan") return "NaN";
    if (lower == "inf" || lower == "infinity") return "Infinity";
    if (lower == "-inf" || lower == "-infinity") return "-Infinity";
    double d = std::strtod(v.c_str(), nullptr);
    if (type == "FLOAT") d = static_cast<float>(d);
    std::ostringstream os;
    os.precision(17);
    os << d;
    return os.str();
  }
  return v;
}

class ParquetDataFile : public ::testing::TestWithParam<std::string> {};

TEST_P(ParquetDataFile, ReadsAsDuckDbOrIsRefusedWithItsReason) {
  const std::string name = GetParam();
  ReadOutcome got = ReadParquet(ReadFile(kData + "/" + name));
  auto refused = kRefused.find(name);
  if (refused != kRefused.end()) {
    EXPECT_EQ(got.status.code(), StatusCode::kInvalidData) << got.status.ToString();
    EXPECT_NE(got.status.message().find(refused->second), std::string::npos)
        << got.status.ToString();
    return;
  }
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  std::string stem = name.substr(0, name.size() - std::string(".parquet").size());
  std::string expected_path = kExpected + "/" + stem + ".json";
  if (!fs::exists(expected_path)) {
    // DuckDB cannot read it (codecs it lacks): *_expect.csv or a test below covers it.
    SUCCEED() << "no DuckDB expectation for " << name;
    return;
  }
  nlohmann::json expected = nlohmann::json::parse(ReadFile(expected_path));
  std::vector<std::string> types = expected["types"];
  ASSERT_EQ(got.columns, expected["columns"].get<std::vector<std::string>>());
  const auto& rows = expected["rows"];
  ASSERT_EQ(got.rows.size() + got.errors.size(), rows.size());
  size_t mismatches = 0;
  size_t r = 0;
  for (size_t e = 0; e < rows.size(); ++e) {
    bool dropped = std::any_of(got.errors.begin(), got.errors.end(),
                               [&](const RowError& err) { return err.line == e + 1; });
    if (dropped) continue;
    for (size_t c = 0; c < types.size(); ++c) {
      const auto& want = rows[e][c];
      const Cell& cell = got.rows[r][c];
      auto wrong = kDuckDbWrong.find({name, e, got.columns[c]});
      bool same = wrong != kDuckDbWrong.end() ? cell == wrong->second
                  : want.is_null()            ? !cell.has_value()
                                   : cell.has_value() && Normalize(types[c], *cell, true) ==
                                                             Normalize(types[c], want, false);
      if (!same && ++mismatches <= 5) {
        ADD_FAILURE() << name << " row " << e << " column " << got.columns[c] << " (" << types[c]
                      << "): sluice " << (cell ? *cell : "NULL") << ", DuckDB "
                      << (want.is_null() ? "NULL" : want.get<std::string>());
      }
    }
    ++r;
  }
  EXPECT_EQ(mismatches, 0u);
}

INSTANTIATE_TEST_SUITE_P(Conformance, ParquetDataFile,
                         ::testing::ValuesIn(Files(kData, ".parquet")), [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace sluice::testing

namespace sluice::testing {
namespace {

// The *_expect.csv files of parquet-testing: the values as their writers meant
// them (an empty field is null or an empty string).
TEST(ParquetExpectCsv, DeltaFilesReadAsTheirExpectedCsv) {
  for (const std::string& csv : Files(kData, "_expect.csv")) {
    SCOPED_TRACE(csv);
    std::string parquet =
        csv.substr(0, csv.size() - std::string("_expect.csv").size()) + ".parquet";
    ReadOutcome got = ReadParquet(ReadFile(kData + "/" + parquet));
    ASSERT_TRUE(got.status.ok()) << got.status.ToString();
    ReadOutcome want = ReadString(Format::kCsv, ReadFile(kData + "/" + csv));
    ASSERT_TRUE(want.status.ok());
    ASSERT_EQ(got.rows.size(), want.rows.size());
    ASSERT_EQ(got.columns.size(), want.columns.size());
    for (size_t r = 0; r < got.rows.size(); ++r) {
      for (size_t c = 0; c < got.columns.size(); ++c) {
        std::string w = want.rows[r][c].value_or("");
        std::string g = got.rows[r][c].value_or("");
        ASSERT_EQ(g, w) << "row " << r << " column " << got.columns[c];
      }
    }
  }
}

// What a refusal must say: InvalidData naming a Parquet structure and a byte offset.
void ExpectStructuredRefusal(const Status& status, const std::string& what) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidData) << what << ": " << status.ToString();
  const std::string& m = status.message();
  bool names_structure = false;
  for (const char* s : {"magic", "footer", "row group", "column chunk", "page header", "page"}) {
    if (m.find(s) != std::string::npos) names_structure = true;
  }
  EXPECT_TRUE(names_structure) << what << ": " << m;
  EXPECT_NE(m.find(" at byte "), std::string::npos) << what << ": " << m;
}

TEST(ParquetBadData, EveryFileIsRefusedNamingStructureAndOffset) {
  std::vector<std::string> files = Files(kBad, ".parquet");
  ASSERT_FALSE(files.empty());
  for (const std::string& name : files) {
    ReadOutcome got = ReadParquet(ReadFile(kBad + "/" + name));
    if (name == "ARROW-GH-43605.parquet") {
      // Dictionary indices of bit width 0 over a one-value dictionary: valid by the
      // format (every index is 0); it crashed Arrow. DuckDB reads 21186 zeros, as does sluice.
      ASSERT_TRUE(got.status.ok()) << got.status.ToString();
      EXPECT_EQ(got.rows.size(), 21186u);
      for (const Row& row : got.rows) ASSERT_EQ(row[0], Cell("0"));
      continue;
    }
    ExpectStructuredRefusal(got.status, name);
  }
}

TEST(ParquetBadData, EncryptedFilesAreRefusedAsEncrypted) {
  for (const std::string& name : Files(kData, ".parquet.encrypted")) {
    ReadOutcome got = ReadParquet(ReadFile(kData + "/" + name));
    ExpectStructuredRefusal(got.status, name);
    EXPECT_NE(got.status.message().find("encrypted"), std::string::npos) << got.status.ToString();
  }
}

// Small flat files covering page v1/v2, dictionaries, CRCs, codecs and encodings.
const std::vector<std::string> kMutated = {
    "alltypes_plain.parquet",
    "alltypes_dictionary.parquet",
    "alltypes_plain.snappy.parquet",
    "datapage_v1-snappy-compressed-checksum.parquet",
    "plain-dict-uncompressed-checksum.parquet",
    "delta_byte_array.parquet",
    "delta_encoding_optional_column.parquet",
    "byte_stream_split.zstd.parquet",
    "int96_from_spark.parquet",
    "rle_boolean_encoding.parquet",
    "lz4_raw_compressed.parquet",
    "hadoop_lz4_compressed.parquet",
    "page_v2_empty_compressed.parquet",
    "fixed_length_decimal.parquet",
    "float16_nonzeros_and_nans.parquet",
    // Nested: repetition levels, lists, maps and structs.
    "nested_lists.snappy.parquet",
    "nested_maps.snappy.parquet",
    "nullable.impala.parquet",
    "repeated_no_annotation.parquet",
    "old_list_structure.parquet",
};

// Records of nested columns do not depend on where batches end: the rows read a
// row at a time, or two at a time, are those read at once.
TEST(ParquetNested, RowsAreTheSameWhateverTheBatchSize) {
  for (const char* name :
       {"nested_lists.snappy.parquet", "nested_maps.snappy.parquet", "nullable.impala.parquet",
        "repeated_no_annotation.parquet", "repeated_primitive_no_list.parquet",
        "list_columns.parquet", "nulls.snappy.parquet", "datapage_v2.snappy.parquet"}) {
    SCOPED_TRACE(name);
    std::string bytes = ReadFile(kData + "/" + name);
    ReadOutcome whole = ReadParquet(bytes);
    ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
    ASSERT_FALSE(whole.rows.empty());
    for (size_t batch : {1, 2}) {
      ReadOutcome pieces = ReadParquet(bytes, batch);
      ASSERT_TRUE(pieces.status.ok()) << pieces.status.ToString();
      EXPECT_EQ(pieces.rows, whole.rows) << "batches of " << batch;
    }
  }
}

// A null list, an empty list and a list of one null are three different values.
TEST(ParquetNested, NullEmptyAndNullElementStayApart) {
  ReadOutcome got = ReadParquet(ReadFile(kData + "/nullable.impala.parquet"));
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  ASSERT_EQ(got.columns[1], "int_array");
  std::vector<Cell> lists;
  for (const auto& row : got.rows) lists.push_back(row[1]);
  EXPECT_EQ(lists, (std::vector<Cell>{"[1,2,3]", "[null,1,2,null,3,null]", "[]", std::nullopt,
                                      std::nullopt, std::nullopt, std::nullopt}));
}

TEST(ParquetDamage, EveryTruncationIsRefusedNamingStructureAndOffset) {
  for (const std::string& name : kMutated) {
    std::string bytes = ReadFile(kData + "/" + name);
    for (size_t keep = 0; keep < bytes.size(); keep += std::max<size_t>(1, bytes.size() / 97)) {
      ReadOutcome got = ReadParquet(bytes.substr(0, keep));
      ExpectStructuredRefusal(got.status, name + " cut to " + std::to_string(keep));
    }
    for (size_t cut = 1; cut <= 16 && cut < bytes.size(); ++cut) {
      ReadOutcome got = ReadParquet(bytes.substr(0, bytes.size() - cut));
      ExpectStructuredRefusal(got.status, name + " without its last " + std::to_string(cut));
    }
  }
}

// A flipped bit in a value without a CRC may leave a valid file with another value;
// anything else must be refused with its structure and offset, and nothing may
// crash or read out of bounds (the sanitizer build runs this).
TEST(ParquetDamage, BitFlipsReadOrAreRefusedNamingStructureAndOffset) {
  size_t refused = 0;
  for (const std::string& name : kMutated) {
    std::string bytes = ReadFile(kData + "/" + name);
    // About 300 positions a file, every byte of small ones.
    for (size_t at = 0; at < bytes.size(); at += std::max<size_t>(1, bytes.size() / 300)) {
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ (1 << (at % 8)));
      ReadOutcome got = ReadParquet(std::move(flipped), 3);
      if (got.status.ok()) continue;
      ++refused;
      ExpectStructuredRefusal(got.status, name + " flipped at " + std::to_string(at));
    }
  }
  EXPECT_GT(refused, 0u);
}

// With a CRC on every page, a flipped bit in a page body is always caught.
TEST(ParquetDamage, CrcCatchesEveryFlipInAPageBody) {
  std::string bytes = ReadFile(kData + "/datapage_v1-uncompressed-checksum.parquet");
  ReadOutcome good = ReadParquet(bytes);
  ASSERT_TRUE(good.status.ok()) << good.status.ToString();
  // The first page's body: after the 4-byte magic and its header. Flip bytes a
  // little into the data, which every column's first page holds.
  size_t caught = 0;
  for (size_t at = 40; at < 200; ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    ReadOutcome got = ReadParquet(std::move(flipped));
    if (!got.status.ok() && got.status.message().find("CRC") != std::string::npos) ++caught;
    if (got.status.ok()) {
      EXPECT_EQ(got.rows, good.rows) << "flip at " << at << " went unseen";
    }
  }
  EXPECT_GT(caught, 100u);
}

}  // namespace
}  // namespace sluice::testing

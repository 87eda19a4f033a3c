// Helpers of the src/parquet/ unit tests: byte strings from literals, and the
// pages of the parquet-testing files listed in
// tests/data/parquet-pages/pages.tsv (written by make_manifest.py), decompressed
// and split into levels and values, so the codec and encoding tests can decode
// real writers' output without the file reader. Header-only: the unit-test
// executables compile *_test.cc files only.
//
// Thread-safety: plain functions over files the tests only read.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "parquet/codec.h"
#include "parquet/rle.h"

namespace sluice::parquet::testing {

// The bytes given as integers 0..255.
inline std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

inline std::string ParquetTestingPath(const std::string& name) {
  return std::string(SLUICE_TEST_DATA_DIR) + "/conformance/parquet-testing/data/" + name;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ManifestPage {
  std::string file;
  std::string column;
  std::string type;  // "INT64", "FIXED_LEN_BYTE_ARRAY(5)", ...
  bool optional = false;
  Codec codec = Codec::kUncompressed;
  int page_type = 0;  // 0 data v1, 2 dictionary, 3 data v2
  size_t body_offset = 0;
  size_t compressed_size = 0;
  size_t uncompressed_size = 0;
  size_t num_values = 0;
  int encoding = 0;
  long v2_rep_bytes = -1;  // v2 pages: repetition levels, then definition levels
  long v2_def_bytes = -1;
  bool v2_compressed = true;
};

inline std::vector<ManifestPage> ManifestPages() {
  std::ifstream in(std::string(SLUICE_TEST_DATA_DIR) + "/parquet-pages/pages.tsv");
  std::vector<ManifestPage> pages;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) f.push_back(cell);
    if (f.size() != 14) continue;
    ManifestPage p;
    p.file = f[0];
    p.column = f[1];
    p.type = f[2];
    p.optional = f[3] == "1";
    p.codec = static_cast<Codec>(std::stoi(f[4]));
    p.page_type = std::stoi(f[5]);
    p.body_offset = std::stoul(f[6]);
    p.compressed_size = std::stoul(f[7]);
    p.uncompressed_size = std::stoul(f[8]);
    p.num_values = std::stoul(f[9]);
    p.encoding = std::stoi(f[10]);
    p.v2_rep_bytes = std::stol(f[11]);
    p.v2_def_bytes = std::stol(f[12]);
    p.v2_compressed = f[13] == "1";
    pages.push_back(p);
  }
  return pages;
}

// A data page's values section (after the levels) and its count of non-null
// values, or a dictionary page's values.
struct PageValues {
  std::string bytes;  // the decompressed page
  std::string_view values;
  size_t non_null = 0;
};

// Decompresses `page` from its file and skips the definition levels of a flat
// column (bit width 1 when optional), counting the non-null values. Fails the
// calling test on any error.
inline PageValues LoadPage(const ManifestPage& page) {
  PageValues out;
  const std::string file = ReadAll(ParquetTestingPath(page.file));
  EXPECT_LE(page.body_offset + page.compressed_size, file.size());
  const std::string_view body(file.data() + page.body_offset, page.compressed_size);
  if (page.page_type == 3) {
    // v2: the levels are stored uncompressed before the (maybe) compressed values.
    const size_t levels = static_cast<size_t>(page.v2_rep_bytes + page.v2_def_bytes);
    std::string values;
    Status s = page.v2_compressed ? Decompress(page.codec, body.substr(levels),
                                               page.uncompressed_size - levels, values)
                                  : Status::Ok();
    EXPECT_TRUE(s.ok()) << page.file << " " << page.column << ": " << s.ToString();
    if (!page.v2_compressed) values.assign(body.substr(levels));
    out.bytes = std::string(body.substr(0, levels)) + values;
  } else {
    Status s = Decompress(page.codec, body, page.uncompressed_size, out.bytes);
    EXPECT_TRUE(s.ok()) << page.file << " " << page.column << ": " << s.ToString();
  }
  std::string_view rest(out.bytes);
  out.non_null = page.num_values;
  if (page.page_type == 2 || !page.optional) {
    out.values = rest;
    return out;
  }
  std::string_view levels;
  if (page.page_type == 3) {
    rest.remove_prefix(static_cast<size_t>(page.v2_rep_bytes));
    levels = rest.substr(0, static_cast<size_t>(page.v2_def_bytes));
    rest.remove_prefix(levels.size());
  } else {
    auto prefixed = ReadLengthPrefixed(rest);
    EXPECT_TRUE(prefixed.has_value()) << page.file << " " << page.column;
    if (!prefixed) return out;
    levels = *prefixed;
    rest.remove_prefix(4 + levels.size());
  }
  std::vector<int16_t> defs(page.num_values);
  RleBitPackedDecoder decoder(levels, 1);
  auto got = decoder.Get(defs.data(), defs.size());
  EXPECT_TRUE(got.has_value() && *got == page.num_values) << page.file << " " << page.column;
  out.non_null = 0;
  for (int16_t d : defs) out.non_null += d == 1;
  out.values = rest;
  return out;
}

// The cells of a parquet-testing *_expect.csv file, by column name: quoted or
// bare fields, no embedded quotes or line breaks (true of those files). An empty
// bare field is a null, kept as the empty string with `nulls` marking it.
struct ExpectedCsv {
  std::map<std::string, std::vector<std::string>> columns;
  std::map<std::string, std::vector<bool>> nulls;
};

inline ExpectedCsv ReadExpectedCsv(const std::string& name) {
  std::ifstream in(ParquetTestingPath(name));
  ExpectedCsv csv;
  std::vector<std::string> header;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::vector<bool> quoted;
    size_t i = 0;
    while (i <= line.size()) {
      std::string cell;
      bool q = false;
      if (i < line.size() && line[i] == '"') {
        const size_t end = line.find('"', i + 1);
        cell = line.substr(i + 1, end - i - 1);
        q = true;
        i = end + 1;
      } else {
        const size_t end = std::min(line.find(',', i), line.size());
        cell = line.substr(i, end - i);
        i = end;
      }
      cells.push_back(cell);
      quoted.push_back(q);
      ++i;  // the comma
    }
    if (first) {
      header = cells;
      first = false;
      continue;
    }
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c) {
      csv.columns[header[c]].push_back(cells[c]);
      csv.nulls[header[c]].push_back(!quoted[c] && cells[c].empty());
    }
  }
  return csv;
}

}  // namespace sluice::parquet::testing

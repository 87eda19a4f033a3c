// Property: a reader's output does not depend on how its input stream is cut,
// checked on random inputs built from the bytes that matter to each format.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "format/record_reader.h"
#include "read_all.h"

namespace sluice::testing {
namespace {

std::string RandomText(std::mt19937& rng, std::string_view alphabet, size_t max_size) {
  std::string text(rng() % (max_size + 1), ' ');
  for (char& c : text) c = alphabet[rng() % alphabet.size()];
  return text;
}

void ExpectChunkingInvariant(Format format, const std::string& data, const ReaderOptions& options) {
  ReadOutcome whole = ReadString(format, data, 1 << 20, options);
  // A too-long record's reported text is what was buffered when it was found
  // too long, which does depend on the cuts.
  for (RowError& e : whole.errors) e.raw.clear();
  for (size_t chunk : {1, 2, 3, 5}) {
    ReadOutcome pieces = ReadString(format, data, chunk, options);
    for (RowError& e : pieces.errors) e.raw.clear();
    ASSERT_EQ(pieces, whole) << "chunk " << chunk << ", data: " << ::testing::PrintToString(data);
  }
}

TEST(ChunkingTest, Csv) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 400; ++i) {
    ReaderOptions options;
    options.csv = CsvDialect{',', '"', i % 2 == 0};
    options.batch_rows = 1 + rng() % 4;
    if (i % 3 == 0) options.max_record_bytes = 1 + rng() % 16;
    ExpectChunkingInvariant(Format::kCsv, RandomText(rng, "ab,\"\n\r ", 120), options);
  }
}

TEST(ChunkingTest, Json) {
  std::mt19937 rng(20240602);
  for (int i = 0; i < 400; ++i) {
    ReaderOptions options;
    options.batch_rows = 1 + rng() % 4;
    if (i % 3 == 0) options.max_record_bytes = 1 + rng() % 16;
    std::string data = "[" + RandomText(rng, "{}[],:\"\\1a \n", 60);
    ExpectChunkingInvariant(Format::kJson, data, options);
  }
}

TEST(ChunkingTest, Jsonl) {
  std::mt19937 rng(20240603);
  for (int i = 0; i < 400; ++i) {
    ReaderOptions options;
    options.batch_rows = 1 + rng() % 4;
    if (i % 3 == 0) options.max_record_bytes = 1 + rng() % 16;
    ExpectChunkingInvariant(Format::kJsonl, RandomText(rng, "{}\":1a \n\r", 80), options);
  }
}

}  // namespace
}  // namespace sluice::testing

#include "parquet/codec.h"

#include <gtest/gtest.h>
#include <lz4.h>
#include <lz4frame.h>
#include <zlib.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "parquet_test_util.h"

namespace sluice::parquet {
namespace {

using testing::LoadPage;
using testing::ManifestPages;
using testing::ParquetTestingPath;
using testing::ReadAll;

constexpr Codec kAllCodecs[] = {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip,  Codec::kBrotli,
                                Codec::kLz4,          Codec::kZstd,   Codec::kLz4Raw};
constexpr Codec kCompressing[] = {Codec::kSnappy, Codec::kGzip, Codec::kBrotli,
                                  Codec::kLz4,    Codec::kZstd, Codec::kLz4Raw};

// Page-like content: repetitive text with random runs, so every codec compresses
// it but not to nothing.
std::string PageText(size_t size, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    out += "sensor-" + std::to_string(rng() % 1000) + ",";
    out += std::to_string(rng() % 100000) + "\n";
  }
  out.resize(size);
  return out;
}

std::string RandomBytes(size_t size, unsigned seed = 3) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string Compressed(Codec codec, std::string_view in) {
  std::string out;
  Status s = Compress(codec, in, out);
  EXPECT_TRUE(s.ok()) << CodecName(codec) << ": " << s.ToString();
  return out;
}

std::string Gzip(std::string_view in) { return Compressed(Codec::kGzip, in); }

TEST(CodecTest, EnumValuesAreParquetThrifts) {
  EXPECT_EQ(static_cast<int>(Codec::kUncompressed), 0);
  EXPECT_EQ(static_cast<int>(Codec::kSnappy), 1);
  EXPECT_EQ(static_cast<int>(Codec::kGzip), 2);
  EXPECT_EQ(static_cast<int>(Codec::kLzo), 3);
  EXPECT_EQ(static_cast<int>(Codec::kBrotli), 4);
  EXPECT_EQ(static_cast<int>(Codec::kLz4), 5);
  EXPECT_EQ(static_cast<int>(Codec::kZstd), 6);
  EXPECT_EQ(static_cast<int>(Codec::kLz4Raw), 7);
  EXPECT_EQ(CodecName(Codec::kLz4Raw), "LZ4_RAW");
  EXPECT_EQ(CodecName(static_cast<Codec>(42)), "codec 42");
  ASSERT_TRUE(CodecFromThrift(6).has_value());
  EXPECT_EQ(*CodecFromThrift(6), Codec::kZstd);
  EXPECT_EQ(CodecFromThrift(8).error().code(), StatusCode::kInvalidData);
  EXPECT_EQ(CodecFromThrift(-1).error().code(), StatusCode::kInvalidData);
}

TEST(CodecTest, EveryCodecRoundTripsEmptySmallLargeAndIncompressiblePages) {
  const std::vector<std::string> inputs = {"", "x", PageText(1000), PageText(3 << 20),
                                           RandomBytes(100000)};
  for (Codec codec : kAllCodecs) {
    for (const std::string& in : inputs) {
      const std::string packed = Compressed(codec, in);
      std::string out = "stale";
      Status s = Decompress(codec, packed, in.size(), out);
      ASSERT_TRUE(s.ok()) << CodecName(codec) << " " << in.size() << ": " << s.ToString();
      EXPECT_EQ(out, in) << CodecName(codec) << " " << in.size();
    }
  }
}

TEST(CodecTest, CompressionLevelsAreHonoured) {
  const std::string in = PageText(1 << 20);
  for (Codec codec : {Codec::kZstd, Codec::kGzip, Codec::kBrotli}) {
    std::string fast, strong, out;
    ASSERT_TRUE(Compress(codec, in, fast, 1).ok());
    ASSERT_TRUE(Compress(codec, in, strong, 9).ok());
    EXPECT_NE(strong, fast) << CodecName(codec);
    ASSERT_TRUE(Decompress(codec, strong, in.size(), out).ok());
    EXPECT_EQ(out, in);
  }
}

TEST(CodecTest, LzoAndUnknownCodecsAreRefusedWithTheirName) {
  std::string out;
  Status s = Decompress(Codec::kLzo, "abc", 3, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("LZO"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("not supported"), std::string::npos) << s.message();
  s = Decompress(static_cast<Codec>(9), "abc", 3, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("codec 9"), std::string::npos) << s.message();
  EXPECT_EQ(Compress(Codec::kLzo, "abc", out).code(), StatusCode::kInvalidArgument);
}

TEST(CodecTest, OutputMustBeExactlyTheDeclaredSize) {
  const std::string in = PageText(5000);
  for (Codec codec : kAllCodecs) {
    const std::string packed = Compressed(codec, in);
    std::string out;
    for (size_t declared : {in.size() - 1, in.size() + 1, size_t{0}, in.size() * 2}) {
      Status s = Decompress(codec, packed, declared, out);
      EXPECT_EQ(s.code(), StatusCode::kInvalidData) << CodecName(codec) << " " << declared;
      EXPECT_EQ(s.message().rfind(CodecName(codec) + ":", 0), 0u) << s.message();
    }
  }
}

TEST(CodecTest, DeclaredSizeAboveTheLimitIsRefusedBeforeDecoding) {
  const std::string in = PageText(5000);
  for (Codec codec : kAllCodecs) {
    std::string out;
    Status s = Decompress(codec, Compressed(codec, in), in.size(), out, in.size() - 1);
    EXPECT_EQ(s.code(), StatusCode::kInvalidData) << CodecName(codec);
    EXPECT_NE(s.message().find("above the limit"), std::string::npos) << s.message();
  }
}

TEST(CodecTest, SizesTheInputCannotReachAreRefused) {
  // A few bytes claiming a gigabyte: refused from the codec's expansion limit,
  // without allocating the gigabyte.
  for (Codec codec : {Codec::kSnappy, Codec::kGzip, Codec::kLz4, Codec::kLz4Raw}) {
    std::string out;
    Status s = Decompress(codec, std::string(10, 'x'), size_t{1} << 30, out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidData) << CodecName(codec);
    EXPECT_NE(s.message().find("cannot decode to"), std::string::npos) << s.message();
    EXPECT_LT(out.capacity(), size_t{1} << 20);
  }
}

TEST(CodecTest, StreamingCodecsGrowTheirBufferOnlyAsDataDecodes) {
  // 1 MiB of zeros compresses to a few hundred bytes; declared as 200 MB it must
  // fail without a 200 MB buffer. (Gzip refuses it before, by its ratio.)
  const std::string zeros(1 << 20, '\0');
  for (Codec codec : {Codec::kZstd, Codec::kBrotli}) {
    std::string out;
    Status s = Decompress(codec, Compressed(codec, zeros), 200'000'000, out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidData) << CodecName(codec);
    EXPECT_NE(s.message().find("decodes to 1048576 bytes"), std::string::npos) << s.message();
    EXPECT_LE(out.capacity(), size_t{4} << 20) << CodecName(codec);
  }
  // Highly compressible pages decode whole through several doublings.
  const std::string big(24 << 20, 'z');
  for (Codec codec : {Codec::kZstd, Codec::kBrotli, Codec::kGzip}) {
    std::string out;
    Status s = Decompress(codec, Compressed(codec, big), big.size(), out);
    ASSERT_TRUE(s.ok()) << CodecName(codec) << ": " << s.ToString();
    EXPECT_TRUE(out == big) << CodecName(codec);
  }
}

TEST(CodecTest, TruncatedStreamsAreInvalidDataAtEveryLength) {
  const std::string in = PageText(20000);
  for (Codec codec : kCompressing) {
    const std::string packed = Compressed(codec, in);
    for (size_t len = 0; len < packed.size(); len += 1 + len / 16) {
      std::string out;
      Status s = Decompress(codec, std::string_view(packed).substr(0, len), in.size(), out);
      EXPECT_EQ(s.code(), StatusCode::kInvalidData) << CodecName(codec) << " at " << len;
    }
  }
}

TEST(CodecTest, CorruptedStreamsNeverCrashAndNeverMisreportTheSize) {
  const std::string in = PageText(20000);
  std::mt19937 rng(11);
  for (Codec codec : kCompressing) {
    const std::string packed = Compressed(codec, in);
    for (int trial = 0; trial < 300; ++trial) {
      std::string bad = packed;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
      std::string out;
      Status s = Decompress(codec, bad, in.size(), out);
      if (s.ok()) {
        EXPECT_EQ(out.size(), in.size()) << CodecName(codec);
      } else {
        EXPECT_EQ(s.code(), StatusCode::kInvalidData) << CodecName(codec) << ": " << s.ToString();
      }
    }
  }
}

TEST(CodecTest, GzipConcatenatedMembersDecodeAsOne) {
  const std::string a = PageText(3000, 1);
  const std::string b = PageText(5000, 2);
  std::string out;
  ASSERT_TRUE(Decompress(Codec::kGzip, Gzip(a) + Gzip(b), a.size() + b.size(), out).ok());
  EXPECT_EQ(out, a + b);
  // Garbage after the last member is not another member.
  Status s = Decompress(Codec::kGzip, Gzip(a) + "garbage", a.size(), out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
}

TEST(CodecTest, GzipAcceptsZlibFraming) {
  const std::string in = PageText(4000);
  uLongf size = compressBound(in.size());
  std::string packed(size, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &size,
                     reinterpret_cast<const Bytef*>(in.data()), in.size()),
            Z_OK);
  packed.resize(size);
  std::string out;
  ASSERT_TRUE(Decompress(Codec::kGzip, packed, in.size(), out).ok());
  EXPECT_EQ(out, in);
}

std::string RawLz4(std::string_view in) { return Compressed(Codec::kLz4Raw, in); }

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

TEST(CodecTest, Lz4ReadsHadoopBlocksOfSeveralChunks) {
  // Hadoop's BlockCompressorStream: [block length] then [chunk length][chunk]...
  const std::string a = PageText(3000, 1);
  const std::string b = PageText(2000, 2);
  const std::string c = PageText(1000, 3);
  const std::string ra = RawLz4(a), rb = RawLz4(b), rc = RawLz4(c);
  const std::string framed = BigEndian32(a.size() + b.size()) + BigEndian32(ra.size()) + ra +
                             BigEndian32(rb.size()) + rb + BigEndian32(c.size()) +
                             BigEndian32(rc.size()) + rc;
  std::string out;
  Status s = Decompress(Codec::kLz4, framed, a.size() + b.size() + c.size(), out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, a + b + c);
}

TEST(CodecTest, Lz4FallsBackToRawBlocksAndFrames) {
  const std::string in = PageText(6000);
  std::string out;
  ASSERT_TRUE(Decompress(Codec::kLz4, RawLz4(in), in.size(), out).ok());
  EXPECT_EQ(out, in);

  std::string frame(LZ4F_compressFrameBound(in.size(), nullptr), '\0');
  const size_t n = LZ4F_compressFrame(frame.data(), frame.size(), in.data(), in.size(), nullptr);
  ASSERT_FALSE(LZ4F_isError(n));
  frame.resize(n);
  out.clear();
  Status s = Decompress(Codec::kLz4, frame, in.size(), out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, in);

  s = Decompress(Codec::kLz4, std::string(40, '\x7f'), 1000, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("neither Hadoop-framed"), std::string::npos) << s.message();
}

TEST(CodecTest, Lz4WritesHadoopFramingThatReadersExpect) {
  const std::string in = PageText(6000);
  const std::string framed = Compressed(Codec::kLz4, in);
  ASSERT_GT(framed.size(), 8u);
  EXPECT_EQ(framed.substr(0, 4), BigEndian32(in.size()));
  EXPECT_EQ(framed.substr(4, 4), BigEndian32(framed.size() - 8));
  EXPECT_EQ(framed.substr(8), RawLz4(in));
}

TEST(CodecTest, ZstdConcatenatedFramesAndTrailingBytes) {
  const std::string a = PageText(3000, 1);
  const std::string b = PageText(7000, 2);
  const std::string packed = Compressed(Codec::kZstd, a) + Compressed(Codec::kZstd, b);
  std::string out;
  ASSERT_TRUE(Decompress(Codec::kZstd, packed, a.size() + b.size(), out).ok());
  EXPECT_EQ(out, a + b);
  // The first frame alone fills the declared size: the second frame is too much.
  Status s = Decompress(Codec::kZstd, packed, a.size(), out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("more than"), std::string::npos) << s.message();
}

// Feeds `in` to a PieceDecompressor in pieces of `piece` bytes.
Status DecompressInPieces(std::string_view in, size_t piece, size_t declared, std::string& out) {
  PieceDecompressor d;
  RETURN_IF_ERROR(d.Start(Codec::kZstd, in.size(), declared, out));
  for (size_t at = 0; at < in.size(); at += piece) RETURN_IF_ERROR(d.Feed(in.substr(at, piece)));
  return d.Finish();
}

TEST(PieceDecompressorTest, AnySplitOfTheStreamDecodesAsTheWhole) {
  const std::string a = PageText(300000, 3);
  const std::string b = PageText(5000, 4);
  // Two frames, so some pieces end at, inside and across a frame's end.
  const std::string packed = Compressed(Codec::kZstd, a) + Compressed(Codec::kZstd, b);
  for (size_t piece : {size_t{1}, size_t{7}, size_t{1000}, packed.size()}) {
    std::string out = "stale";
    Status s = DecompressInPieces(packed, piece, a.size() + b.size(), out);
    ASSERT_TRUE(s.ok()) << piece << ": " << s.ToString();
    EXPECT_TRUE(out == a + b) << piece;
  }
}

TEST(PieceDecompressorTest, DamageIsRefusedAsByDecompress) {
  const std::string a = PageText(200000, 5);
  const std::string packed = Compressed(Codec::kZstd, a);
  std::string out;
  // Truncated: the frame never ends.
  Status s =
      DecompressInPieces(std::string_view(packed).substr(0, packed.size() / 2), 100, a.size(), out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_EQ(s.message(), "ZSTD: truncated stream");
  // More output than declared.
  s = DecompressInPieces(packed, 100, a.size() - 1, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("more than"), std::string::npos) << s.message();
  // Less output than declared.
  s = DecompressInPieces(packed, 100, a.size() + 1, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("decodes to " + std::to_string(a.size())), std::string::npos)
      << s.message();
  // Garbage.
  std::string garbage = packed;
  for (size_t i = 0; i < 64; ++i) garbage[i] = static_cast<char>(0x55);
  s = DecompressInPieces(garbage, 100, a.size(), out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_EQ(s.message().rfind("ZSTD: ", 0), 0u) << s.message();
  // A declared size above the limit is refused before anything is allocated.
  PieceDecompressor d;
  s = d.Start(Codec::kZstd, packed.size(), size_t{1} << 30, out, size_t{1} << 20);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
}

TEST(CodecTest, EmptyPagesMayBeStoredAsNothing) {
  for (Codec codec : kAllCodecs) {
    std::string out = "stale";
    ASSERT_TRUE(Decompress(codec, "", 0, out).ok()) << CodecName(codec);
    EXPECT_TRUE(out.empty());
  }
}

// Every page of the conformance files decompresses to its declared size; the
// values are checked by the encoding tests (rle_test, delta_test, ...).
TEST(CodecConformanceTest, EveryPageOfTheParquetTestingFilesDecompresses) {
  std::map<Codec, int> pages_per_codec;
  for (const testing::ManifestPage& page : ManifestPages()) {
    if (page.uncompressed_size > (size_t{64} << 20)) continue;  // below
    const testing::PageValues v = LoadPage(page);
    EXPECT_EQ(v.bytes.size(), page.uncompressed_size) << page.file << " " << page.column;
    ++pages_per_codec[page.codec];
  }
  for (Codec codec : {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kBrotli,
                      Codec::kLz4, Codec::kZstd, Codec::kLz4Raw}) {
    EXPECT_GT(pages_per_codec[codec], 0) << CodecName(codec);
  }
}

TEST(CodecConformanceTest, HadoopAndNonHadoopLz4FilesHoldTheirValues) {
  // Both files hold the same dictionary for column c0 (INT64 timestamps): one in
  // Hadoop framing, one as raw LZ4 blocks.
  for (const char* name : {"hadoop_lz4_compressed.parquet", "non_hadoop_lz4_compressed.parquet"}) {
    bool found = false;
    for (const testing::ManifestPage& page : ManifestPages()) {
      if (page.file != name || page.column != "c0" || page.page_type != 2) continue;
      const testing::PageValues v = LoadPage(page);
      ASSERT_EQ(v.values.size(), 2 * 8) << name;
      std::vector<int64_t> c0(2);
      std::memcpy(c0.data(), v.values.data(), 16);
      EXPECT_EQ(c0, (std::vector<int64_t>{1593604800, 1593604801})) << name;
      found = true;
    }
    EXPECT_TRUE(found) << name;
  }
}

TEST(CodecConformanceTest, ConcatenatedGzipMembersHold513Numbers) {
  for (const testing::ManifestPage& page : ManifestPages()) {
    if (page.file != "concatenated_gzip_members.parquet") continue;
    const testing::PageValues v = LoadPage(page);
    EXPECT_EQ(v.non_null, 513u);
  }
}

TEST(CodecConformanceTest, TheGigabytePageOfTheBrotliFileRespectsTheLimit) {
  // large_string_map.brotli.parquet declares a 1 GiB page from 1.6 KB of brotli.
  bool found = false;
  for (const testing::ManifestPage& page : ManifestPages()) {
    if (page.file != "large_string_map.brotli.parquet" || page.uncompressed_size < (1u << 30)) {
      continue;
    }
    const std::string file = ReadAll(ParquetTestingPath(page.file));
    std::string out;
    Status s = Decompress(page.codec,
                          std::string_view(file).substr(page.body_offset, page.compressed_size),
                          page.uncompressed_size, out, size_t{256} << 20);
    EXPECT_EQ(s.code(), StatusCode::kInvalidData);
    EXPECT_NE(s.message().find("BROTLI"), std::string::npos) << s.message();
    EXPECT_EQ(out.capacity() < (size_t{1} << 20), true);
    found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sluice::parquet

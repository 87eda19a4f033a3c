#include "source/file_input.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "source/landed_file.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::TempDir;
using testing::WriteFile;

// Random letters and line breaks: compresses to well over the 1 MiB read buffer,
// so the decoders are fed across buffer refills.
std::string RandomText(size_t size, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, 26);
  std::string out(size, ' ');
  for (char& c : out) {
    int v = pick(rng);
    c = v == 26 ? '\n' : static_cast<char>('a' + v);
  }
  return out;
}

std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(const std::string& data, bool checksum = false) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  EXPECT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  ZSTD_freeCCtx(cctx);
  out.resize(n);
  return out;
}

// Reads the whole stream `chunk` bytes at a time; the error if a Read fails.
Result<std::string> ReadAll(InputStream& in, size_t chunk) {
  std::string out;
  std::vector<char> buffer(chunk);
  for (;;) {
    ASSIGN_OR_RETURN(size_t got, in.Read(buffer.data(), buffer.size()));
    if (got == 0) return out;
    out.append(buffer.data(), got);
  }
}

Result<std::string> ReadFileInput(const std::string& path, size_t chunk = 64 * 1024) {
  ASSIGN_OR_RETURN(auto in, OpenFileInput(path));
  return ReadAll(*in, chunk);
}

TEST(DetectCompressionTest, RecognisesMagicBytes) {
  EXPECT_EQ(DetectCompression("\x1f\x8b\x08\x00"), Compression::kGzip);
  EXPECT_EQ(DetectCompression(std::string("\x28\xb5\x2f\xfd\x00", 5)), Compression::kZstd);
  EXPECT_EQ(DetectCompression("id,name\n"), Compression::kNone);
  EXPECT_EQ(DetectCompression("\x1f"), Compression::kNone);
  EXPECT_EQ(DetectCompression(""), Compression::kNone);
}

TEST(FileInputTest, PlainRoundTripAcrossBufferSizes) {
  TempDir dir;
  const std::string data = RandomText(3 << 20);
  WriteFile(dir / "data.csv", data);
  // Small reads go through the internal buffer, large ones bypass it.
  for (size_t chunk : {size_t{7}, size_t{64 * 1024}, size_t{4 << 20}}) {
    auto got = ReadFileInput(dir / "data.csv", chunk);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    EXPECT_EQ(*got, data) << "chunk " << chunk;
  }
}

// Reads of 64 KiB or more go straight to the caller's memory once the buffer
// is empty: mixed with small buffered reads (a StreamBuffer asks for its free
// space, any size), the bytes come in order, none twice.
TEST(FileInputTest, PlainMixedReadSizes) {
  TempDir dir;
  const std::string data = RandomText(3 << 20);
  WriteFile(dir / "data.csv", data);
  auto in = OpenFileInput(dir / "data.csv");
  ASSERT_TRUE(in.has_value()) << in.error().ToString();
  const size_t sizes[] = {7, 100000, 65535, 65536, (size_t{1} << 20) - 3, 1, 70000};
  std::string got;
  std::vector<char> buffer(1 << 20);
  for (size_t i = 0;; ++i) {
    auto n = (*in)->Read(buffer.data(), sizes[i % std::size(sizes)]);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    if (*n == 0) break;
    got.append(buffer.data(), *n);
  }
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST(FileInputTest, EmptyAndTinyFilesArePlain) {
  TempDir dir;
  WriteFile(dir / "empty.csv", "");
  WriteFile(dir / "one.csv", "\x1f");
  auto empty = ReadFileInput(dir / "empty.csv");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  auto one = ReadFileInput(dir / "one.csv");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(*one, "\x1f");
}

TEST(FileInputTest, GzipRoundTrip) {
  TempDir dir;
  const std::string data = RandomText(3 << 20);
  const std::string compressed = Gzip(data);
  ASSERT_GT(compressed.size(), size_t{1} << 20);
  WriteFile(dir / "data.csv.gz", compressed);
  for (size_t chunk : {size_t{1000}, size_t{4 << 20}}) {
    auto got = ReadFileInput(dir / "data.csv.gz", chunk);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    EXPECT_EQ(got->size(), data.size());
    EXPECT_EQ(*got, data) << "chunk " << chunk;
  }
}

TEST(FileInputTest, GzipByteAtATime) {
  TempDir dir;
  const std::string data = "id,name\n1,alpha\n2,beta\n";
  WriteFile(dir / "small.gz", Gzip(data));
  auto got = ReadFileInput(dir / "small.gz", 1);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, data);
}

TEST(FileInputTest, GzipMultipleMembersDecodeAsOneStream) {
  TempDir dir;
  const std::string a = "id,name\n1,alpha\n";
  const std::string b = RandomText(200000, 2);
  const std::string c = "3,gamma\n";
  WriteFile(dir / "multi.csv.gz", Gzip(a) + Gzip(b) + Gzip(c));
  auto got = ReadFileInput(dir / "multi.csv.gz");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, a + b + c);
}

TEST(FileInputTest, GzipCommandOutputDecodes) {
  TempDir dir;
  const std::string data = RandomText(100000, 3);
  WriteFile(dir / "cmd.csv", data);
  ASSERT_EQ(std::system(("gzip -k " + (dir / "cmd.csv")).c_str()), 0);
  auto got = ReadFileInput(dir / "cmd.csv.gz");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, data);
}

TEST(FileInputTest, TruncatedGzipIsInvalidDataAfterTheGoodBytes) {
  TempDir dir;
  const std::string data = RandomText(3 << 20);
  const std::string compressed = Gzip(data);
  WriteFile(dir / "half.gz", compressed.substr(0, compressed.size() / 2));
  // Without the 8-byte trailer every data byte is there but the CRC is not.
  WriteFile(dir / "notrailer.gz", compressed.substr(0, compressed.size() - 8));

  auto in = OpenFileInput(dir / "half.gz");
  ASSERT_TRUE(in.has_value()) << in.error().ToString();
  std::vector<char> buffer(64 * 1024);
  size_t decoded = 0;
  Status error;
  for (;;) {
    auto got = (*in)->Read(buffer.data(), buffer.size());
    if (!got.has_value()) {
      error = got.error();
      break;
    }
    ASSERT_GT(*got, size_t{0}) << "silent end of a truncated stream";
    ASSERT_EQ(std::string(buffer.data(), *got), data.substr(decoded, *got));
    decoded += *got;
  }
  EXPECT_EQ(error.code(), StatusCode::kInvalidData);
  EXPECT_EQ(error.message(), "truncated gzip stream");
  EXPECT_GT(decoded, size_t{1} << 20);
  EXPECT_LT(decoded, data.size());
  // The error sticks: never a late end of file.
  auto again = (*in)->Read(buffer.data(), buffer.size());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), StatusCode::kInvalidData);

  auto no_trailer = ReadFileInput(dir / "notrailer.gz");
  ASSERT_FALSE(no_trailer.has_value());
  EXPECT_EQ(no_trailer.error().code(), StatusCode::kInvalidData);
  EXPECT_EQ(no_trailer.error().message(), "truncated gzip stream");
}

TEST(FileInputTest, CorruptGzipIsInvalidData) {
  TempDir dir;
  std::string compressed = Gzip(RandomText(500000));
  for (size_t i = compressed.size() / 2; i < compressed.size() / 2 + 16; ++i) compressed[i] ^= 0x5a;
  WriteFile(dir / "corrupt.gz", compressed);
  auto got = ReadFileInput(dir / "corrupt.gz");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), StatusCode::kInvalidData);
  EXPECT_TRUE(got.error().message().starts_with("corrupt gzip stream: ")) << got.error().message();
}

TEST(FileInputTest, GzipTrailingGarbageIsInvalidData) {
  TempDir dir;
  WriteFile(dir / "garbage.gz", Gzip("a,b\n1,2\n") + "not gzip");
  auto got = ReadFileInput(dir / "garbage.gz");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), StatusCode::kInvalidData);
}

TEST(FileInputTest, ZstdRoundTripWithSeveralFrames) {
  TempDir dir;
  const std::string a = RandomText(3 << 20, 4);
  const std::string b = "tail,line\n";
  WriteFile(dir / "data.csv.zst", Zstd(a) + Zstd(b, /*checksum=*/true));
  for (size_t chunk : {size_t{1000}, size_t{4 << 20}}) {
    auto got = ReadFileInput(dir / "data.csv.zst", chunk);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    EXPECT_EQ(*got, a + b) << "chunk " << chunk;
  }
}

TEST(FileInputTest, ZstdCommandOutputDecodes) {
  TempDir dir;
  const std::string data = RandomText(100000, 5);
  WriteFile(dir / "cmd.csv", data);
  ASSERT_EQ(std::system(("zstd -q " + (dir / "cmd.csv") + " -o " + (dir / "cmd.csv.zst")).c_str()),
            0);
  auto got = ReadFileInput(dir / "cmd.csv.zst");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, data);
}

TEST(FileInputTest, TruncatedZstdIsInvalidData) {
  TempDir dir;
  const std::string compressed = Zstd(RandomText(3 << 20, 6));
  WriteFile(dir / "half.zst", compressed.substr(0, compressed.size() / 2));
  WriteFile(dir / "short.zst", compressed.substr(0, compressed.size() - 1));
  for (const char* name : {"half.zst", "short.zst"}) {
    auto got = ReadFileInput(dir / name);
    ASSERT_FALSE(got.has_value()) << name;
    EXPECT_EQ(got.error().code(), StatusCode::kInvalidData) << name;
    EXPECT_EQ(got.error().message(), "truncated zstd stream") << name;
  }
}

TEST(FileInputTest, CorruptZstdIsInvalidData) {
  TempDir dir;
  std::string compressed = Zstd(RandomText(500000, 7), /*checksum=*/true);
  for (size_t i = compressed.size() / 2; i < compressed.size() / 2 + 16; ++i) compressed[i] ^= 0x5a;
  WriteFile(dir / "corrupt.zst", compressed);
  WriteFile(dir / "garbage.zst", Zstd("a,b\n") + "not zstd");
  for (const char* name : {"corrupt.zst", "garbage.zst"}) {
    auto got = ReadFileInput(dir / name);
    ASSERT_FALSE(got.has_value()) << name;
    EXPECT_EQ(got.error().code(), StatusCode::kInvalidData) << name;
    EXPECT_TRUE(got.error().message().starts_with("corrupt zstd stream: "))
        << got.error().message();
  }
}

TEST(FileInputTest, MislabelledFilesDecodeByMagic) {
  TempDir dir;
  const std::string data = "id,name\n1,alpha\n";
  WriteFile(dir / "gzip-inside.csv", Gzip(data));
  WriteFile(dir / "zstd-inside.gz", Zstd(data));
  WriteFile(dir / "plain-inside.zst", data);
  for (const char* name : {"gzip-inside.csv", "zstd-inside.gz", "plain-inside.zst"}) {
    auto got = ReadFileInput(dir / name);
    ASSERT_TRUE(got.has_value()) << name << ": " << got.error().ToString();
    EXPECT_EQ(*got, data) << name;
  }
}

TEST(FileInputTest, OpenErrors) {
  TempDir dir;
  auto missing = OpenFileInput(dir / "missing.csv");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  auto directory = OpenFileInput(dir.path());
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().code(), StatusCode::kInvalidData);
}

// A file's fingerprint as the pipeline takes it: opened beneath its folder and
// hashed from that descriptor (LandedFile).
Result<FileFingerprint> FingerprintFile(const std::string& path) {
  const std::filesystem::path p(path);
  ASSIGN_OR_RETURN(SourceFolder folder, SourceFolder::Open(p.parent_path().string()));
  ASSIGN_OR_RETURN(LandedFile file, LandedFile::Open(folder, p.filename().string()));
  return file.Fingerprint();
}

TEST(FingerprintTest, EqualBytesEqualHashDifferentBytesDifferentHash) {
  TempDir dir;
  const std::string data = RandomText(3 << 20, 8);
  WriteFile(dir / "a.csv", data);
  WriteFile(dir / "b-renamed.csv", data);
  std::string changed = data;
  changed[changed.size() / 2] ^= 1;
  WriteFile(dir / "c.csv", changed);

  auto a = FingerprintFile(dir / "a.csv");
  auto b = FingerprintFile(dir / "b-renamed.csv");
  auto c = FingerprintFile(dir / "c.csv");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(a->hash, b->hash);
  EXPECT_NE(a->hash, c->hash);
  EXPECT_TRUE(std::regex_match(a->hash, std::regex("[0-9a-f]{32}"))) << a->hash;
}

TEST(FingerprintTest, MatchesOneShotXxh3AndStat) {
  TempDir dir;
  const std::string data = RandomText((1 << 20) + 12345, 9);
  WriteFile(dir / "a.csv", data);
  auto fp = FingerprintFile(dir / "a.csv");
  ASSERT_TRUE(fp.has_value()) << fp.error().ToString();

  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data.data(), data.size()));
  std::string expected;
  for (unsigned char byte : canonical.digest) {
    static constexpr char kDigits[] = "0123456789abcdef";
    expected += kDigits[byte >> 4];
    expected += kDigits[byte & 0xf];
  }
  EXPECT_EQ(fp->hash, expected);

  struct stat st {};
  ASSERT_EQ(::stat((dir / "a.csv").c_str(), &st), 0);
  EXPECT_EQ(fp->size, data.size());
  EXPECT_EQ(fp->mtime_ns, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
}

TEST(FingerprintTest, EmptyFileHasTheKnownXxh128) {
  TempDir dir;
  WriteFile(dir / "empty.csv", "");
  auto fp = FingerprintFile(dir / "empty.csv");
  ASSERT_TRUE(fp.has_value()) << fp.error().ToString();
  EXPECT_EQ(fp->hash, "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(fp->size, 0u);
}

TEST(FingerprintTest, RawBytesNotDecodedBytes) {
  TempDir dir;
  const std::string data = "id\n1\n";
  WriteFile(dir / "plain.csv", data);
  WriteFile(dir / "packed.csv.gz", Gzip(data));
  auto plain = FingerprintFile(dir / "plain.csv");
  auto packed = FingerprintFile(dir / "packed.csv.gz");
  ASSERT_TRUE(plain.has_value());
  ASSERT_TRUE(packed.has_value());
  EXPECT_NE(plain->hash, packed->hash);
  EXPECT_EQ(packed->size, Gzip(data).size());
}

TEST(FingerprintTest, FileGrowingWhileHashedIsUnavailable) {
  TempDir dir;
  const std::string path = dir / "growing.csv";
  // A sparse 64 MiB file takes long enough to hash for the appender to land.
  {
    std::ofstream out(path, std::ios::binary);
    out.seekp((64 << 20) - 1);
    out.put('\n');
  }
  std::atomic<bool> stop{false};
  std::atomic<int> appends{0};
  std::thread writer([&] {
    while (!stop) {
      std::ofstream(path, std::ios::binary | std::ios::app) << "x";
      ++appends;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  while (appends == 0) std::this_thread::yield();
  // Retried because a starved writer thread could let one hash pass unchanged.
  Status seen;
  for (int attempt = 0; attempt < 10 && seen.ok(); ++attempt) {
    auto fp = FingerprintFile(path);
    if (!fp.has_value()) seen = fp.error();
  }
  stop = true;
  writer.join();
  EXPECT_EQ(seen.code(), StatusCode::kUnavailable);
  EXPECT_EQ(seen.message(), "file changed while hashing");
  auto settled = FingerprintFile(path);
  EXPECT_TRUE(settled.has_value());
}

TEST(FingerprintTest, MissingFileIsNotFound) {
  TempDir dir;
  auto fp = FingerprintFile(dir / "missing.csv");
  ASSERT_FALSE(fp.has_value());
  EXPECT_EQ(fp.error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace sluice

// Fuzz target: the Parquet codecs and value decoders of src/parquet/ on hostile
// bytes. The first byte picks the operation, the rest is its input:
//
//   0..7  Decompress with that Codec; bytes 1..3 the declared size (little-endian,
//         at most 16 MiB), the rest the compressed page
//   8     RLE/bit-packed hybrid (byte 1: bit width 0..33), uint32 and int16 outputs,
//         in pieces; and the legacy BIT_PACKED levels
//   9     DELTA_BINARY_PACKED, int32 and int64
//   10    DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY
//   11    BYTE_STREAM_SPLIT (byte 1: the value width 0..16)
//
// Beyond "no crash, no leak, no undefined behaviour", each operation checks the
// contracts of its header: exact output sizes, consumed bytes within the input,
// value counts within the caller's bound, and that whatever decodes re-encodes to
// the same values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "fuzz_util.h"
#include "parquet/byte_stream_split.h"
#include "parquet/codec.h"
#include "parquet/delta.h"
#include "parquet/rle.h"

namespace {

using namespace sluice::parquet;  // NOLINT(google-build-using-namespace)

constexpr size_t kMaxPage = size_t{16} << 20;
constexpr size_t kMaxValues = size_t{1} << 16;

void FuzzDecompress(Codec codec, std::string_view in) {
  if (in.size() < 3) return;
  const size_t declared = static_cast<uint8_t>(in[0]) | (static_cast<uint8_t>(in[1]) << 8) |
                          (static_cast<size_t>(static_cast<uint8_t>(in[2])) << 16);
  in.remove_prefix(3);
  std::string out;
  sluice::Status s = Decompress(codec, in, declared, out, kMaxPage);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == sluice::StatusCode::kInvalidData);
    return;
  }
  FUZZ_CHECK(out.size() == declared);
  std::string packed, back;
  FUZZ_CHECK(Compress(codec, out, packed).ok());
  FUZZ_CHECK(Decompress(codec, packed, out.size(), back, kMaxPage).ok());
  FUZZ_CHECK(back == out);
}

template <typename T>
void FuzzRleInto(std::string_view in, int width) {
  RleBitPackedDecoder decoder(in, width);
  std::vector<T> values(1 + in.size() * 8);
  size_t produced = 0;
  for (size_t piece = 1; produced < values.size(); piece = piece * 3 % 1000 + 1) {
    const size_t want = std::min(piece, values.size() - produced);
    sluice::Result<size_t> n = decoder.Get(values.data() + produced, want);
    if (!n.has_value()) {
      FUZZ_CHECK(n.error().code() == sluice::StatusCode::kInvalidData);
      FUZZ_CHECK(!decoder.Get(values.data(), 1).has_value());  // stays failed
      return;
    }
    FUZZ_CHECK(*n <= want);
    FUZZ_CHECK(decoder.bytes_consumed() <= in.size());
    produced += *n;
    if (*n < want) break;  // the runs ended
  }
  // What decoded re-encodes and decodes to the same values.
  if constexpr (std::is_same_v<T, uint32_t>) {
    if (width > 32) return;
    RleBitPackedEncoder encoder(width);
    for (size_t i = 0; i < produced; ++i) encoder.Put(static_cast<uint32_t>(values[i]));
    std::string encoded;
    encoder.Flush(encoded);
    std::vector<T> again(produced + 8);
    RleBitPackedDecoder redecoder(encoded, width);
    sluice::Result<size_t> n = redecoder.Get(again.data(), produced);
    FUZZ_CHECK(n.has_value() && *n == produced);
    for (size_t i = 0; i < produced; ++i) FUZZ_CHECK(again[i] == values[i]);
  }
}

void FuzzRle(std::string_view in) {
  if (in.empty()) return;
  const int width = static_cast<uint8_t>(in[0]) % 34;
  in.remove_prefix(1);
  FuzzRleInto<uint32_t>(in, width);
  FuzzRleInto<int16_t>(in, width);
  std::vector<int16_t> levels(in.size() * 8 / 16 + 1);
  sluice::Result<size_t> used = DecodeLegacyBitPacked(in, width % 17, levels.size(), levels.data());
  if (used.has_value()) FUZZ_CHECK(*used <= in.size());
}

template <typename T>
void FuzzDbp(std::string_view in) {
  std::vector<T> values;
  sluice::Result<size_t> used = DecodeDeltaBinaryPacked(in, kMaxValues, values);
  if (!used.has_value()) {
    FUZZ_CHECK(used.error().code() == sluice::StatusCode::kInvalidData);
    return;
  }
  FUZZ_CHECK(*used <= in.size());
  FUZZ_CHECK(values.size() <= kMaxValues);
  std::string encoded;
  EncodeDeltaBinaryPacked(std::span<const T>(values), encoded);
  std::vector<T> again;
  used = DecodeDeltaBinaryPacked(encoded, kMaxValues, again);
  FUZZ_CHECK(used.has_value() && *used == encoded.size());
  FUZZ_CHECK(again == values);
}

bool Within(std::string_view inner, std::string_view outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

void FuzzByteArrays(std::string_view in) {
  std::vector<std::string_view> values;
  sluice::Result<size_t> used = DecodeDeltaLengthByteArray(in, kMaxValues, values);
  if (used.has_value()) {
    FUZZ_CHECK(*used <= in.size());
    for (std::string_view v : values) FUZZ_CHECK(Within(v, in.substr(0, *used)));
  } else {
    FUZZ_CHECK(used.error().code() == sluice::StatusCode::kInvalidData);
  }
  std::string arena;
  constexpr size_t kMaxBytes = size_t{4} << 20;
  used = DecodeDeltaByteArray(in, kMaxValues, arena, values, kMaxBytes);
  if (!used.has_value()) {
    FUZZ_CHECK(used.error().code() == sluice::StatusCode::kInvalidData);
    return;
  }
  FUZZ_CHECK(*used <= in.size());
  FUZZ_CHECK(arena.size() <= kMaxBytes);
  for (std::string_view v : values) FUZZ_CHECK(Within(v, arena));
  const std::vector<std::string> copies(values.begin(), values.end());
  std::string encoded, arena2;
  EncodeDeltaByteArray(values, encoded);
  std::vector<std::string_view> again;
  used = DecodeDeltaByteArray(encoded, kMaxValues, arena2, again, kMaxBytes);
  FUZZ_CHECK(used.has_value() && *used == encoded.size());
  FUZZ_CHECK(std::vector<std::string>(again.begin(), again.end()) == copies);
}

void FuzzByteStreamSplit(std::string_view in) {
  if (in.empty()) return;
  const size_t width = static_cast<uint8_t>(in[0]) % 17;
  in.remove_prefix(1);
  std::string out;
  sluice::Status s = DecodeByteStreamSplit(in, width, out);
  if (!s.ok()) {
    FUZZ_CHECK(width == 0 || in.size() % width != 0);
    return;
  }
  FUZZ_CHECK(out.size() == in.size());
  std::string encoded;
  EncodeByteStreamSplit(out, width, encoded);
  FUZZ_CHECK(encoded == in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const uint8_t op = data[0] % 12;
  if (op < 8) {
    FuzzDecompress(static_cast<Codec>(op), in);
  } else if (op == 8) {
    FuzzRle(in);
  } else if (op == 9) {
    FuzzDbp<int32_t>(in);
    FuzzDbp<int64_t>(in);
  } else if (op == 10) {
    FuzzByteArrays(in);
  } else {
    FuzzByteStreamSplit(in);
  }
  return 0;
}

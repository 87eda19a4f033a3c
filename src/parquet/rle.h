// The RLE / bit-packed hybrid encoding of Parquet (definition and repetition
// levels, dictionary indices, RLE booleans), the deprecated BIT_PACKED level
// encoding, and the bit-width helper.
//
//   hybrid := run*    run := varint(n << 1) value(ceil(width/8) bytes, LE)   RLE
//                          | varint(g << 1 | 1) 8*g values packed LSB-first  bit-packed
//
// Callers pass the span of the runs: for v1 page levels that is the body after the
// 4-byte little-endian length (ReadLengthPrefixed), for v2 levels the byte range
// the page header gives, for dictionary indices the bytes after the leading
// bit-width byte.
//
// Thread-safety: decoders and encoders are single-owner values; free functions
// are safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sluice::parquet {

// The number of bits needed for values 0..max_value (0 for 0, 64 for UINT64_MAX).
int BitWidth(uint64_t max_value);

// Splits the 4-byte little-endian length prefix from `data`: returns the body it
// announces (the caller has consumed 4 + body.size() bytes). InvalidData when
// fewer than 4 bytes remain or the length exceeds what follows.
Result<std::string_view> ReadLengthPrefixed(std::string_view data);

// Streaming decoder of hybrid runs. Values are produced run by run; a decoder can
// be asked for any number at a time. The data must outlive the decoder.
class RleBitPackedDecoder {
 public:
  RleBitPackedDecoder() = default;
  // Requires `bit_width` in 0..32 (checked by Get, which fails otherwise).
  RleBitPackedDecoder(std::string_view data, int bit_width) { Reset(data, bit_width); }
  void Reset(std::string_view data, int bit_width);

  // Writes up to `n` values to `out`; returns how many: `n`, or fewer when the
  // data ends, so a caller that needs `n` values treats a short count as
  // InvalidData. A final bit-packed run cut short yields the values whose bits
  // are present, as parquet-mr and Arrow read it. InvalidData ("RLE/bit-packed:
  // ... at byte N") when a run header is malformed or truncated, an RLE value is
  // truncated or wider than the bit width, or the bit width is not 0..32; the
  // decoder then stays failed. The int16_t form is for levels and fails with
  // InvalidData if a value exceeds INT16_MAX.
  Result<size_t> Get(uint32_t* out, size_t n);
  Result<size_t> Get(int16_t* out, size_t n);

  // Bytes of the data consumed by the runs started so far (a partly read
  // bit-packed run counts whole). Equals the data's size once every run is read.
  size_t bytes_consumed() const { return pos_; }

 private:
  template <typename T>
  Result<size_t> GetImpl(T* out, size_t n);
  Status NextRun();

  std::string_view data_;
  size_t pos_ = 0;
  int bit_width_ = 0;
  bool failed_ = false;
  // Current run: an RLE run repeats rle_value_ rle_left_ times; a bit-packed run
  // has packed_left_ values left starting at bit packed_bit_ of packed_.
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;
  const uint8_t* packed_ = nullptr;
  size_t packed_size_ = 0;
  uint64_t packed_bit_ = 0;
};

// Decodes exactly `count` values of the deprecated BIT_PACKED level encoding
// (packed MSB-first, no run headers, ceil(count*width/8) bytes) into `out`;
// returns the bytes consumed. InvalidData when `data` is too short or
// `bit_width` is not 0..15.
Result<size_t> DecodeLegacyBitPacked(std::string_view data, int bit_width, size_t count,
                                     int16_t* out);

// Streaming encoder of hybrid runs (no length prefix, no bit-width byte): runs of
// 8 or more equal values become RLE runs, the rest bit-packed runs of at most 504
// values. A final run after whole groups is RLE whatever its length; otherwise the
// final bit-packed run is padded with zeros to a multiple of 8 values, as the
// format allows: readers know the value count.
class RleBitPackedEncoder {
 public:
  // Requires `bit_width` in 0..32 and every value put to fit in it.
  explicit RleBitPackedEncoder(int bit_width);
  void Put(uint32_t value);
  void Put(std::span<const uint32_t> values);
  // Appends the runs of every value put since construction or the last Flush to
  // `out`, and starts afresh.
  void Flush(std::string& out);

 private:
  void EndRun();
  void WriteLiterals(size_t n);
  void WriteRle(uint32_t value, uint64_t count);

  int bit_width_;
  std::string buf_;
  std::vector<uint32_t> literals_;
  uint32_t run_value_ = 0;
  uint64_t run_count_ = 0;
};

}  // namespace sluice::parquet

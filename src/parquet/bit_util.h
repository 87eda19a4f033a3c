// Bit-level primitives of Parquet's encodings: ULEB128 varints and zigzag
// integers (as the encodings and Thrift's compact protocol store them), and
// LSB-first bit unpacking.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::parquet {

// Reads a varint of at most `max_bytes` bytes (10 for 64 bits, 5 for 32) at `pos`,
// advancing `pos`. False when the data ends first, the varint is longer, or its
// value overflows 64 bits; `pos` is then unspecified.
inline bool ReadVarint(std::string_view data, size_t& pos, uint64_t& value, int max_bytes = 10) {
  value = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (pos == data.size()) return false;
    const uint8_t b = static_cast<uint8_t>(data[pos++]);
    value |= uint64_t{static_cast<uint8_t>(b & 0x7f)} << (7 * i);
    if ((b & 0x80) == 0) return i < 9 || b <= 1;
  }
  return false;
}

inline void AppendVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline int64_t ZigZagDecode(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

// The `bit_width` (0..64) bits at bit `bit` of `p`, LSB-first (bit-packed runs,
// miniblocks), reading no byte at or past `size`. Requires the value's own bits
// to lie below byte `size`.
inline uint64_t UnpackBits(const uint8_t* p, size_t size, uint64_t bit, int bit_width) {
  const size_t byte = bit >> 3;
  const int shift = static_cast<int>(bit & 7);
  uint64_t lo = 0;
  if (byte + 8 <= size) {
    std::memcpy(&lo, p + byte, 8);  // the common case: a fixed-size load
  } else {
    std::memcpy(&lo, p + byte, size - byte);
  }
  uint64_t v = lo >> shift;
  if (shift + bit_width > 64) v |= uint64_t{p[byte + 8]} << (64 - shift);
  return bit_width == 64 ? v : v & ((uint64_t{1} << bit_width) - 1);
}

}  // namespace sluice::parquet

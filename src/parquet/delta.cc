// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (see delta.h).
#include "parquet/delta.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "parquet/bit_util.h"
#include "parquet/rle.h"

namespace sluice::parquet {

namespace {

constexpr std::string_view kDbp = "DELTA_BINARY_PACKED";

Status Malformed(std::string_view encoding, std::string_view what, size_t offset) {
  return Status::InvalidData(std::string(encoding) + ": " + std::string(what) + " at byte " +
                             std::to_string(offset));
}

template <typename T>
Result<size_t> DecodeDbp(std::string_view data, size_t max_values, std::vector<T>& out) {
  using U = std::make_unsigned_t<T>;
  constexpr int kMaxWidth = std::numeric_limits<U>::digits;
  out.clear();
  size_t pos = 0;
  uint64_t block_size, miniblocks, total, first;
  if (!ReadVarint(data, pos, block_size) || !ReadVarint(data, pos, miniblocks) ||
      !ReadVarint(data, pos, total) || !ReadVarint(data, pos, first)) {
    return Malformed(kDbp, "truncated or overlong header", pos);
  }
  if (block_size == 0 || block_size % 128 != 0 || block_size > (uint64_t{1} << 24)) {
    return Malformed(kDbp, "block size " + std::to_string(block_size) + " not a multiple of 128",
                     0);
  }
  if (miniblocks == 0 || block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    return Malformed(kDbp,
                     std::to_string(miniblocks) + " miniblocks cannot split a block of " +
                         std::to_string(block_size) + " into multiples of 32 values",
                     0);
  }
  if (total > max_values) {
    return Malformed(kDbp,
                     std::to_string(total) + " values where the page holds at most " +
                         std::to_string(max_values),
                     0);
  }
  if (total == 0) return pos;
  const uint64_t per_miniblock = block_size / miniblocks;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  out.resize(static_cast<size_t>(total));
  T* dst = out.data();
  // Two's complement wrapping, in the unsigned type of the value's width.
  U value = static_cast<U>(ZigZagDecode(first));
  *dst++ = static_cast<T>(value);
  uint64_t remaining = total - 1;
  while (remaining > 0) {
    const size_t block_start = pos;
    uint64_t min_delta_zz;
    if (!ReadVarint(data, pos, min_delta_zz)) return Malformed(kDbp, "truncated block", pos);
    const U min_delta = static_cast<U>(ZigZagDecode(min_delta_zz));
    if (data.size() - pos < miniblocks) return Malformed(kDbp, "truncated bit widths", pos);
    const uint8_t* widths = p + pos;
    pos += miniblocks;
    for (uint64_t m = 0; m < miniblocks && remaining > 0; ++m) {
      const int width = widths[m];
      if (width > kMaxWidth) {
        return Malformed(
            kDbp,
            "miniblock bit width " + std::to_string(width) + " above " + std::to_string(kMaxWidth),
            block_start);
      }
      const uint64_t n = std::min(per_miniblock, remaining);
      const uint64_t needed = (n * width + 7) / 8;
      if (data.size() - pos < needed) return Malformed(kDbp, "truncated miniblock", pos);
      const size_t available = data.size() - pos;
      if (width == 0) {
        for (uint64_t i = 0; i < n; ++i) *dst++ = static_cast<T>(value += min_delta);
      } else {
        for (uint64_t i = 0; i < n; ++i) {
          value += min_delta + static_cast<U>(UnpackBits(p + pos, available, i * width, width));
          *dst++ = static_cast<T>(value);
        }
      }
      // The last miniblock is padded to full size; a writer that dropped the
      // padding at the very end of the data is read as far as the data goes.
      pos += static_cast<size_t>(std::min<uint64_t>(per_miniblock * width / 8, available));
      remaining -= n;
    }
  }
  return pos;
}

template <typename T>
void EncodeDbp(std::span<const T> values, std::string& out) {
  using U = std::make_unsigned_t<T>;
  constexpr size_t kBlock = 128;
  constexpr size_t kMiniblocks = 4;
  constexpr size_t kPerMiniblock = kBlock / kMiniblocks;
  AppendVarint(kBlock, out);
  AppendVarint(kMiniblocks, out);
  AppendVarint(values.size(), out);
  AppendVarint(ZigZagEncode(values.empty() ? 0 : static_cast<int64_t>(values[0])), out);
  T deltas[kBlock];
  U packed[kBlock];
  for (size_t start = 1; start < values.size(); start += kBlock) {
    const size_t n = std::min(kBlock, values.size() - start);
    T min_delta = std::numeric_limits<T>::max();
    for (size_t i = 0; i < n; ++i) {
      deltas[i] =
          static_cast<T>(static_cast<U>(values[start + i]) - static_cast<U>(values[start + i - 1]));
      min_delta = std::min(min_delta, deltas[i]);
    }
    uint8_t widths[kMiniblocks] = {};
    for (size_t i = 0; i < kBlock; ++i) {
      packed[i] = i < n ? static_cast<U>(static_cast<U>(deltas[i]) - static_cast<U>(min_delta)) : 0;
      widths[i / kPerMiniblock] =
          std::max<uint8_t>(widths[i / kPerMiniblock], static_cast<uint8_t>(BitWidth(packed[i])));
    }
    AppendVarint(ZigZagEncode(static_cast<int64_t>(min_delta)), out);
    const size_t used = (n + kPerMiniblock - 1) / kPerMiniblock;
    for (size_t m = 0; m < kMiniblocks; ++m) {
      out.push_back(static_cast<char>(m < used ? widths[m] : 0));
    }
    for (size_t m = 0; m < used; ++m) {
      const int width = widths[m];
      // 32 values of `width` bits fill 4*width bytes exactly.
      unsigned __int128 acc = 0;
      int acc_bits = 0;
      for (size_t i = m * kPerMiniblock; i < (m + 1) * kPerMiniblock; ++i) {
        acc |= static_cast<unsigned __int128>(static_cast<uint64_t>(packed[i])) << acc_bits;
        acc_bits += width;
        while (acc_bits >= 8) {
          out.push_back(static_cast<char>(static_cast<uint8_t>(acc)));
          acc >>= 8;
          acc_bits -= 8;
        }
      }
    }
  }
}

}  // namespace

Result<size_t> DecodeDeltaBinaryPacked(std::string_view data, size_t max_values,
                                       std::vector<int32_t>& out) {
  return DecodeDbp(data, max_values, out);
}

Result<size_t> DecodeDeltaBinaryPacked(std::string_view data, size_t max_values,
                                       std::vector<int64_t>& out) {
  return DecodeDbp(data, max_values, out);
}

Result<size_t> DecodeDeltaLengthByteArray(std::string_view data, size_t max_values,
                                          std::vector<std::string_view>& out) {
  out.clear();
  std::vector<int32_t> lengths;
  auto consumed = DecodeDeltaBinaryPacked(data, max_values, lengths);
  if (!consumed) {
    return consumed.error().WithContext("DELTA_LENGTH_BYTE_ARRAY lengths");
  }
  size_t pos = *consumed;
  out.reserve(lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    const int32_t length = lengths[i];
    if (length < 0 || static_cast<size_t>(length) > data.size() - pos) {
      return Malformed("DELTA_LENGTH_BYTE_ARRAY",
                       "value " + std::to_string(i) + " of length " + std::to_string(length) +
                           " does not fit the " + std::to_string(data.size() - pos) + " bytes left",
                       pos);
    }
    out.push_back(data.substr(pos, static_cast<size_t>(length)));
    pos += static_cast<size_t>(length);
  }
  return pos;
}

Result<size_t> DecodeDeltaByteArray(std::string_view data, size_t max_values, std::string& arena,
                                    std::vector<std::string_view>& out, size_t max_bytes) {
  constexpr std::string_view kDba = "DELTA_BYTE_ARRAY";
  out.clear();
  std::vector<int32_t> prefixes;
  auto prefix_bytes = DecodeDeltaBinaryPacked(data, max_values, prefixes);
  if (!prefix_bytes) return prefix_bytes.error().WithContext("DELTA_BYTE_ARRAY prefix lengths");
  std::vector<std::string_view> suffixes;
  auto suffix_bytes = DecodeDeltaLengthByteArray(data.substr(*prefix_bytes), max_values, suffixes);
  if (!suffix_bytes) return suffix_bytes.error().WithContext("DELTA_BYTE_ARRAY suffixes");
  if (suffixes.size() != prefixes.size()) {
    return Malformed(kDba,
                     std::to_string(prefixes.size()) + " prefix lengths but " +
                         std::to_string(suffixes.size()) + " suffixes",
                     *prefix_bytes);
  }
  // Size the arena once, so the views handed out stay valid.
  size_t total = 0;
  size_t previous = 0;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (prefixes[i] < 0 || static_cast<size_t>(prefixes[i]) > previous) {
      return Malformed(kDba,
                       "value " + std::to_string(i) + " takes a prefix of " +
                           std::to_string(prefixes[i]) + " bytes from a previous value of " +
                           std::to_string(previous),
                       0);
    }
    previous = static_cast<size_t>(prefixes[i]) + suffixes[i].size();
    if (previous > max_bytes - total) {
      return Malformed(kDba, "values expand beyond " + std::to_string(max_bytes) + " bytes", 0);
    }
    total += previous;
  }
  arena.clear();
  arena.resize(total);
  out.reserve(prefixes.size());
  size_t pos = 0;
  std::string_view last;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    char* dst = arena.data() + pos;
    const size_t prefix = static_cast<size_t>(prefixes[i]);
    // Empty views may have no data pointer, which memcpy must not be given.
    if (prefix != 0) std::memcpy(dst, last.data(), prefix);
    if (!suffixes[i].empty()) std::memcpy(dst + prefix, suffixes[i].data(), suffixes[i].size());
    last = std::string_view(dst, prefix + suffixes[i].size());
    out.push_back(last);
    pos += last.size();
  }
  return *prefix_bytes + *suffix_bytes;
}

void EncodeDeltaBinaryPacked(std::span<const int32_t> values, std::string& out) {
  EncodeDbp(values, out);
}

void EncodeDeltaBinaryPacked(std::span<const int64_t> values, std::string& out) {
  EncodeDbp(values, out);
}

void EncodeDeltaLengthByteArray(std::span<const std::string_view> values, std::string& out) {
  std::vector<int32_t> lengths;
  lengths.reserve(values.size());
  for (std::string_view v : values) lengths.push_back(static_cast<int32_t>(v.size()));
  EncodeDeltaBinaryPacked(lengths, out);
  for (std::string_view v : values) out += v;
}

void EncodeDeltaByteArray(std::span<const std::string_view> values, std::string& out) {
  std::vector<int32_t> prefixes;
  std::vector<std::string_view> suffixes;
  prefixes.reserve(values.size());
  suffixes.reserve(values.size());
  std::string_view previous;
  for (std::string_view v : values) {
    const size_t limit = std::min(previous.size(), v.size());
    size_t common = 0;
    while (common < limit && previous[common] == v[common]) ++common;
    prefixes.push_back(static_cast<int32_t>(common));
    suffixes.push_back(v.substr(common));
    previous = v;
  }
  EncodeDeltaBinaryPacked(prefixes, out);
  EncodeDeltaLengthByteArray(suffixes, out);
}

}  // namespace sluice::parquet

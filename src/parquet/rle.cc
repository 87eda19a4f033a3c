// RLE / bit-packed hybrid decoding and encoding (see rle.h).
#include "parquet/rle.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "parquet/bit_util.h"

namespace sluice::parquet {

namespace {

Status RleError(std::string_view what, size_t offset) {
  return Status::InvalidData("RLE/bit-packed: " + std::string(what) + " at byte " +
                             std::to_string(offset));
}

}  // namespace

int BitWidth(uint64_t max_value) { return max_value == 0 ? 0 : 64 - std::countl_zero(max_value); }

Result<std::string_view> ReadLengthPrefixed(std::string_view data) {
  if (data.size() < 4) {
    return Status::InvalidData("RLE/bit-packed: " + std::to_string(data.size()) +
                               " bytes cannot hold the 4-byte length");
  }
  uint32_t length;
  std::memcpy(&length, data.data(), 4);  // little-endian, as is every platform sluice builds on
  if (length > data.size() - 4) {
    return Status::InvalidData("RLE/bit-packed: the length " + std::to_string(length) +
                               " exceeds the " + std::to_string(data.size() - 4) +
                               " bytes that follow");
  }
  return data.substr(4, length);
}

void RleBitPackedDecoder::Reset(std::string_view data, int bit_width) {
  data_ = data;
  pos_ = 0;
  bit_width_ = bit_width;
  failed_ = false;
  rle_left_ = 0;
  packed_left_ = 0;
}

Status RleBitPackedDecoder::NextRun() {
  const size_t start = pos_;
  uint64_t header = 0;
  // Readers take run headers as 32-bit varints.
  if (!ReadVarint(data_, pos_, header, 5) || header > std::numeric_limits<uint32_t>::max()) {
    return RleError("truncated or overlong run header", start);
  }
  if ((header & 1) == 0) {
    const size_t value_bytes = static_cast<size_t>(bit_width_ + 7) / 8;
    if (data_.size() - pos_ < value_bytes) return RleError("truncated RLE run value", start);
    uint32_t value = 0;
    for (size_t i = 0; i < value_bytes; ++i) {
      value |= uint32_t{static_cast<uint8_t>(data_[pos_ + i])} << (8 * i);
    }
    if (bit_width_ < 32 && value >> bit_width_ != 0) {
      return RleError("RLE run value " + std::to_string(value) + " wider than " +
                          std::to_string(bit_width_) + " bits",
                      start);
    }
    pos_ += value_bytes;
    rle_value_ = value;
    rle_left_ = header >> 1;
    return Status::Ok();
  }
  // A bit-packed run of 8*groups values. Like parquet-mr and Arrow, a final run cut
  // short yields the values whose bits are all present; the caller counts values.
  const uint64_t groups = header >> 1;
  const uint64_t run_bytes = groups * static_cast<uint64_t>(bit_width_);
  const size_t available = static_cast<size_t>(std::min<uint64_t>(run_bytes, data_.size() - pos_));
  packed_ = reinterpret_cast<const uint8_t*>(data_.data() + pos_);
  packed_size_ = available;
  packed_bit_ = 0;
  packed_left_ =
      bit_width_ == 0 ? groups * 8 : std::min<uint64_t>(groups * 8, available * 8 / bit_width_);
  pos_ += available;
  return Status::Ok();
}

template <typename T>
Result<size_t> RleBitPackedDecoder::GetImpl(T* out, size_t n) {
  if (failed_) return Status::InvalidData("RLE/bit-packed: data already found corrupt");
  if (bit_width_ < 0 || bit_width_ > 32) {
    failed_ = true;
    return Status::InvalidData("RLE/bit-packed: bit width " + std::to_string(bit_width_) +
                               " outside 0..32");
  }
  // Levels decode into int16_t; a wider value cannot be a level.
  constexpr uint32_t kMax = static_cast<uint32_t>(std::numeric_limits<T>::max());
  const bool check = bit_width_ >= std::numeric_limits<T>::digits;
  size_t produced = 0;
  while (produced < n) {
    if (rle_left_ > 0) {
      if (check && rle_value_ > kMax) break;
      const size_t k = static_cast<size_t>(std::min<uint64_t>(rle_left_, n - produced));
      std::fill_n(out + produced, k, static_cast<T>(rle_value_));
      rle_left_ -= k;
      produced += k;
      continue;
    }
    if (packed_left_ > 0) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(packed_left_, n - produced));
      if (bit_width_ == 0) {
        std::fill_n(out + produced, k, T{0});
      } else {
        // The run is unpacked a run at a time: values whose 8 bytes from their first
        // byte lie inside the run load with one unaligned read and no bounds test;
        // only the last few take UnpackBits' careful path.
        const uint64_t width = static_cast<uint64_t>(bit_width_);
        const uint64_t mask = (uint64_t{1} << width) - 1;
        const uint64_t fast_limit = packed_size_ >= 8 ? (packed_size_ - 7) * 8 : 0;
        const size_t fast = packed_bit_ >= fast_limit
                                ? 0
                                : static_cast<size_t>(std::min<uint64_t>(
                                      k, (fast_limit - 1 - packed_bit_) / width + 1));
        T* dst = out + produced;
        uint64_t bit = packed_bit_;
        uint32_t widest = 0;
        for (size_t i = 0; i < fast; ++i, bit += width) {
          uint64_t word;
          std::memcpy(&word, packed_ + (bit >> 3), 8);
          const auto v = static_cast<uint32_t>((word >> (bit & 7)) & mask);
          widest |= v;
          dst[i] = static_cast<T>(v);
        }
        for (size_t i = fast; i < k; ++i, bit += width) {
          const auto v = static_cast<uint32_t>(UnpackBits(packed_, packed_size_, bit, bit_width_));
          widest |= v;
          dst[i] = static_cast<T>(v);
        }
        if (check && widest > kMax) {
          failed_ = true;
          for (size_t i = 0; i < k; ++i) {
            const auto v = static_cast<uint32_t>(
                UnpackBits(packed_, packed_size_, packed_bit_ + i * width, bit_width_));
            if (v > kMax) {
              return Status::InvalidData("RLE/bit-packed: value " + std::to_string(v) +
                                         " exceeds the level range");
            }
          }
        }
        packed_bit_ = bit;
      }
      packed_left_ -= k;
      produced += k;
      continue;
    }
    if (pos_ == data_.size()) return produced;
    Status s = NextRun();
    if (!s.ok()) {
      failed_ = true;
      return s;
    }
  }
  if (produced < n) {  // stopped on an RLE value too wide for T
    failed_ = true;
    return Status::InvalidData("RLE/bit-packed: value " + std::to_string(rle_value_) +
                               " exceeds the level range");
  }
  return produced;
}

Result<size_t> RleBitPackedDecoder::Get(uint32_t* out, size_t n) { return GetImpl(out, n); }
Result<size_t> RleBitPackedDecoder::Get(int16_t* out, size_t n) { return GetImpl(out, n); }

Result<size_t> DecodeLegacyBitPacked(std::string_view data, int bit_width, size_t count,
                                     int16_t* out) {
  if (bit_width < 0 || bit_width > 15) {
    return Status::InvalidData("BIT_PACKED: bit width " + std::to_string(bit_width) +
                               " outside 0..15");
  }
  const uint64_t bits = static_cast<uint64_t>(count) * static_cast<uint64_t>(bit_width);
  const uint64_t bytes = (bits + 7) / 8;
  if (bytes > data.size()) {
    return Status::InvalidData("BIT_PACKED: " + std::to_string(count) + " levels need " +
                               std::to_string(bytes) + " bytes, " + std::to_string(data.size()) +
                               " remain");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  uint64_t bit = 0;
  for (size_t i = 0; i < count; ++i) {
    uint32_t v = 0;
    // Most significant bit first, across byte boundaries.
    for (int b = 0; b < bit_width; ++b, ++bit) {
      v = (v << 1) | ((p[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    out[i] = static_cast<int16_t>(v);
  }
  return static_cast<size_t>(bytes);
}

RleBitPackedEncoder::RleBitPackedEncoder(int bit_width) : bit_width_(bit_width) {}

void RleBitPackedEncoder::Put(uint32_t value) {
  // Runs are capped so that a run header always fits the 32-bit varint readers take.
  constexpr uint64_t kMaxRun = uint64_t{1} << 30;
  if (run_count_ > 0 && value == run_value_ && run_count_ < kMaxRun) {
    ++run_count_;
    return;
  }
  EndRun();
  run_value_ = value;
  run_count_ = 1;
}

void RleBitPackedEncoder::Put(std::span<const uint32_t> values) {
  constexpr uint64_t kMaxRun = uint64_t{1} << 30;
  constexpr size_t kMaxLiterals = 504;
  for (uint32_t value : values) {
    if (run_count_ > 0 && value == run_value_ && run_count_ < kMaxRun) {
      ++run_count_;
    } else if (run_count_ == 1 && literals_.size() + 1 < kMaxLiterals) {
      // What EndRun does with a run of one that fills no literal block: it
      // becomes a literal (dictionary indices of many values are mostly these).
      literals_.push_back(run_value_);
      run_value_ = value;
    } else {
      EndRun();
      run_value_ = value;
      run_count_ = 1;
    }
  }
}

void RleBitPackedEncoder::EndRun() {
  if (run_count_ == 0) return;
  // Bit-packed runs hold whole groups of 8: a long run first tops the pending
  // literals up to a group boundary, then repeats as an RLE run.
  constexpr size_t kMaxLiterals = 504;  // 63 groups: one-byte run headers
  const size_t pad = (8 - literals_.size() % 8) % 8;
  if (run_count_ >= pad + 8) {
    literals_.insert(literals_.end(), pad, run_value_);
    if (!literals_.empty()) WriteLiterals(literals_.size());
    literals_.clear();
    WriteRle(run_value_, run_count_ - pad);
  } else {
    literals_.insert(literals_.end(), static_cast<size_t>(run_count_), run_value_);
    if (literals_.size() >= kMaxLiterals) {
      WriteLiterals(kMaxLiterals);
      literals_.erase(literals_.begin(), literals_.begin() + kMaxLiterals);
    }
  }
  run_count_ = 0;
}

void RleBitPackedEncoder::WriteLiterals(size_t n) {
  AppendVarint(((n / 8) << 1) | 1, buf_);
  uint64_t acc = 0;
  int acc_bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc |= uint64_t{literals_[i]} << acc_bits;
    acc_bits += bit_width_;
    while (acc_bits >= 8) {
      buf_.push_back(static_cast<char>(acc & 0xff));
      acc >>= 8;
      acc_bits -= 8;
    }
  }
  // n is a multiple of 8, so 8 values fill whole bytes: nothing is left over.
}

void RleBitPackedEncoder::WriteRle(uint32_t value, uint64_t count) {
  AppendVarint(count << 1, buf_);
  for (int i = 0; i < (bit_width_ + 7) / 8; ++i)
    buf_.push_back(static_cast<char>(value >> (8 * i)));
}

void RleBitPackedEncoder::Flush(std::string& out) {
  // A final run after whole groups is written as RLE whatever its length: exact,
  // with no padding values.
  if (run_count_ > 0 && literals_.size() % 8 == 0) {
    if (!literals_.empty()) WriteLiterals(literals_.size());
    literals_.clear();
    WriteRle(run_value_, run_count_);
    run_count_ = 0;
  }
  EndRun();
  if (!literals_.empty()) {
    literals_.resize((literals_.size() + 7) / 8 * 8, 0);
    WriteLiterals(literals_.size());
    literals_.clear();
  }
  out += buf_;
  buf_.clear();
}

}  // namespace sluice::parquet

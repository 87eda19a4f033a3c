// Parquet's delta encodings: DELTA_BINARY_PACKED (INT32, INT64),
// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (incremental / front coding), and
// their encoders.
//
//   DELTA_BINARY_PACKED := header block*
//   header := varint(block_size) varint(miniblocks_per_block) varint(total_count)
//             zigzag(first_value)
//   block  := zigzag(min_delta) bit_width[miniblocks_per_block] miniblock*
//
// block_size is a positive multiple of 128 and block_size / miniblocks_per_block a
// multiple of 32. Arithmetic wraps in two's complement of the value's width, as
// the format says, so every int32/int64 sequence round-trips.
//
// Each decoder decodes a whole stream (a page's values), returns the bytes it
// consumed (v1 pages may hold more after it), and is InvalidData ("DELTA_...:
// ...") on malformed input. Allocation is bounded by the caller's `max_values`
// (a page's value count) and, for DELTA_BYTE_ARRAY, `max_bytes`.
//
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sluice::parquet {

// Default bound on the bytes a DELTA_BYTE_ARRAY page may expand to (prefixes can
// repeat earlier bytes, so the output may be far larger than the page).
inline constexpr size_t kMaxDeltaByteArrayBytes = size_t{1} << 30;

// Decodes a DELTA_BINARY_PACKED stream into `out` (replaced). InvalidData when the
// header's value count exceeds `max_values`, the header or a block is malformed
// (block size, miniblock count, a bit width above the type's width), or the data
// ends early. Returns the bytes consumed.
Result<size_t> DecodeDeltaBinaryPacked(std::string_view data, size_t max_values,
                                       std::vector<int32_t>& out);
Result<size_t> DecodeDeltaBinaryPacked(std::string_view data, size_t max_values,
                                       std::vector<int64_t>& out);

// Decodes a DELTA_LENGTH_BYTE_ARRAY stream (DELTA_BINARY_PACKED lengths, then the
// bytes) into `out` (replaced): views into `data`. InvalidData for a negative
// length or lengths beyond the data. Returns the bytes consumed.
Result<size_t> DecodeDeltaLengthByteArray(std::string_view data, size_t max_values,
                                          std::vector<std::string_view>& out);

// Decodes a DELTA_BYTE_ARRAY stream (DELTA_BINARY_PACKED prefix lengths, then a
// DELTA_LENGTH_BYTE_ARRAY of suffixes) into `out` (replaced): views into `arena`,
// which is replaced and sized once, so the views stay valid until `arena` is
// next modified. InvalidData when a prefix is longer than the previous value, the
// counts differ, or the values would exceed `max_bytes`. Returns the bytes consumed.
Result<size_t> DecodeDeltaByteArray(std::string_view data, size_t max_values, std::string& arena,
                                    std::vector<std::string_view>& out,
                                    size_t max_bytes = kMaxDeltaByteArrayBytes);

// Encoders: append the stream for `values` to `out` (blocks of 128 values in 4
// miniblocks, as parquet-mr writes them).
void EncodeDeltaBinaryPacked(std::span<const int32_t> values, std::string& out);
void EncodeDeltaBinaryPacked(std::span<const int64_t> values, std::string& out);
void EncodeDeltaLengthByteArray(std::span<const std::string_view> values, std::string& out);
void EncodeDeltaByteArray(std::span<const std::string_view> values, std::string& out);

}  // namespace sluice::parquet

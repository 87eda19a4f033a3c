// Parquet's BYTE_STREAM_SPLIT encoding: byte k of every value is stored in stream
// k (streams concatenated), for FLOAT, DOUBLE, INT32, INT64 (widths 4 and 8),
// FLOAT16 (2) and FIXED_LEN_BYTE_ARRAY of any width.
//
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sluice::parquet {

// Decodes `data` (the whole encoded run of a page's values) into `out`
// (replaced): the values' plain little-endian layout, data.size() / width values
// of `width` bytes. InvalidData when `width` is 0 or data.size() is not a
// multiple of it.
Status DecodeByteStreamSplit(std::string_view data, size_t width, std::string& out);

// Appends the encoding of `plain` (values of `width` bytes, back to back) to
// `out`. Requires width > 0 and plain.size() a multiple of width.
void EncodeByteStreamSplit(std::string_view plain, size_t width, std::string& out);

}  // namespace sluice::parquet

// BYTE_STREAM_SPLIT decode and encode (see byte_stream_split.h).
#include "parquet/byte_stream_split.h"

#include <cstdint>

namespace sluice::parquet {

namespace {

// Fixed widths get their own instantiation so the inner loop unrolls.
template <size_t kWidth>
void Gather(const char* in, size_t count, char* out) {
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < kWidth; ++k) out[i * kWidth + k] = in[k * count + i];
  }
}

}  // namespace

Status DecodeByteStreamSplit(std::string_view data, size_t width, std::string& out) {
  if (width == 0) return Status::InvalidData("BYTE_STREAM_SPLIT: value width 0");
  if (data.size() % width != 0) {
    return Status::InvalidData("BYTE_STREAM_SPLIT: " + std::to_string(data.size()) +
                               " bytes are not a whole number of " + std::to_string(width) +
                               "-byte values");
  }
  const size_t count = data.size() / width;
  out.resize(data.size());
  switch (width) {
    case 2:
      Gather<2>(data.data(), count, out.data());
      break;
    case 4:
      Gather<4>(data.data(), count, out.data());
      break;
    case 8:
      Gather<8>(data.data(), count, out.data());
      break;
    default:
      // Stream by stream: each input stream is read sequentially.
      for (size_t k = 0; k < width; ++k) {
        const char* stream = data.data() + k * count;
        for (size_t i = 0; i < count; ++i) out[i * width + k] = stream[i];
      }
  }
  return Status::Ok();
}

void EncodeByteStreamSplit(std::string_view plain, size_t width, std::string& out) {
  const size_t count = plain.size() / width;
  const size_t base = out.size();
  out.resize(base + count * width);
  for (size_t k = 0; k < width; ++k) {
    char* stream = out.data() + base + k * count;
    for (size_t i = 0; i < count; ++i) stream[i] = plain[i * width + k];
  }
}

}  // namespace sluice::parquet

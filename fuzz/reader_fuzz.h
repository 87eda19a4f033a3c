// One entry point for the format fuzz targets: reads `data` as `format` to its end,
// with the first byte choosing the chunk size and the batch size, so that records
// cross reads and batches in every way.
//
// Thread-safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/text_batch.h"
#include "format/record_reader.h"
#include "fuzz_util.h"

namespace sluice::fuzz {

inline void FuzzReader(Format format, const uint8_t* data, size_t size) {
  if (size == 0) return;
  const uint8_t knob = data[0];
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  ReaderOptions options;
  options.batch_rows = 1 + (knob >> 4);       // 1..16 rows per batch
  options.max_record_bytes = 64 + knob * 16;  // small: long records become row errors
  const size_t chunk = 1 + (knob & 0x0f) * 7;
  auto reader = OpenReader(format, std::make_unique<ChunkedInput>(std::move(text), chunk), options);
  FUZZ_CHECK(reader.has_value());
  TextBatch batch;
  DroppedErrors errors;
  for (;;) {
    Result<size_t> n = (*reader)->ReadBatch(batch, errors);
    if (!n.has_value() || *n == 0) break;
    FUZZ_CHECK(*n == batch.rows() && *n <= options.batch_rows);
    for (size_t r = 0; r < batch.rows(); ++r) {
      for (size_t c = 0; c < batch.columns().size(); ++c) {
        if (!batch.IsNull(r, c)) (void)batch.Cell(r, c).size();
      }
      (void)batch.Raw(r).size();
    }
  }
}

}  // namespace sluice::fuzz

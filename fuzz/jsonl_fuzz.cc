// Fuzz target: the JSONL reader, chunked and batched as the first byte says.
#include <cstddef>
#include <cstdint>

#include "reader_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::FuzzReader(sluice::Format::kJsonl, data, size);
  return 0;
}

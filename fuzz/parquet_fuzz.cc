// Fuzz target: the Parquet reader (footer, metadata, pages, codecs, encodings),
// batched as the first byte says. Seeds: small parquet-testing files with a knob
// byte in front (tests/data/fuzz-seeds/parquet/).
#include <cstddef>
#include <cstdint>

#include "reader_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::FuzzReader(sluice::Format::kParquet, data, size);
  return 0;
}

// Fuzz target: gzip and zstd decoding (OpenFileInput on an in-memory file), read to the end.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "source/file_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::MemFile file(std::string_view(reinterpret_cast<const char*>(data), size));
  auto input = sluice::OpenFileInput(file.path());
  FUZZ_CHECK(input.has_value());
  std::vector<char> buffer(4096);
  size_t total = 0;
  for (;;) {
    sluice::Result<size_t> n = (*input)->Read(buffer.data(), buffer.size());
    if (!n.has_value()) {
      // The error repeats on every later Read (file_input.h).
      FUZZ_CHECK(!(*input)->Read(buffer.data(), buffer.size()).has_value());
      break;
    }
    if (*n == 0) break;
    FUZZ_CHECK(*n <= buffer.size());
    total += *n;
    // Decompression bombs are the memory tests' business: stop after 64 MiB.
    if (total > (64u << 20)) break;
  }
  return 0;
}

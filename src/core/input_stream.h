// InputStream: a decoded byte stream (a file, possibly through gzip or zstd).
// Sources implement it; format readers consume it.
//
// Thread-safety: none; one reader at a time.
#pragma once

#include <cstddef>

#include "core/status.h"

namespace sluice {

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to `n` bytes into `dst`. Returns the count, 0 at end of stream.
  // Errors: InvalidData for a corrupt or truncated compressed stream, Unavailable
  // for an I/O error.
  virtual Result<size_t> Read(char* dst, size_t n) = 0;
};

}  // namespace sluice

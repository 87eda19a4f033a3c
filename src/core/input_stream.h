// InputStream: a decoded byte stream (a file, possibly through gzip or zstd).
// Sources implement it; format readers consume it.
//
// Thread-safety: none; one reader at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"

namespace sluice {

// Positioned reads of a file's raw (undecoded) bytes, for formats that need
// random access: Parquet reads its footer, at the end, first.
class RandomAccessInput {
 public:
  virtual ~RandomAccessInput() = default;
  // The bytes readable: offsets 0 to size().
  virtual uint64_t size() const = 0;
  // Reads up to `n` bytes at `offset` into `dst`; fewer only at size().
  // Errors: Unavailable for an I/O error.
  virtual Result<size_t> ReadAt(uint64_t offset, char* dst, size_t n) = 0;
};

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to `n` bytes into `dst`. Returns the count, 0 at end of stream.
  // Errors: InvalidData for a corrupt or truncated compressed stream, Unavailable
  // for an I/O error.
  virtual Result<size_t> Read(char* dst, size_t n) = 0;
  // The file under the stream when it is not compressed (gzip, zstd), else null.
  // Positioned reads neither move nor depend on Read's position.
  virtual RandomAccessInput* random_access() { return nullptr; }
};

}  // namespace sluice

// Opening a landed file as a decoded InputStream, and hashing it.
//
// Compression is chosen by the file's magic bytes (gzip 1f 8b, zstd 28 b5 2f fd),
// so a mislabelled file still decodes; a truncated or corrupt compressed stream
// is InvalidData when the reader reaches the damage.
//
// Thread-safety: free functions; returned streams have one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/input_stream.h"
#include "core/status.h"

namespace sluice {

enum class Compression { kNone, kGzip, kZstd };

// Opens `path` for streaming. Errors: NotFound, Unavailable (I/O), InvalidData.
Result<std::unique_ptr<InputStream>> OpenFileInput(const std::string& path);

// The file's identity: XXH3-128 of its raw (undecoded) bytes as 32 lower-case hex
// digits, plus what stat() said when hashing started.
struct FileFingerprint {
  std::string hash;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

// Hashes the whole file, streaming. Fails with Unavailable if the file changed
// (size or mtime) while it was hashed: it is still being written.
Result<FileFingerprint> FingerprintFile(const std::string& path);

}  // namespace sluice

// Opening a landed file as a decoded InputStream, and hashing it (LandedFile
// in landed_file.h does both for the pipeline, from one descriptor).
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
#include <string_view>

#include "core/input_stream.h"
#include "core/status.h"

namespace sluice {

enum class Compression { kNone, kGzip, kZstd };

// The compression announced by `head`, the first bytes of a file (at least 4 when
// the file has that many). Anything without a known magic is kNone.
Compression DetectCompression(std::string_view head);

// Opens `path` for streaming. Memory is bounded whatever the file size: a 1 MiB
// read buffer plus the decoder's window (32 KiB for gzip; for zstd what the frame
// declares, at most 128 MiB, the library's default limit: frames that need more
// are InvalidData). Gzip streams may hold several members and zstd streams
// several frames; they decode as one concatenated stream.
// Errors: NotFound (no such file), InvalidData (not a regular file), Unavailable
// (any other open or read failure). The stream's Read returns InvalidData
// ("truncated gzip stream", "truncated zstd stream", or "corrupt gzip/zstd
// stream: <decoder message>") once it reaches the damage, after the bytes
// decoded before it; the error then repeats on every later Read.
Result<std::unique_ptr<InputStream>> OpenFileInput(const std::string& path);

// Like OpenFileInput, for the first `size` bytes of the open regular file `fd`
// (bytes appended later are never read). The stream reads with pread(2) through
// a duplicate of `fd`, so it neither moves nor needs `fd`'s offset or lifetime,
// and several streams may read one file. `name` is for messages. Errors: as
// OpenFileInput, Unavailable if the descriptor cannot be duplicated.
Result<std::unique_ptr<InputStream>> OpenDescriptorInput(int fd, uint64_t size,
                                                         const std::string& name);

// The file's identity: XXH3-128 of its raw (undecoded) bytes as 32 lower-case hex
// digits, plus what stat() said when hashing started.
struct FileFingerprint {
  std::string hash;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

// XXH3-128 (32 hex digits) of the bytes of `fd` from offset 0 to end of file,
// read with pread(2); `hashed` is set to how many bytes that was. Errors:
// Unavailable (I/O; `name` is for the message).
Result<std::string> HashDescriptor(int fd, const std::string& name, uint64_t& hashed);

}  // namespace sluice

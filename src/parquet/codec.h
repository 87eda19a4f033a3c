// Parquet page compression codecs: Decompress and Compress for every codec of
// parquet.thrift's CompressionCodec, on Debian's libraries (snappy, zlib, zstd,
// lz4, brotli). LZO is recognised and refused.
//
// Decompression is hostile-input safe: the output must be exactly the page's
// declared uncompressed size; a corrupt, truncated, short or overlong stream is
// InvalidData naming the codec; a declared size above the caller's limit is
// refused before anything is allocated. Snappy and LZ4 allocate the declared
// size only if their input can expand to it; gzip, zstd and brotli grow their
// buffer as data actually decodes (from 16 times the input, at least 1 MiB). So a
// small hostile page cannot claim a huge buffer.
//
// Thread-safety: free functions, safe to call from any thread (per-thread
// decompression contexts are reused internally).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

struct ZSTD_inBuffer_s;
typedef struct ZSTD_inBuffer_s ZSTD_inBuffer;

namespace sluice::parquet {

// The values equal parquet.thrift's CompressionCodec.
enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,  // deprecated: Hadoop framing (raw LZ4 and LZ4 frames accepted on read)
  kZstd = 6,
  kLz4Raw = 7,
};

// Parquet page sizes are i32 in the format; this default refuses anything a
// well-formed file cannot declare. Callers that bound memory further pass less.
inline constexpr size_t kMaxUncompressedPageSize = size_t{1} << 31;

// The upper-case name used by parquet.thrift ("SNAPPY", "LZ4_RAW", ...), or
// "codec <n>" for a value outside the enum.
std::string CodecName(Codec codec);

// The Codec for a thrift CompressionCodec value. InvalidData for unknown values.
Result<Codec> CodecFromThrift(int32_t value);

// Decompresses `in` into `out` (its previous contents are replaced). Requires
// `uncompressed_size`, the size the page header declares. Errors: InvalidData
// ("<CODEC>: ...") when `uncompressed_size` exceeds `max_size` (checked before
// anything is allocated), or the stream is corrupt, truncated, or does not decode
// to exactly `uncompressed_size` bytes. core/ has no Unimplemented code: LZO (and any codec
// outside the enum) is InvalidData ("LZO: codec not supported by sluice"), so the
// file is quarantined with that reason. GZIP accepts concatenated members; LZ4
// accepts Hadoop framing, then a raw LZ4 block, then an LZ4 frame, as other
// readers do for the files older writers produced.
Status Decompress(Codec codec, std::string_view in, size_t uncompressed_size, std::string& out,
                  size_t max_size = kMaxUncompressedPageSize);

// Decompresses a page whose compressed bytes arrive in pieces, so that a large
// page need not be held compressed and decompressed at once: Start, Feed each
// piece in order, then Finish. Same checks and errors as Decompress (the
// output grows as data decodes, from 16 times the compressed size). Only for
// codecs with a streaming decoder (StreamsPieces: zstd).
class PieceDecompressor {
 public:
  static bool StreamsPieces(Codec codec) { return codec == Codec::kZstd; }
  // `compressed_size`: the total of the pieces to come. `out` is replaced.
  Status Start(Codec codec, size_t compressed_size, size_t uncompressed_size, std::string& out,
               size_t max_size = kMaxUncompressedPageSize);
  Status Feed(std::string_view piece);
  // Checks the stream ended with exactly the declared size; `out` holds the page.
  Status Finish();

 private:
  // One call of the decoder; false when it made no progress.
  Result<bool> Step(ZSTD_inBuffer& input);

  std::string* out_ = nullptr;
  size_t declared_ = 0;
  size_t pos_ = 0;         // bytes decoded into *out_
  size_t frame_left_ = 0;  // ZSTD_decompressStream's hint: 0 once a frame is complete
};

// Compresses `in` into `out` (its previous contents are replaced). `level` 0
// means the codec's default (zstd 3, gzip 6, brotli 5); other values are passed
// to libraries that take a level. LZ4 writes Hadoop framing; GZIP a single gzip
// member. Errors: InvalidArgument for LZO or an unknown codec; Internal when a
// library fails.
Status Compress(Codec codec, std::string_view in, std::string& out, int level = 0);

}  // namespace sluice::parquet

// Parquet page codecs on Debian's libraries (see codec.h).
//
// Every decoder checks it fills exactly the declared size. Before allocating,
// codecs with a bounded expansion ratio (snappy, LZ4, deflate) refuse a declared
// size their input cannot reach; the streaming ones (gzip, zstd, brotli) grow
// their buffer as data decodes. Either way a few hostile bytes cannot claim
// gigabytes.
#include "parquet/codec.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>

namespace sluice::parquet {

namespace {

// Largest output each input byte can produce, rounded up with margin: snappy's
// 3-byte copy writes 64 bytes, an LZ4 0xFF length byte adds 255, deflate at most
// 1032:1 (RFC 1951 length 258 per 2 bits is the limit).
constexpr size_t kSnappyMaxRatio = 32;
constexpr size_t kLz4MaxRatio = 256;
constexpr size_t kDeflateMaxRatio = 1040;

Status Corrupt(Codec codec, std::string_view what) {
  return Status::InvalidData(CodecName(codec) + ": " + std::string(what));
}

Status SizeMismatch(Codec codec, size_t got, size_t declared) {
  return Corrupt(codec, "decodes to " + std::to_string(got) + " bytes, the page declares " +
                            std::to_string(declared));
}

Status Overlong(Codec codec, size_t declared) {
  return Corrupt(
      codec, "decodes to more than the " + std::to_string(declared) + " bytes the page declares");
}

// A page of `declared` bytes cannot come from `in` if the codec never expands
// more than `ratio` times.
bool Unreachable(std::string_view in, size_t declared, size_t ratio) {
  return declared > 64 && declared / ratio > in.size();
}

uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

void AppendBigEndian32(uint32_t v, std::string& out) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

Status DecompressSnappy(std::string_view in, std::string& out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &length)) {
    return Corrupt(Codec::kSnappy, "corrupt stream header");
  }
  if (length != out.size()) return SizeMismatch(Codec::kSnappy, length, out.size());
  if (!snappy::RawUncompress(in.data(), in.size(), out.data())) {
    return Corrupt(Codec::kSnappy, "corrupt or truncated stream");
  }
  return Status::Ok();
}

// The output of a streaming decoder: it starts at what the input plausibly
// decodes to and doubles as the data actually decodes, never beyond the declared
// size, so a small hostile page claiming a huge size costs only what it really
// produces (zstd and brotli have no useful expansion limit).
class GrowingOutput {
 public:
  GrowingOutput(std::string& out, size_t declared, size_t input_size)
      : out_(out), declared_(declared) {
    constexpr size_t kInitial = size_t{1} << 20;
    const size_t guess = input_size > (SIZE_MAX >> 5) ? SIZE_MAX : input_size << 4;
    out_.resize(std::min(declared, std::max(kInitial, guess)));
  }
  char* at(size_t pos) { return out_.data() + pos; }
  size_t size() const { return out_.size(); }
  size_t declared() const { return declared_; }
  // Makes room after a full buffer; false when it already holds the declared size.
  bool Grow() {
    if (out_.size() >= declared_) return false;
    out_.resize(std::min(declared_, out_.size() * 2));
    return true;
  }

 private:
  std::string& out_;
  size_t declared_;
};

Status DecompressGzip(std::string_view in, GrowingOutput& out) {
  z_stream zs{};
  // 15 + 32: a gzip or zlib header, detected.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("GZIP: inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  size_t in_pos = 0;
  size_t out_pos = 0;
  while (true) {
    if (out_pos == out.size()) out.Grow();
    // zlib counts in uInt: feed and drain at most 1 GiB per call.
    const size_t in_chunk = std::min<size_t>(in.size() - in_pos, size_t{1} << 30);
    const size_t out_chunk = std::min<size_t>(out.size() - out_pos, size_t{1} << 30);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.at(out_pos));
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (in_pos == in.size()) break;
      // Several gzip members decode as their concatenation (RFC 1952 §2.2).
      if (inflateReset(&zs) != Z_OK) return Status::Internal("GZIP: inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress: with room left the input ran out; without, the stream holds
      // more than the declared size.
      if (out_pos == out.declared() && in_pos < in.size()) {
        return Overlong(Codec::kGzip, out.declared());
      }
      return Corrupt(Codec::kGzip, "truncated stream");
    }
    return Corrupt(Codec::kGzip, zs.msg != nullptr ? zs.msg : "corrupt stream");
  }
  if (out_pos != out.declared()) return SizeMismatch(Codec::kGzip, out_pos, out.declared());
  return Status::Ok();
}

struct ZstdDctxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};
struct ZstdCctxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

// One context per thread, reused page after page (creating one costs more than
// decoding a small page). Null if it cannot be made.
ZSTD_DCtx* ThreadZstdContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDctxFree> dctx(ZSTD_createDCtx());
  return dctx.get();
}

Status DecompressBrotli(std::string_view in, GrowingOutput& out) {
  std::unique_ptr<BrotliDecoderState, decltype(&BrotliDecoderDestroyInstance)> state(
      BrotliDecoderCreateInstance(nullptr, nullptr, nullptr), &BrotliDecoderDestroyInstance);
  if (state == nullptr) return Status::Internal("BROTLI: cannot create a decoder");
  size_t avail_in = in.size();
  const auto* next_in = reinterpret_cast<const uint8_t*>(in.data());
  size_t pos = 0;
  while (true) {
    size_t avail_out = out.size() - pos;
    auto* next_out = reinterpret_cast<uint8_t*>(out.at(pos));
    const BrotliDecoderResult rc = BrotliDecoderDecompressStream(state.get(), &avail_in, &next_in,
                                                                 &avail_out, &next_out, nullptr);
    pos = out.size() - avail_out;
    switch (rc) {
      case BROTLI_DECODER_RESULT_SUCCESS:
        if (avail_in != 0) return Corrupt(Codec::kBrotli, "bytes after the end of the stream");
        if (pos != out.declared()) return SizeMismatch(Codec::kBrotli, pos, out.declared());
        return Status::Ok();
      case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        if (!out.Grow()) return Overlong(Codec::kBrotli, out.declared());
        continue;
      case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        return Corrupt(Codec::kBrotli, "truncated stream");
      default:
        return Corrupt(Codec::kBrotli,
                       BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state.get())));
    }
  }
}

// One raw LZ4 block of exactly out.size() bytes.
bool DecompressLz4Block(std::string_view in, std::string& out) {
  if (in.size() > INT_MAX || out.size() > INT_MAX) return false;
  const int n = LZ4_decompress_safe(in.data(), out.data(), static_cast<int>(in.size()),
                                    static_cast<int>(out.size()));
  return n >= 0 && static_cast<size_t>(n) == out.size();
}

// Hadoop's BlockCompressorStream framing: blocks of [BE32 uncompressed length]
// followed by chunks of [BE32 compressed length][raw LZ4 block] until the block's
// length is reached. parquet-mr and Arrow write one chunk per block.
bool DecompressLz4Hadoop(std::string_view in, std::string& out) {
  size_t pos = 0;
  size_t produced = 0;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return false;
    const uint32_t block_size = ReadBigEndian32(in.data() + pos);
    pos += 4;
    if (block_size > out.size() - produced) return false;
    const size_t block_end = produced + block_size;
    do {
      if (in.size() - pos < 4) return false;
      const uint32_t chunk_size = ReadBigEndian32(in.data() + pos);
      pos += 4;
      if (chunk_size > in.size() - pos || chunk_size > INT_MAX) return false;
      const int n =
          LZ4_decompress_safe(in.data() + pos, out.data() + produced, static_cast<int>(chunk_size),
                              static_cast<int>(block_end - produced));
      if (n < 0) return false;
      pos += chunk_size;
      produced += static_cast<size_t>(n);
    } while (produced < block_end);
  }
  return produced == out.size();
}

bool DecompressLz4Frame(std::string_view in, std::string& out) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) return false;
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> dctx(
      raw, &LZ4F_freeDecompressionContext);
  size_t in_pos = 0;
  size_t out_pos = 0;
  while (in_pos < in.size()) {
    size_t in_len = in.size() - in_pos;
    size_t out_len = out.size() - out_pos;
    const size_t rc = LZ4F_decompress(dctx.get(), out.data() + out_pos, &out_len,
                                      in.data() + in_pos, &in_len, nullptr);
    if (LZ4F_isError(rc)) return false;
    in_pos += in_len;
    out_pos += out_len;
    if (in_len == 0 && out_len == 0) return false;  // no progress: output full or stuck
  }
  return out_pos == out.size();
}

Status DecompressLz4(std::string_view in, std::string& out) {
  if (DecompressLz4Hadoop(in, out) || DecompressLz4Block(in, out)) return Status::Ok();
  constexpr std::string_view kFrameMagic("\x04\x22\x4d\x18", 4);
  if (in.substr(0, 4) == kFrameMagic && DecompressLz4Frame(in, out)) return Status::Ok();
  return Corrupt(Codec::kLz4, "neither Hadoop-framed LZ4, a raw LZ4 block nor an LZ4 frame of " +
                                  std::to_string(out.size()) + " bytes");
}

}  // namespace

std::string CodecName(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed:
      return "UNCOMPRESSED";
    case Codec::kSnappy:
      return "SNAPPY";
    case Codec::kGzip:
      return "GZIP";
    case Codec::kLzo:
      return "LZO";
    case Codec::kBrotli:
      return "BROTLI";
    case Codec::kLz4:
      return "LZ4";
    case Codec::kZstd:
      return "ZSTD";
    case Codec::kLz4Raw:
      return "LZ4_RAW";
  }
  return "codec " + std::to_string(static_cast<int32_t>(codec));
}

Result<Codec> CodecFromThrift(int32_t value) {
  if (value < 0 || value > static_cast<int32_t>(Codec::kLz4Raw)) {
    return Status::InvalidData("unknown compression codec " + std::to_string(value));
  }
  return static_cast<Codec>(value);
}

Status Decompress(Codec codec, std::string_view in, size_t uncompressed_size, std::string& out,
                  size_t max_size) {
  if (uncompressed_size > max_size) {
    return Status::InvalidData(
        CodecName(codec) + ": the page declares " + std::to_string(uncompressed_size) +
        " uncompressed bytes, above the limit of " + std::to_string(max_size));
  }
  size_t ratio = 0;
  switch (codec) {
    case Codec::kUncompressed:
      if (in.size() != uncompressed_size) {
        return SizeMismatch(codec, in.size(), uncompressed_size);
      }
      out.assign(in);
      return Status::Ok();
    case Codec::kSnappy:
      ratio = kSnappyMaxRatio;
      break;
    case Codec::kGzip:
      ratio = kDeflateMaxRatio;
      break;
    case Codec::kLz4:
    case Codec::kLz4Raw:
      ratio = kLz4MaxRatio;
      break;
    case Codec::kZstd:
    case Codec::kBrotli:
      break;
    case Codec::kLzo:
      return Corrupt(codec, "codec not supported by sluice");
    default:
      return Status::InvalidData(CodecName(codec) + ": unknown compression codec");
  }
  // An empty page may be stored as nothing at all, whatever the codec.
  if (uncompressed_size == 0 && in.empty()) {
    out.clear();
    return Status::Ok();
  }
  if (ratio != 0 && Unreachable(in, uncompressed_size, ratio)) {
    return Corrupt(codec, std::to_string(in.size()) + " compressed bytes cannot decode to the " +
                              std::to_string(uncompressed_size) + " bytes the page declares");
  }
  if (codec == Codec::kZstd) {
    PieceDecompressor pieces;
    RETURN_IF_ERROR(pieces.Start(codec, in.size(), uncompressed_size, out, max_size));
    RETURN_IF_ERROR(pieces.Feed(in));
    return pieces.Finish();
  }
  if (codec == Codec::kGzip || codec == Codec::kBrotli) {
    GrowingOutput growing(out, uncompressed_size, in.size());
    if (codec == Codec::kGzip) return DecompressGzip(in, growing);
    return DecompressBrotli(in, growing);
  }
  out.resize(uncompressed_size);
  switch (codec) {
    case Codec::kSnappy:
      return DecompressSnappy(in, out);
    case Codec::kLz4:
      return DecompressLz4(in, out);
    case Codec::kLz4Raw:
      if (!DecompressLz4Block(in, out)) {
        return Corrupt(codec, "corrupt LZ4 block or not " + std::to_string(out.size()) + " bytes");
      }
      return Status::Ok();
    default:
      return Status::Internal("unreachable codec");
  }
}

namespace {

Status CompressGzip(std::string_view in, std::string& out, int level) {
  z_stream zs{};
  // 15 + 16: a gzip header and trailer, as parquet.thrift's GZIP means (RFC 1952).
  if (deflateInit2(&zs, level == 0 ? 6 : level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Status::Internal("GZIP: deflateInit2 failed");
  }
  std::unique_ptr<z_stream, decltype(&deflateEnd)> guard(&zs, &deflateEnd);
  out.resize(deflateBound(&zs, in.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) return Status::Internal("GZIP: deflate failed");
  out.resize(zs.total_out);
  return Status::Ok();
}

Status CompressLz4Block(std::string_view in, std::string& out) {
  const int bound = LZ4_compressBound(static_cast<int>(in.size()));
  const size_t base = out.size();
  out.resize(base + static_cast<size_t>(bound));
  const int n =
      LZ4_compress_default(in.data(), out.data() + base, static_cast<int>(in.size()), bound);
  if (n <= 0) return Status::Internal("LZ4: compression failed");
  out.resize(base + static_cast<size_t>(n));
  return Status::Ok();
}

}  // namespace

Status Compress(Codec codec, std::string_view in, std::string& out, int level) {
  out.clear();
  // zlib and LZ4 count in int/uInt; Parquet pages are far smaller.
  if (in.size() > INT_MAX / 2) {
    return Status::InvalidArgument(CodecName(codec) + ": page too large to compress");
  }
  switch (codec) {
    case Codec::kUncompressed:
      out.assign(in);
      return Status::Ok();
    case Codec::kSnappy: {
      out.resize(snappy::MaxCompressedLength(in.size()));
      size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), out.data(), &n);
      out.resize(n);
      return Status::Ok();
    }
    case Codec::kGzip:
      return CompressGzip(in, out, level);
    case Codec::kZstd: {
      // One context per thread, reused: ZSTD_compress would allocate and clear
      // its tables (about 1 MiB at level 3) for every page.
      thread_local std::unique_ptr<ZSTD_CCtx, ZstdCctxFree> cctx(ZSTD_createCCtx());
      if (cctx == nullptr) return Status::Internal("ZSTD: out of memory");
      out.resize(ZSTD_compressBound(in.size()));
      const size_t n = ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), in.data(), in.size(),
                                         level == 0 ? ZSTD_CLEVEL_DEFAULT : level);
      if (ZSTD_isError(n)) return Status::Internal(std::string("ZSTD: ") + ZSTD_getErrorName(n));
      out.resize(n);
      return Status::Ok();
    }
    case Codec::kBrotli: {
      size_t n = BrotliEncoderMaxCompressedSize(in.size());
      out.resize(n);
      if (!BrotliEncoderCompress(level == 0 ? 5 : level, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
                                 in.size(), reinterpret_cast<const uint8_t*>(in.data()), &n,
                                 reinterpret_cast<uint8_t*>(out.data()))) {
        return Status::Internal("BROTLI: compression failed");
      }
      out.resize(n);
      return Status::Ok();
    }
    case Codec::kLz4Raw:
      return CompressLz4Block(in, out);
    case Codec::kLz4: {
      AppendBigEndian32(static_cast<uint32_t>(in.size()), out);
      AppendBigEndian32(0, out);  // the compressed length, known below
      RETURN_IF_ERROR(CompressLz4Block(in, out));
      const uint32_t n = static_cast<uint32_t>(out.size() - 8);
      for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>(n >> (24 - 8 * i));
      return Status::Ok();
    }
    default:
      return Status::InvalidArgument(CodecName(codec) + ": cannot compress with this codec");
  }
}

Status PieceDecompressor::Start(Codec codec, size_t compressed_size, size_t uncompressed_size,
                                std::string& out, size_t max_size) {
  if (uncompressed_size > max_size) {
    return Status::InvalidData(
        CodecName(codec) + ": the page declares " + std::to_string(uncompressed_size) +
        " uncompressed bytes, above the limit of " + std::to_string(max_size));
  }
  if (!StreamsPieces(codec)) return Status::Internal(CodecName(codec) + ": no piece decoder");
  ZSTD_DCtx* dctx = ThreadZstdContext();
  if (dctx == nullptr) return Status::Internal("ZSTD: cannot create a context");
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  out_ = &out;
  declared_ = uncompressed_size;
  pos_ = 0;
  frame_left_ = compressed_size > 0 ? 1 : 0;
  GrowingOutput sized(out, uncompressed_size, compressed_size);
  return Status::Ok();
}

// Streaming, so several frames decode as their concatenation. Once the output
// holds the declared size, a one-byte probe buffer tells "nothing left but a
// checksum" from "more output than the page declares". A piece may end anywhere,
// and a full output may leave decoded bytes inside the context for the next call.
Result<bool> PieceDecompressor::Step(ZSTD_inBuffer& input) {
  std::string& out = *out_;
  if (pos_ == out.size() && out.size() < declared_) {
    out.resize(std::min(declared_, std::max<size_t>(out.size() * 2, 1)));
  }
  char probe;
  ZSTD_outBuffer output{out.data(), out.size(), pos_};
  ZSTD_outBuffer probe_output{&probe, 1, 0};
  ZSTD_outBuffer* target = output.pos < output.size ? &output : &probe_output;
  const size_t in_before = input.pos;
  const size_t out_before = target->pos;
  const size_t rc = ZSTD_decompressStream(ThreadZstdContext(), target, &input);
  if (ZSTD_isError(rc)) return Corrupt(Codec::kZstd, ZSTD_getErrorName(rc));
  if (probe_output.pos != 0) return Overlong(Codec::kZstd, declared_);
  pos_ = output.pos;
  frame_left_ = rc;
  return input.pos != in_before || target->pos != out_before;
}

Status PieceDecompressor::Feed(std::string_view piece) {
  ZSTD_inBuffer input{piece.data(), piece.size(), 0};
  while (input.pos < input.size) {
    ASSIGN_OR_RETURN(bool progress, Step(input));
    if (!progress) return Corrupt(Codec::kZstd, "truncated stream");
  }
  return Status::Ok();
}

Status PieceDecompressor::Finish() {
  ZSTD_inBuffer none{nullptr, 0, 0};
  while (frame_left_ != 0) {
    ASSIGN_OR_RETURN(bool progress, Step(none));
    if (!progress) return Corrupt(Codec::kZstd, "truncated stream");
  }
  if (pos_ != declared_) return SizeMismatch(Codec::kZstd, pos_, declared_);
  out_->resize(pos_);
  return Status::Ok();
}

}  // namespace sluice::parquet

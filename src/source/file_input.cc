#include "source/file_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "core/unique_fd.h"
#include "source/posix_status.h"

namespace sluice {
namespace {

// Large enough that syscalls and decoder calls are amortised over many bytes,
// small enough that many concurrent file jobs stay cheap.
constexpr size_t kBufferSize = size_t{1} << 20;
// A plain file's reads of this many bytes or more go straight to the caller's
// memory: one syscall per 64 KiB is already cheap.
constexpr size_t kDirectReadBytes = size_t{64} << 10;

// Uninitialised on purpose: zeroing 1 MiB per file was a fifth of the CPU time
// of loading many small files, and only the bytes read are ever looked at.
std::unique_ptr<char[]> NewBuffer() { return std::make_unique_for_overwrite<char[]>(kBufferSize); }

// Opens `path` for a sequential read and returns it with its fstat().
Result<std::pair<UniqueFd, struct stat>> OpenRegularFile(const std::string& path) {
  // O_NONBLOCK keeps a FIFO dropped into the folder from blocking open(); it has
  // no effect on regular files, the only kind accepted.
  int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (raw_fd < 0) return ErrnoStatus(errno, "open", path);
  UniqueFd fd(raw_fd);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", path);
  if (!S_ISREG(st.st_mode)) return Status::InvalidData("not a regular file: " + path);
  // Advice only: a failure changes nothing but read-ahead.
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::pair<UniqueFd, struct stat>(std::move(fd), st);
}

// Reads `n` bytes at most at `offset` into `dst`; 0 at end of file. Positioned
// reads leave the descriptor's offset alone, so several streams and the hash can
// read one descriptor.
Result<size_t> ReadSome(int fd, char* dst, size_t n, uint64_t offset, const std::string& path) {
  for (;;) {
    ssize_t got = ::pread(fd, dst, n, static_cast<off_t>(offset));
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return ErrnoStatus(errno, "read", path);
  }
}

// A file's raw bytes through one buffer, which the decoders consume in place:
// from offset 0 up to `limit` bytes (the size that was hashed), never beyond.
class RawFile {
 public:
  RawFile(UniqueFd fd, std::string path, uint64_t limit)
      : fd_(std::move(fd)),
        path_(std::move(path)),
        size_(limit),
        left_(limit),
        buffer_(NewBuffer()) {}

  // Bytes read but not yet consumed.
  std::string_view data() const { return {buffer_.get() + begin_, end_ - begin_}; }
  void Consume(size_t n) { begin_ += n; }
  bool eof() const { return eof_; }

  // Appends more of the file to data(); at end of file sets eof() instead.
  Status Fill() {
    if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    ASSIGN_OR_RETURN(size_t got, Read(buffer_.get() + end_, kBufferSize - end_));
    end_ += got;
    return Status::Ok();
  }

  // Reads straight into `dst`, skipping the buffer; requires data() to be empty.
  Result<size_t> ReadDirect(char* dst, size_t n) { return Read(dst, n); }

  // Positioned reads of the first size() bytes (the limit unless set), independent
  // of the sequential position.
  uint64_t size() const { return size_; }
  void set_size(uint64_t size) { size_ = size; }
  Result<size_t> ReadAt(uint64_t offset, char* dst, size_t n) {
    if (offset >= size_) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    size_t done = 0;
    while (done < n) {
      ASSIGN_OR_RETURN(size_t got, ReadSome(fd_.get(), dst + done, n - done, offset + done, path_));
      if (got == 0) break;
      done += got;
    }
    return done;
  }

 private:
  Result<size_t> Read(char* dst, size_t n) {
    n = static_cast<size_t>(std::min<uint64_t>(n, left_));
    size_t got = 0;
    if (n > 0) {
      ASSIGN_OR_RETURN(got, ReadSome(fd_.get(), dst, n, offset_, path_));
    }
    if (got == 0) eof_ = true;
    offset_ += got;
    left_ -= got;
    return got;
  }

  UniqueFd fd_;
  std::string path_;
  uint64_t offset_ = 0;
  uint64_t size_;
  uint64_t left_;
  std::unique_ptr<char[]> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
};

class PlainInput final : public InputStream, public RandomAccessInput {
 public:
  explicit PlainInput(RawFile raw) : raw_(std::move(raw)) {}

  RandomAccessInput* random_access() override { return this; }
  uint64_t size() const override { return raw_.size(); }
  Result<size_t> ReadAt(uint64_t offset, char* dst, size_t n) override {
    return raw_.ReadAt(offset, dst, n);
  }

  Result<size_t> Read(char* dst, size_t n) override {
    if (n == 0) return size_t{0};
    if (raw_.data().empty()) {
      if (raw_.eof()) return size_t{0};
      // A large request gains nothing from a copy through the buffer (a
      // StreamBuffer's refill asks for its free space, just under 1 MiB: the
      // copy was a twentieth of reading a CSV file).
      if (n >= kDirectReadBytes) return raw_.ReadDirect(dst, n);
      RETURN_IF_ERROR(raw_.Fill());
    }
    std::string_view in = raw_.data();
    size_t take = std::min(n, in.size());
    std::memcpy(dst, in.data(), take);
    raw_.Consume(take);
    return take;
  }

 private:
  RawFile raw_;
};

// Shared by the decoders: hands out decoded bytes, then the error that stopped
// decoding, and keeps returning that error so damage never reads as end of file.
class DecodingInput : public InputStream {
 public:
  Result<size_t> Read(char* dst, size_t n) override {
    if (!error_.ok()) return error_;
    if (finished_ || n == 0) return size_t{0};
    size_t produced = 0;
    error_ = Decode(dst, n, produced);
    if (!error_.ok() && produced == 0) return error_;
    return produced;
  }

 protected:
  // Decodes into `dst` until it is full or the stream ends (then sets finished_),
  // counting bytes written in `produced`.
  virtual Status Decode(char* dst, size_t n, size_t& produced) = 0;
  bool finished_ = false;

 private:
  Status error_;
};

class GzipInput final : public DecodingInput {
 public:
  explicit GzipInput(RawFile raw) : raw_(std::move(raw)) {}
  ~GzipInput() override {
    if (initialised_) inflateEnd(&zs_);
  }

  Status Init() {
    // 16 + MAX_WBITS: gzip wrapper only; the magic was checked already.
    int ret = inflateInit2(&zs_, 16 + MAX_WBITS);
    if (ret != Z_OK) return ZlibError(ret);
    initialised_ = true;
    return Status::Ok();
  }

 private:
  Status Decode(char* dst, size_t n, size_t& produced) override {
    zs_.next_out = reinterpret_cast<Bytef*>(dst);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, UINT_MAX));
    const uInt capacity = zs_.avail_out;
    Status status = Inflate();
    produced = capacity - zs_.avail_out;
    return status;
  }

  Status Inflate() {
    while (zs_.avail_out > 0) {
      if (raw_.data().empty() && !raw_.eof()) RETURN_IF_ERROR(raw_.Fill());
      std::string_view in = raw_.data();
      if (between_members_) {
        if (in.empty()) {
          finished_ = true;
          return Status::Ok();
        }
        // gzip(1) concatenates members; anything else after a member is damage.
        if (static_cast<unsigned char>(in[0]) != 0x1f) {
          return Status::InvalidData("corrupt gzip stream: trailing garbage after gzip member");
        }
        inflateReset(&zs_);
        between_members_ = false;
      }
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs_.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT_MAX));
      const uInt offered = zs_.avail_in;
      int ret = inflate(&zs_, Z_NO_FLUSH);
      raw_.Consume(offered - zs_.avail_in);
      switch (ret) {
        case Z_OK:
          break;
        case Z_STREAM_END:
          between_members_ = true;
          break;
        case Z_BUF_ERROR:
          // No progress with output space left: input was offered whenever the
          // file had any, so the member ends before its trailer.
          return Status::InvalidData("truncated gzip stream");
        default:
          return ZlibError(ret);
      }
    }
    return Status::Ok();
  }

  Status ZlibError(int ret) const {
    if (ret == Z_MEM_ERROR) return Status::Unavailable("gzip: out of memory");
    if (ret == Z_STREAM_ERROR) return Status::Internal("gzip: inflate state is inconsistent");
    return Status::InvalidData(std::string("corrupt gzip stream: ") +
                               (zs_.msg != nullptr ? zs_.msg : zError(ret)));
  }

  RawFile raw_;
  z_stream zs_{};
  bool initialised_ = false;
  bool between_members_ = false;
};

class ZstdInput final : public DecodingInput {
 public:
  explicit ZstdInput(RawFile raw) : raw_(std::move(raw)), dctx_(ZSTD_createDCtx()) {}
  ~ZstdInput() override { ZSTD_freeDCtx(dctx_); }

  Status Init() const {
    if (dctx_ == nullptr) return Status::Unavailable("zstd: out of memory");
    return Status::Ok();
  }

 private:
  Status Decode(char* dst, size_t n, size_t& produced) override {
    ZSTD_outBuffer out{dst, n, 0};
    Status status = Decompress(out);
    produced = out.pos;
    return status;
  }

  Status Decompress(ZSTD_outBuffer& out) {
    while (out.pos < out.size) {
      if (raw_.data().empty() && !raw_.eof()) RETURN_IF_ERROR(raw_.Fill());
      std::string_view in = raw_.data();
      ZSTD_inBuffer input{in.data(), in.size(), 0};
      const size_t out_before = out.pos;
      size_t ret = ZSTD_decompressStream(dctx_, &out, &input);
      raw_.Consume(input.pos);
      if (ZSTD_isError(ret)) {
        return Status::InvalidData(std::string("corrupt zstd stream: ") + ZSTD_getErrorName(ret));
      }
      if (input.pos > 0 || out.pos > out_before) {
        // 0 means a frame was completely decoded and flushed.
        frame_open_ = ret != 0;
        continue;
      }
      // No progress with the file exhausted: done, unless a frame was cut off.
      if (frame_open_) return Status::InvalidData("truncated zstd stream");
      finished_ = true;
      return Status::Ok();
    }
    return Status::Ok();
  }

  RawFile raw_;
  ZSTD_DCtx* dctx_;
  bool frame_open_ = false;
};

}  // namespace

Compression DetectCompression(std::string_view head) {
  auto starts = [head](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) return Compression::kGzip;
  if (starts("\x28\xb5\x2f\xfd")) return Compression::kZstd;
  return Compression::kNone;
}

namespace {

Result<std::unique_ptr<InputStream>> DecodingStream(RawFile raw) {
  while (raw.data().size() < 4 && !raw.eof()) RETURN_IF_ERROR(raw.Fill());
  switch (DetectCompression(raw.data())) {
    case Compression::kGzip: {
      auto input = std::make_unique<GzipInput>(std::move(raw));
      RETURN_IF_ERROR(input->Init());
      return std::unique_ptr<InputStream>(std::move(input));
    }
    case Compression::kZstd: {
      auto input = std::make_unique<ZstdInput>(std::move(raw));
      RETURN_IF_ERROR(input->Init());
      return std::unique_ptr<InputStream>(std::move(input));
    }
    case Compression::kNone:
      break;
  }
  return std::unique_ptr<InputStream>(std::make_unique<PlainInput>(std::move(raw)));
}

}  // namespace

Result<std::unique_ptr<InputStream>> OpenFileInput(const std::string& path) {
  ASSIGN_OR_RETURN(auto opened, OpenRegularFile(path));
  RawFile raw(std::move(opened.first), path, UINT64_MAX);
  // Positioned reads see the file as it was at open (a footer is where it was).
  raw.set_size(static_cast<uint64_t>(opened.second.st_size));
  return DecodingStream(std::move(raw));
}

Result<std::unique_ptr<InputStream>> OpenDescriptorInput(int fd, uint64_t size,
                                                         const std::string& name) {
  // A descriptor of its own: the stream may outlive the caller's, and never moves
  // its offset (reads are positioned).
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return ErrnoStatus(errno, "dup", name);
  return DecodingStream(RawFile(UniqueFd(own), name, size));
}

Result<std::string> HashDescriptor(int fd, const std::string& name, uint64_t& hashed) {
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> state(XXH3_createState(),
                                                                        XXH3_freeState);
  if (state == nullptr || XXH3_128bits_reset(state.get()) != XXH_OK) {
    return Status::Unavailable("xxhash: out of memory");
  }
  std::unique_ptr<char[]> buffer = NewBuffer();
  hashed = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t got, ReadSome(fd, buffer.get(), kBufferSize, hashed, name));
    if (got == 0) break;
    XXH3_128bits_update(state.get(), buffer.get(), got);
    hashed += got;
  }
  return HashHex(XXH3_128bits_digest(state.get()));
}

}  // namespace sluice

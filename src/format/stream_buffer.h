// StreamBuffer: the window over an InputStream that the format readers parse in
// place. It reads into a buffer of kCapacity (about 1 MiB), keeps the unconsumed
// tail (a partial record) when it reads more, and grows only when one record
// fills it, in steps of an eighth (so a record of N bytes costs about N, not up
// to 2N), never past max_record_bytes plus one refill (kCapacity); once the long
// record is consumed the buffer goes back to kCapacity, so one huge record does
// not keep its memory for the rest of the stream.
//
// Two guarantees let readers scan without bounds checks and hand bytes to
// simdjson without copying: the byte just past the data is always '\n', and at
// least kPadding readable bytes follow the data.
//
// Thread-safety: none; one reader at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/input_stream.h"
#include "core/row_error.h"
#include "core/status.h"
#include "core/text_batch.h"

namespace sluice {

// How a reader ends ReadBatch after reading rows with `status`: the rows read
// before any damage are returned first, and the error (kept in `sticky`) comes
// with the next call and every one after it.
inline Result<size_t> RowsThenError(Status status, const TextBatch& out, Status& sticky) {
  if (!status.ok()) {
    sticky = std::move(status);
    if (out.rows() == 0) return sticky;
  }
  return out.rows();
}

// A reader ends a batch early once it holds this many bytes (TextBatch::
// memory_bytes: the arena and a cell per column and row), so that a batch of very
// wide rows stays bounded and its 32-bit arena offsets never wrap.
inline constexpr size_t kBatchArenaBytes = 16 << 20;

// The row error for a record longer than `max_record_bytes` that starts at
// `line` and `offset`; `text` is as much of it as is at hand, of which the error
// keeps the first few KiB rather than up to max_record_bytes.
RowError TooLongRecord(uint64_t line, uint64_t offset, std::string_view text,
                       size_t max_record_bytes);

class StreamBuffer {
 public:
  static constexpr size_t kPadding = 64;        // at least SIMDJSON_PADDING
  static constexpr size_t kCapacity = 1 << 20;  // until a record needs more
  // `stop`, when given, is checked by every Fill (see ReaderOptions::stop).
  // `max_record_bytes` bounds the growth: the buffer holds at most that plus one
  // refill (kCapacity), enough for a record of max_record_bytes, its CR and the
  // byte that shows a longer record is too long. A reader stops calling Fill for
  // a record once it holds more than max_record_bytes + 1 bytes of it.
  explicit StreamBuffer(std::unique_ptr<InputStream> input, const std::atomic<bool>* stop = nullptr,
                        size_t max_record_bytes = SIZE_MAX);

  // The unconsumed bytes: [data(), data() + size()).
  const char* data() const { return buf_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  // True once the stream has reported its end; size() bytes are all that is left.
  bool eof() const { return eof_; }
  // Offset of data() in the stream.
  uint64_t offset() const { return offset_; }
  // Drops the first `n` unconsumed bytes; requires n <= size().
  void Consume(size_t n) {
    begin_ += n;
    offset_ += n;
  }

  // The buffer's size (without the padding).
  size_t capacity() const { return capacity_; }

  // Moves the unconsumed bytes to the front, grows the buffer by an eighth (at
  // least kCapacity, at most to the bound above) if they fill it, then reads
  // once, adding at least one byte unless the stream ends (which sets eof()).
  // Reading once rather than to the brim keeps a slow stream flowing and lets
  // tests place buffer boundaries anywhere. Does nothing after eof().
  // Errors: those of InputStream::Read; Unavailable once a stop was requested;
  // Internal when the buffer is full at its bound (a reader that kept more than
  // max_record_bytes + 1 bytes of one record).
  Status Fill();
  // Returns a buffer grown for a long record to kCapacity once what is left of
  // it fits easily. Fill does this itself; a reader calls it too when it hands
  // over a batch, so the buffer's copy of a long record is gone before the batch
  // is written.
  void ReleaseGrowth();
  // Fills until at least `bytes` are buffered or the stream ends.
  Status FillAtLeast(size_t bytes);
  // Drops a UTF-8 byte order mark at the start of the stream, reading first if
  // fewer than three bytes are buffered; does nothing later in the stream.
  // Errors: those of Fill.
  Status SkipBom();

 private:
  std::unique_ptr<InputStream> input_;
  const std::atomic<bool>* stop_;
  // Moves the unconsumed bytes to the front of a new buffer of `capacity` bytes.
  void Reallocate(size_t capacity);

  std::unique_ptr<char[]> buf_;
  size_t capacity_;
  size_t max_capacity_;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t offset_ = 0;
  bool eof_ = false;
};

}  // namespace sluice

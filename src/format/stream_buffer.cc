#include "format/stream_buffer.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice {

RowError TooLongRecord(uint64_t line, uint64_t offset, std::string_view text,
                       size_t max_record_bytes) {
  constexpr size_t kKeptBytes = 4096;
  return RowError{
      line,
      offset,
      "",
      std::string(text.substr(0, kKeptBytes)),
      "record longer than max_record_bytes (" + std::to_string(max_record_bytes) + " bytes)",
      RowErrorKind::kTooLong,
      "sluice reads records of at most " + std::to_string(max_record_bytes) +
          " bytes; check for an unbalanced quote or bracket that runs on, or split the record"};
}

StreamBuffer::StreamBuffer(std::unique_ptr<InputStream> input, const std::atomic<bool>* stop,
                           size_t max_record_bytes)
    : input_(std::move(input)),
      stop_(stop),
      buf_(std::make_unique_for_overwrite<char[]>(kCapacity + kPadding)),
      capacity_(kCapacity),
      max_capacity_(max_record_bytes > SIZE_MAX - kCapacity ? SIZE_MAX
                                                            : max_record_bytes + kCapacity) {
  buf_[0] = '\n';
}

void StreamBuffer::Reallocate(size_t capacity) {
  auto moved = std::make_unique_for_overwrite<char[]>(capacity + kPadding);
  std::memcpy(moved.get(), data(), size());
  buf_ = std::move(moved);
  capacity_ = capacity;
  end_ = size();
  begin_ = 0;
  buf_[end_] = '\n';
}

void StreamBuffer::ReleaseGrowth() {
  // Not below 4 MiB: records of a few MiB each would otherwise reallocate twice
  // per record, for little memory.
  if (capacity_ >= 4 * kCapacity && size() <= kCapacity / 2) Reallocate(kCapacity);
}

Status StreamBuffer::Fill() {
  if (eof_) return Status::Ok();
  // Checked here because every reader comes here for each MiB it reads, also
  // while it skips a record too long to keep.
  if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
    return Status::Unavailable("stop requested");
  }
  ReleaseGrowth();
  size_t kept = size();
  if (kept == capacity_) {
    // An eighth rather than double: a record of N bytes leaves at most N/8 unused
    // (doubling could leave N), for a few more copies of a record that long.
    if (capacity_ >= max_capacity_) {
      return Status::Internal("stream buffer full: a record longer than max_record_bytes kept");
    }
    Reallocate(std::min(max_capacity_, capacity_ + std::max(kCapacity, capacity_ / 8)));
  } else if (begin_ > 0) {
    std::memmove(buf_.get(), data(), kept);
  }
  begin_ = 0;
  end_ = kept;
  Result<size_t> n = input_->Read(buf_.get() + end_, capacity_ - end_);
  if (n.has_value()) {
    end_ += *n;
    eof_ = *n == 0;
  }
  buf_[end_] = '\n';
  return n.status();
}

Status StreamBuffer::FillAtLeast(size_t bytes) {
  while (size() < bytes && !eof_) RETURN_IF_ERROR(Fill());
  return Status::Ok();
}

Status StreamBuffer::SkipBom() {
  if (offset_ != 0) return Status::Ok();
  RETURN_IF_ERROR(FillAtLeast(3));
  if (std::string_view(data(), size()).starts_with("\xEF\xBB\xBF")) Consume(3);
  return Status::Ok();
}

}  // namespace sluice

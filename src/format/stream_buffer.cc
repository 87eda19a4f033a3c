#include "format/stream_buffer.h"

#include <cstring>
#include <string>
#include <string_view>

namespace sluice {
namespace {

constexpr size_t kCapacity = 1 << 20;  // before a record needs more

}  // namespace

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

StreamBuffer::StreamBuffer(std::unique_ptr<InputStream> input, const std::atomic<bool>* stop)
    : input_(std::move(input)),
      stop_(stop),
      buf_(std::make_unique_for_overwrite<char[]>(kCapacity + kPadding)),
      capacity_(kCapacity) {
  buf_[0] = '\n';
}

Status StreamBuffer::Fill() {
  if (eof_) return Status::Ok();
  // Checked here because every reader comes here for each MiB it reads, also
  // while it skips a record too long to keep.
  if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
    return Status::Unavailable("stop requested");
  }
  size_t kept = size();
  if (kept == capacity_) {
    auto bigger = std::make_unique_for_overwrite<char[]>(2 * capacity_ + kPadding);
    std::memcpy(bigger.get(), data(), kept);
    buf_ = std::move(bigger);
    capacity_ *= 2;
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

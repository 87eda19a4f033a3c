#include "sink/mysql/mysql_load_stream.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/exception_status.h"

namespace sluice {
namespace {

// Buffers kept for reuse, at most: the queue's worth at a Write's size.
constexpr size_t kMaxSpare = 32;

}  // namespace

StatementOutcome FinishStatement(MysqlConnection& db, Result<uint64_t> stored,
                                 std::string_view context) {
  StatementOutcome outcome;
  if (!stored.has_value()) {
    outcome.status = stored.error();
    return outcome;
  }
  outcome.stored = *stored;
  outcome.warning_count = db.WarningCount();
  if (outcome.warning_count > 0) {
    Result<std::vector<MysqlWarning>> warnings = db.Warnings(context);
    if (warnings.has_value()) {
      outcome.warnings = std::move(*warnings);
    } else {
      outcome.status = warnings.error();
    }
  }
  return outcome;
}

MysqlLoadStream::MysqlLoadStream(MysqlConnection& db)
    : db_(db), read_([this](char* buf, unsigned len) { return Read(buf, len); }) {
  // Read and DropQueued keep buffers without allocating (they cannot fail).
  spare_.reserve(kMaxSpare);
}

MysqlLoadStream::~MysqlLoadStream() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  Stop();
  if (thread_.joinable()) thread_.join();
}

std::string MysqlLoadStream::TakeBuffer() {
  std::lock_guard lock(mu_);
  if (spare_.empty()) return std::string();
  std::string buffer = std::move(spare_.back());
  spare_.pop_back();
  buffer.clear();
  return buffer;
}

Status MysqlLoadStream::Send(const std::string& sql, std::string_view context, std::string text) {
  if (!thread_.joinable()) {
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (...) {
      return ExceptionStatus(std::string(context) + ": start the load's thread");
    }
  }
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !failed_.ok() || queued_ < kMaxQueuedBytes; });
  if (!failed_.ok()) return failed_;
  if (!open_) {
    items_.push_back({Item::kStart, sql, std::string(context)});
    open_ = true;
  }
  queued_ += text.size();
  items_.push_back({Item::kText, std::move(text), {}});
  changed_.notify_all();
  return Status::Ok();
}

void MysqlLoadStream::End() {
  std::lock_guard lock(mu_);
  if (!open_) return;
  open_ = false;
  items_.push_back({Item::kEnd, {}, {}});
  changed_.notify_all();
}

std::optional<StatementOutcome> MysqlLoadStream::Take(bool wait) {
  std::unique_lock lock(mu_);
  if (wait) changed_.wait(lock, [&] { return !outcomes_.empty() || !failed_.ok(); });
  if (!outcomes_.empty()) {
    StatementOutcome outcome = std::move(outcomes_.front());
    outcomes_.pop_front();
    return outcome;
  }
  if (!failed_.ok()) return StatementOutcome{failed_, 0, 0, {}};
  return std::nullopt;
}

void MysqlLoadStream::Idle() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !running_ && items_.empty(); });
}

void MysqlLoadStream::Stop() noexcept {
  std::unique_lock lock(mu_);
  stopping_ = true;
  DropQueued();
  open_ = false;
  changed_.notify_all();
  changed_.wait(lock, [&] { return !running_; });
  stopping_ = false;
  failed_ = Status::Ok();
  outcomes_.clear();
}

void MysqlLoadStream::DropQueued() {
  for (Item& item : items_) {
    if (item.kind == Item::kText && spare_.size() < kMaxSpare)
      spare_.push_back(std::move(item.text));
  }
  items_.clear();
  queued_ = 0;
  read_offset_ = 0;
}

void MysqlLoadStream::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return quit_ || !items_.empty(); });
    if (quit_) return;
    // A statement's start: items are dropped whole statements at a time, or
    // from the running one's text on.
    Item start = std::move(items_.front());
    items_.pop_front();
    running_ = true;
    lock.unlock();
    StatementOutcome outcome;
    try {
      Result<uint64_t> stored = db_.LoadDataLocal(start.text, read_, start.context);
      lock.lock();
      const bool stopped = stopping_;
      lock.unlock();
      // Stopped: the statement was cut short; it is rolled back, unread.
      if (!stopped) outcome = FinishStatement(db_, std::move(stored), start.context);
    } catch (...) {
      outcome.status = ExceptionStatus(start.context);
    }
    if (!lock.owns_lock()) lock.lock();
    running_ = false;
    if (!stopping_) {
      if (!outcome.status.ok()) {
        failed_ = outcome.status;
        DropQueued();
        open_ = false;
      }
      outcomes_.push_back(std::move(outcome));
    }
    changed_.notify_all();
  }
}

int MysqlLoadStream::Read(char* buf, unsigned len) noexcept {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return stopping_ || !items_.empty(); });
  if (stopping_) return -1;
  Item& front = items_.front();
  if (front.kind != Item::kText) {
    // The statement's end (a start cannot come first: the end precedes it).
    items_.pop_front();
    return 0;
  }
  const size_t n = std::min<size_t>(len, front.text.size() - read_offset_);
  std::memcpy(buf, front.text.data() + read_offset_, n);
  read_offset_ += n;
  if (read_offset_ == front.text.size()) {
    queued_ -= front.text.size();
    read_offset_ = 0;
    if (spare_.size() < kMaxSpare) spare_.push_back(std::move(front.text));
    items_.pop_front();
    changed_.notify_all();
  }
  return static_cast<int>(n);
}

}  // namespace sluice

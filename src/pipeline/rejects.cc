#include "pipeline/rejects.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "observe/log.h"

namespace sluice {
namespace {
// Raw text is kept whole in the rejects file but shortened in the report.
constexpr size_t kReportRawLimit = 1000;
}  // namespace

RejectLog::RejectLog(std::string file, std::string scratch_dir) : file_(std::move(file)) {
  static std::atomic<uint64_t> seq{0};
  scratch_path_ = scratch_dir + "/.sluice-rejects-" + std::to_string(getpid()) + "-" +
                  std::to_string(seq.fetch_add(1)) + ".jsonl";
}

RejectLog::~RejectLog() { Discard(); }

void RejectLog::Report(RowError error) {
  ++count_;
  if (write_status_.ok()) {
    if (out_ == nullptr) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(scratch_path_).parent_path(), ec);
      out_ = std::fopen(scratch_path_.c_str(), "wb");
      if (out_ == nullptr) write_status_ = Status::Unavailable("cannot write " + scratch_path_);
    }
    if (out_ != nullptr) {
      std::string line = ToJson(file_, error);
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), out_) != line.size()) {
        write_status_ = Status::Unavailable("cannot write " + scratch_path_);
      }
    }
  }
  if (first_.size() < kKeptForReport) {
    if (error.raw.size() > kReportRawLimit) error.raw.resize(kReportRawLimit);
    first_.push_back(std::move(error));
  }
}

Status RejectLog::Keep(const std::string& path) {
  if (out_ == nullptr) return write_status_;
  bool ok = std::fflush(out_) == 0 && fsync(fileno(out_)) == 0;
  std::fclose(out_);
  out_ = nullptr;
  if (!ok || std::rename(scratch_path_.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("cannot write rejects file " + path);
  }
  return write_status_;
}

void RejectLog::Discard() {
  if (out_ != nullptr) {
    std::fclose(out_);
    out_ = nullptr;
    std::remove(scratch_path_.c_str());
  }
  count_ = 0;
  first_.clear();
  write_status_ = Status::Ok();
}

Status RejectLog::TooMany(const std::string& what) const {
  std::string m = what + ", more than the table allows";
  if (!first_.empty()) {
    const RowError& e = first_.front();
    m += "; first at line " + std::to_string(e.line);
    if (!e.column.empty()) m += ", column " + e.column;
    m += ": " + e.message;
  }
  return Status::InvalidData(std::move(m));
}

std::string RejectLog::ToJson(const std::string& file, const RowError& e) {
  std::string s = "{\"file\":";
  AppendJsonString(s, file);
  s += ",\"line\":" + std::to_string(e.line);
  s += ",\"offset\":" + std::to_string(e.byte_offset);
  s += ",\"column\":";
  AppendJsonString(s, e.column);
  s += ",\"reason\":";
  AppendJsonString(s, e.message);
  s += ",\"raw\":";
  AppendJsonString(s, e.raw);
  s += '}';
  return s;
}

}  // namespace sluice

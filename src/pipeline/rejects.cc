#include "pipeline/rejects.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "observe/json_text.h"
#include "pipeline/archive.h"

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
  ++counts_[static_cast<size_t>(error.kind)];
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

Result<std::string> RejectLog::Keep(const std::string& dir, const std::string& relative) {
  if (out_ == nullptr) {
    if (!write_status_.ok()) return write_status_;
    return std::string();
  }
  bool ok = std::fflush(out_) == 0 && fsync(fileno(out_)) == 0;
  std::fclose(out_);
  out_ = nullptr;
  if (!ok) {
    std::remove(scratch_path_.c_str());
    return Status::Unavailable("cannot write rejects file " + scratch_path_);
  }
  Result<std::string> kept = MoveNoClobber(scratch_path_, dir, relative);
  if (!kept) {
    std::remove(scratch_path_.c_str());
    return kept.error().WithContext("rejects file");
  }
  if (!write_status_.ok()) return write_status_;
  return kept;
}

void RejectLog::Discard() {
  if (out_ != nullptr) {
    std::fclose(out_);
    out_ = nullptr;
    std::remove(scratch_path_.c_str());
  }
  count_ = 0;
  counts_ = {};
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

nlohmann::ordered_json RejectLog::ToJsonValue(const std::string& file, const RowError& e) {
  return {{"file", file},
          {"line", e.line},
          {"offset", e.byte_offset},
          {"column", e.column},
          {"kind", std::string(RowErrorKindName(e.kind))},
          {"reason", e.message},
          {"hint", e.hint},
          {"raw", e.raw}};
}

std::string RejectLog::ToJson(const std::string& file, const RowError& e) {
  return JsonText(ToJsonValue(file, e));
}

nlohmann::ordered_json RejectCountsJson(const RowErrorCounts& counts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] > 0) out[std::string(RowErrorKindName(static_cast<RowErrorKind>(k)))] = counts[k];
  }
  return out;
}

}  // namespace sluice

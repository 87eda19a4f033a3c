// ParquetArchive: see parquet_archive.h.
#include "pipeline/parquet_archive.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/exception_status.h"
#include "parquet/parquet_file.h"
#include "source/file_input.h"

namespace sluice {
namespace {

constexpr const char* kSourceHashKey = "sluice.source_hash";

// Numbered names tried before giving up: far beyond any real collision count.
constexpr int kMaxNumberedNames = 1000;

// True if `path` is a Parquet file whose footer names `source_hash`.
bool ArchivesSource(const std::string& path, const std::string& source_hash) {
  Result<std::unique_ptr<InputStream>> input = OpenFileInput(path);
  if (!input || (*input)->random_access() == nullptr) return false;
  Result<std::unique_ptr<parquet::ParquetFile>> file =
      parquet::ParquetFile::Open(*(*input)->random_access());
  if (!file) return false;
  for (const auto& [key, value] : (*file)->metadata().key_value) {
    if (key == kSourceHashKey && value == source_hash) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<ParquetArchive>> ParquetArchive::Start(const std::string& processed,
                                                              const std::string& relative,
                                                              const std::vector<ColumnDef>& columns,
                                                              const std::string& source_hash) {
  ASSIGN_OR_RETURN(PendingArchive pending,
                   PendingArchive::Create(processed, ParquetArchiveName(relative)));
  std::unique_ptr<ParquetArchive> archive(new ParquetArchive(std::move(pending)));
  parquet::ParquetWriterOptions options;
  options.key_value.emplace_back(kSourceHashKey, source_hash);
  // ZSTD level -1, not the default 3: with dictionaries and DELTA pages taking
  // most columns, zstd's work is the PLAIN pages of high-cardinality floats;
  // there -1 saves about an eighth of the archive's CPU against level 2 for a
  // file still smaller than DuckDB's (the benchmark's 1M sensor rows: 12.5 MB,
  // level 2 11.4 MB, DuckDB 13.3 MB; docs/benchmarks.md).
  options.compression_level = -1;
  ASSIGN_OR_RETURN(archive->writer_,
                   parquet::ParquetWriter::Open(columns, options, &archive->output_));
  archive->columns_ = columns;
  ParquetArchive* raw = archive.get();
  archive->thread_ = std::thread([raw] { raw->Run(); });
  return archive;
}

ParquetArchive::~ParquetArchive() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    queue_.clear();  // a dropped archive (a failed load): its file is removed anyway
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ParquetArchive::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return closing_ || ending_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (closing_) return;  // dropped: the file is removed anyway
      const bool failed = !error_.ok();
      lock.unlock();
      // Every row is written (Drain): the last row group, the footer and the sync
      // run here while the load commits; Finish waits for them before the rename.
      Status s;
      if (!failed) {
        try {
          s = writer_->Close();
        } catch (...) {
          s = ExceptionStatus("writing the Parquet archive");
        }
      }
      if (s.ok() && fsync(pending_.fd()) != 0) {
        s = Status::Unavailable("cannot sync " + pending_.temp_path() + ": " +
                                std::strerror(errno));
      }
      lock.lock();
      if (!s.ok() && error_.ok()) error_ = s;
      return;
    }
    std::unique_ptr<Owned> owned = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    const bool failed = !error_.ok();
    lock.unlock();
    Status s;
    if (!failed) {
      // The thread's exception boundary: an allocation failure fails the archive.
      try {
        s = writer_->Write(owned->batch);
      } catch (...) {
        s = ExceptionStatus("writing the Parquet archive");
      }
    }
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    free_.push_back(std::move(owned));
    writing_ = false;
    cv_.notify_all();
  }
}

Status ParquetArchive::Write(const Batch& batch) {
  std::unique_ptr<Owned> owned;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !error_.ok() || queue_.size() < kMaxQueued; });
    if (!error_.ok()) return error_;
    if (ending_) return Status::Internal("ParquetArchive::Write after Drain");
    if (!free_.empty()) {
      owned = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (batch.columns().size() != columns_.size()) {
    return Status::Internal("a batch of " + std::to_string(batch.columns().size()) +
                            " columns for a Parquet archive of " + std::to_string(columns_.size()));
  }
  if (owned == nullptr) {
    owned = std::make_unique<Owned>();
    owned->batch.Reset(columns_);
  }
  // The copy: values as they are, strings into the copy's own bytes.
  Batch& copy = owned->batch;
  copy.Clear();
  size_t bytes = 0;
  for (const Column& column : batch.columns()) {
    for (std::string_view v : column.strings) bytes += v.size();
  }
  owned->bytes.clear();
  owned->bytes.reserve(bytes);  // no reallocation below: views stay valid
  for (size_t c = 0; c < batch.columns().size(); ++c) {
    const Column& from = batch.columns()[c];
    Column& to = copy.columns()[c];
    to.def = from.def;
    to.ints = from.ints;
    to.floats = from.floats;
    to.nulls = from.nulls;
    to.strings.resize(from.strings.size());
    for (size_t i = 0; i < from.strings.size(); ++i) {
      const size_t at = owned->bytes.size();
      owned->bytes.append(from.strings[i]);
      to.strings[i] = std::string_view(owned->bytes).substr(at, from.strings[i].size());
    }
  }
  for (uint64_t line : batch.lines()) copy.FinishRow(line);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(owned));
  }
  cv_.notify_all();
  return Status::Ok();
}

Status ParquetArchive::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
  ending_ = true;
  cv_.notify_all();
  return error_;
}

std::optional<std::string> ParquetArchive::FindArchived(const std::string& processed,
                                                        const std::string& relative,
                                                        const std::string& source_hash) {
  std::string target = (std::filesystem::path(processed) / ParquetArchiveName(relative)).string();
  for (int n = 0; n < kMaxNumberedNames; ++n) {
    std::string name = NumberedName(target, n);
    struct stat st;
    if (lstat(name.c_str(), &st) != 0) return std::nullopt;  // names are taken in order
    if (S_ISREG(st.st_mode) && ArchivesSource(name, source_hash)) return name;
  }
  return std::nullopt;
}

Result<std::string> ParquetArchive::Finish() {
  RETURN_IF_ERROR(Drain());
  thread_.join();  // the footer written and the file synced, or error_ says why not
  RETURN_IF_ERROR(error_);
  return pending_.Publish();
}

}  // namespace sluice

// ParquetArchive: a loaded file's rows archived as a Parquet file in processed/
// (after_load: parquet). The rows are written as they load, beside the sink;
// Finish makes the file durable under its final name (PendingArchive): until
// then nothing but a hidden temporary file exists, removed if the archive is
// dropped (a failed or retried load). The footer names the original's content
// hash, so that an archive already made for it is recognised (FindArchived).
//
// The rows are encoded and compressed on a thread of the archive's own, beside the
// load: Write copies the batch (its strings too) and returns, at most two batches
// ahead of the writing; Drain waits for the writing and returns its first error,
// so that a load ends with its archive's rows written or fails as before. After
// Drain the thread writes the last row group and the footer and syncs the file
// while the load commits; Finish waits for that, then renames (the original is
// removed only after Finish, as before).
//
// Thread-safety: one owner at a time (the calls below); the thread is internal.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "parquet/parquet_writer.h"
#include "pipeline/archive.h"

namespace sluice {

class ParquetArchive {
 public:
  // Starts the archive of the file at `relative` below the source folder, as
  // `processed`/ParquetArchiveName(relative), with the table's `columns`.
  // Errors: Unavailable when the file cannot be created; InvalidArgument for
  // columns Parquet refuses.
  // The archive records `source_hash` (the original's content hash) in its footer
  // (key_value_metadata "sluice.source_hash"), for FindArchived.
  static Result<std::unique_ptr<ParquetArchive>> Start(const std::string& processed,
                                                       const std::string& relative,
                                                       const std::vector<ColumnDef>& columns,
                                                       const std::string& source_hash);

  // The archive of the file at `relative` whose content hash is `source_hash`, if
  // one is already in `processed` under the name Start gives or a numbered name
  // beside it: a crash between an archive's rename and the original's removal
  // leaves the original, which must then not be archived a second time.
  // Unreadable or foreign files under those names are passed over.
  static std::optional<std::string> FindArchived(const std::string& processed,
                                                 const std::string& relative,
                                                 const std::string& source_hash);

  ~ParquetArchive();

  // Queues the rows of `batch` (of the columns given to Start; copied, so the
  // batch may change once this returns). Errors as ParquetWriter::Write, of this
  // batch or an earlier one (then every later call returns it).
  Status Write(const Batch& batch);

  // Waits until every batch queued is written; the first error of any. No Write
  // may follow: the thread goes on to write the footer and sync the file.
  Status Drain();

  // Drains, waits for the footer and the sync, names the file (PendingArchive::
  // Publish) and returns its path. Errors: Unavailable, or the writing's error.
  Result<std::string> Finish();

 private:
  explicit ParquetArchive(PendingArchive pending)
      : pending_(std::move(pending)), output_(pending_.fd(), pending_.temp_path()) {}
  void Run();  // the writing thread

  // A batch whose strings point into its own bytes.
  struct Owned {
    Batch batch;
    std::string bytes;
  };
  static constexpr size_t kMaxQueued = 2;

  PendingArchive pending_;
  parquet::FdOutput output_;
  std::unique_ptr<parquet::ParquetWriter> writer_;  // the thread's until Finish joins it
  std::vector<ColumnDef> columns_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Owned>> queue_;  // guarded by mu_
  std::vector<std::unique_ptr<Owned>> free_;  // guarded by mu_; reused copies
  bool writing_ = false;                      // guarded by mu_; the thread holds a batch
  bool closing_ = false;                      // guarded by mu_; dropped, stop now
  bool ending_ = false;                       // guarded by mu_; Drain was called
  Status error_;                              // guarded by mu_; sticky
};

}  // namespace sluice

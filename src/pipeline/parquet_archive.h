// ParquetArchive: a loaded file's rows archived as a Parquet file in processed/
// (after_load: parquet). The rows are written as they load, beside the sink;
// Finish makes the file durable under its final name (PendingArchive): until
// then nothing but a hidden temporary file exists, removed if the archive is
// dropped (a failed or retried load). The footer names the original's content
// hash, so that an archive already made for it is recognised (FindArchived).
//
// Thread-safety: none; one owner at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>
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

  // Appends the rows of `batch` (of the columns given to Start). Errors as
  // ParquetWriter::Write.
  Status Write(const Batch& batch) { return writer_->Write(batch); }

  // Writes the footer, syncs and names the file; returns its path. Errors:
  // Unavailable.
  Result<std::string> Finish();

 private:
  explicit ParquetArchive(PendingArchive pending)
      : pending_(std::move(pending)), output_(pending_.fd(), pending_.temp_path()) {}

  PendingArchive pending_;
  parquet::FdOutput output_;
  std::unique_ptr<parquet::ParquetWriter> writer_;
};

}  // namespace sluice

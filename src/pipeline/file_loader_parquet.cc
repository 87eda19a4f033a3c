// FileLoader::ArchiveAsParquet (after_load: parquet) for a file whose load is not
// in memory: a file recognised as loaded after a crash between its commit and
// its archive, or a duplicate of a loaded file. (A file that loads now is
// archived from the batches it loads: WriteRows.)
//
// An archive that already names the file's content hash (a crash between its
// rename and the original's removal) is the archive: it is not written twice.
// Otherwise the rows are read again from the landed file (its bytes are those hashed)
// through the same reader, table resolution and validation as a load, so the
// archive holds the rows a load of it holds, typed as the table's columns.
#include "pipeline/file_loader.h"
#include "pipeline/file_loader_parts.h"
#include "pipeline/parquet_archive.h"

namespace sluice {

Result<std::string> FileLoader::ArchiveAsParquet(const Sighting& file) {
  if (std::optional<std::string> existing =
          ParquetArchive::FindArchived(config_.processed, file.relative, file.id.hash)) {
    return *existing;
  }
  Attempt attempt(file.path, config_.quarantine);
  Opened opened;
  RETURN_IF_ERROR(Open(file, attempt, opened));
  if (opened.names.empty() && !file.plan.metadata.any()) {
    return Status::InvalidData("a file of empty records has no columns to archive as Parquet");
  }
  RETURN_IF_ERROR(Prepare(file, attempt, opened, std::nullopt));
  ASSIGN_OR_RETURN(auto archive, ParquetArchive::Start(config_.processed, file.relative,
                                                       opened.table.load.columns, file.id.hash));
  uint64_t validation_rejects = 0;
  Status status = ForEachBatch(
      file, attempt, opened, [&](const Batch& batch) { return archive->Write(batch); },
      validation_rejects);
  // The load kept its rejects; this reading's copy is dropped.
  attempt.rejects.Discard();
  RETURN_IF_ERROR(status.WithContext("archiving " + file.path + " as Parquet"));
  return archive->Finish();
}

}  // namespace sluice

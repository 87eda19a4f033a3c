// FileLoader::ArchiveAsParquet (after_load: parquet): the loaded file's rows,
// typed as its table's columns, archived as a Parquet file in processed/.
//
// The rows are read again from the landed file (its bytes are those hashed and
// loaded) through the same reader, table resolution and validation as the load,
// rather than kept from the load: a file recognised as loaded after a crash has no
// load in memory, and one path serves both. The Parquet file is written under a
// temporary name, synced and renamed (PendingArchive) before the caller removes
// the original.
#include "parquet/parquet_writer.h"
#include "pipeline/archive.h"
#include "pipeline/file_loader.h"
#include "pipeline/file_loader_parts.h"

namespace sluice {

Result<std::string> FileLoader::ArchiveAsParquet(const Sighting& file) {
  Attempt attempt(file.path, config_.quarantine);
  Opened opened;
  RETURN_IF_ERROR(Open(file, attempt, opened));
  if (opened.names.empty() && !file.plan.metadata.any()) {
    return Status::InvalidData("a file of empty records has no columns to archive as Parquet");
  }
  RETURN_IF_ERROR(Prepare(file, attempt, opened, std::nullopt));
  ASSIGN_OR_RETURN(PendingArchive pending,
                   PendingArchive::Create(config_.processed, ParquetArchiveName(file.relative)));
  parquet::FdOutput output(pending.fd(), pending.temp_path());
  ASSIGN_OR_RETURN(auto writer,
                   parquet::ParquetWriter::Open(opened.table.load.columns,
                                                parquet::ParquetWriterOptions{}, &output));
  uint64_t validation_rejects = 0;
  Status status = ForEachBatch(
      file, attempt, opened, [&](const Batch& batch) { return writer->Write(batch); },
      validation_rejects);
  // The rejects were kept by the load; this reading's copy is dropped.
  attempt.rejects.Discard();
  RETURN_IF_ERROR(status.WithContext("archiving " + file.path + " as Parquet"));
  RETURN_IF_ERROR(writer->Close().WithContext("archiving " + file.path + " as Parquet"));
  return pending.Publish();
}

}  // namespace sluice

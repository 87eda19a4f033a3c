// ParquetArchive: see parquet_archive.h.
#include "pipeline/parquet_archive.h"

namespace sluice {

Result<std::unique_ptr<ParquetArchive>> ParquetArchive::Start(
    const std::string& processed, const std::string& relative,
    const std::vector<ColumnDef>& columns) {
  ASSIGN_OR_RETURN(PendingArchive pending,
                   PendingArchive::Create(processed, ParquetArchiveName(relative)));
  std::unique_ptr<ParquetArchive> archive(new ParquetArchive(std::move(pending)));
  ASSIGN_OR_RETURN(
      archive->writer_,
      parquet::ParquetWriter::Open(columns, parquet::ParquetWriterOptions{}, &archive->output_));
  return archive;
}

Result<std::string> ParquetArchive::Finish() {
  RETURN_IF_ERROR(writer_->Close());
  return pending_.Publish();
}

}  // namespace sluice

// ParquetReader: the RecordReader for Parquet files (format/parquet, on the
// parquet/ library). The columns are the file's flat leaf columns in schema order;
// each cell is the value's text as parquet/value_text.h describes, null for a
// Parquet null (an empty string stays an empty string).
//
// The input must be an uncompressed file (Parquet compresses its own pages): the
// reader needs its RandomAccessInput to read the footer first. A row group is
// read column by column, page by page, batch_rows rows at a time (fewer while
// batches exceed 16 MiB), so memory is a batch plus one page (and dictionary) per
// column, whatever the file size.
//
// A value without text (a byte array that is not UTF-8, an INT96 beyond the
// timestamp range) makes its row a row error (kind encoding) reported with its
// row number as line (1-based, across row groups). Everything else that is wrong
// with the file — structure, nested or encrypted columns, unsupported encodings —
// fails the read with InvalidData naming the structure and byte offset.
//
// Thread-safety: none; one thread per reader.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "format/record_reader.h"

namespace sluice {
namespace parquet {
class ParquetFile;
class ColumnReader;
}  // namespace parquet

class ParquetReader final : public RecordReader {
 public:
  ParquetReader(std::unique_ptr<InputStream> input, const ReaderOptions& options);
  ~ParquetReader() override;

  Result<size_t> ReadBatch(TextBatch& out, RowErrorSink& errors) override;

  // Per column, the type the file declares, as a schema type name (integer, float,
  // boolean, date, timestamp, string, time); empty before the first ReadBatch.
  const std::vector<std::string>& column_types() const { return types_; }

 private:
  struct ReadResult {
    size_t added;
    bool end;
  };
  Result<ReadResult> ReadRows(TextBatch& out, RowErrorSink& errors);
  Status Open();
  // Makes the column readers of the next row group with rows; false at the end.
  Result<bool> NextRowGroup();

  std::unique_ptr<InputStream> input_;
  ReaderOptions options_;
  std::unique_ptr<parquet::ParquetFile> file_;
  std::vector<std::string> names_;
  std::vector<std::string> types_;
  size_t next_group_ = 0;
  int64_t group_rows_left_ = 0;
  std::vector<std::unique_ptr<parquet::ColumnReader>> columns_;
  std::vector<std::vector<Span>> cells_;
  uint64_t row_ = 0;       // rows read so far
  size_t rows_per_batch_;  // batch_rows, fewer while batches of long values pass 16 MiB
  Status error_;           // sticky once the file fails
};

}  // namespace sluice

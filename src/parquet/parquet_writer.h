// ParquetWriter: writes typed sluice batches (core/batch.h) as one Parquet file to
// an output the caller provides: "PAR1", row groups of column chunks (see
// column_writer.h for pages, encodings and types), then the FileMetaData footer
// (schema, row counts, row groups with statistics, created_by "sluice <version>").
//
// Memory is bounded by one row group: a row group is written out as soon as it
// holds `row_group_rows` rows or its pages take `row_group_bytes` uncompressed,
// whichever comes first, so any number of rows can be written. Finished pages are
// held compressed; the open pages of all columns together are bounded by
// `open_page_bytes` (pages of a wide table are smaller). The writer only
// appends; the caller decides where the bytes go and makes the file durable
// (temporary name, fsync, rename).
//
// Usage:
//   FdOutput out(fd, path);
//   ASSIGN_OR_RETURN(auto writer, ParquetWriter::Open(columns, {}, &out));
//   RETURN_IF_ERROR(writer->Write(batch));  // any number of times
//   RETURN_IF_ERROR(writer->Close());       // the footer; the file is complete
//
// After an error the file is incomplete and the writer refuses further calls.
//
// Thread-safety: none; one owner at a time (an output likewise).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "parquet/codec.h"
#include "parquet/column_writer.h"

namespace sluice::parquet {

// Where a ParquetWriter's bytes go.
class ParquetOutput {
 public:
  virtual ~ParquetOutput() = default;
  // Appends `bytes`. Errors are returned by the writer as they are.
  virtual Status Write(std::string_view bytes) = 0;
};

// Writes to a file descriptor the caller owns (and syncs, and closes). Errors:
// Unavailable naming `name` and the errno text (a full disk may free up).
class FdOutput : public ParquetOutput {
 public:
  FdOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status Write(std::string_view bytes) override;

 private:
  int fd_;
  std::string name_;
};

// Appends to a string the caller owns (tests, small files).
class StringOutput : public ParquetOutput {
 public:
  explicit StringOutput(std::string* out) : out_(out) {}
  Status Write(std::string_view bytes) override {
    out_->append(bytes);
    return Status::Ok();
  }

 private:
  std::string* out_;
};

struct ParquetWriterOptions {
  Codec codec = Codec::kZstd;
  int compression_level = 0;  // 0: the codec's default
  uint64_t row_group_rows = 1'000'000;
  // 32 MiB: its pages are held compressed until the row group is written, beside
  // a reader's page and batches, within a load's 200 MiB (docs/benchmarks.md).
  uint64_t row_group_bytes = uint64_t{32} << 20;
  size_t page_bytes = size_t{1} << 20;
  // The open (unfinished, uncompressed) pages of all columns together hold about
  // this much at most: a column's pages close at page_bytes or at open_page_bytes
  // divided by the number of columns, whichever is smaller (but not below
  // kMinPageBytes). Without it a table of thousands of columns fills no page
  // before the row group ends and holds the whole row group uncompressed.
  size_t open_page_bytes = size_t{16} << 20;
  static constexpr size_t kMinPageBytes = size_t{4} << 10;
  bool dictionary = true;  // for string columns; see ColumnWriterOptions
  size_t dictionary_bytes = size_t{1} << 20;
  // The footer's key_value_metadata (e.g. where an archive's rows came from).
  std::vector<std::pair<std::string, std::string>> key_value;
};

// "zstd", "snappy", "gzip", "none" (also "uncompressed") as a Codec. InvalidArgument
// for any other name.
Result<Codec> ParseParquetCompression(std::string_view name);

class ParquetWriter {
 public:
  // Starts a file with `columns` (names non-empty and distinct; a column that is
  // not nullable is REQUIRED in the schema) and writes the leading magic.
  // Errors: InvalidArgument for bad columns or options (an unsupported codec,
  // zero row group limits); the output's error.
  static Result<std::unique_ptr<ParquetWriter>> Open(std::vector<ColumnDef> columns,
                                                     const ParquetWriterOptions& options,
                                                     ParquetOutput* output);

  // Appends the rows of `batch`, whose columns must be those given to Open, in
  // order (same types). May write row groups. Errors: InvalidArgument for a batch
  // of other columns, a null in a non-nullable column or a date outside INT32;
  // Internal when compression fails; the output's error.
  Status Write(const Batch& batch);

  // Writes the last row group and the footer. A file of zero rows is valid (a
  // schema and no row groups). Errors as for Write.
  Status Close();

  uint64_t rows_written() const { return rows_; }
  uint64_t bytes_written() const { return offset_; }

 private:
  ParquetWriter(std::vector<ColumnDef> columns, const ParquetWriterOptions& options,
                ParquetOutput* output);
  Status Emit(std::string_view bytes);
  Status FlushRowGroup();
  std::string FileMetaData() const;

  struct RowGroupInfo {
    std::vector<ColumnChunkInfo> columns;
    int64_t num_rows = 0;
    int64_t file_offset = 0;
    int64_t total_uncompressed = 0;
    int64_t total_compressed = 0;
  };

  std::vector<ColumnDef> columns_;
  ParquetWriterOptions options_;
  ParquetOutput* output_;
  std::vector<ColumnChunkWriter> chunks_;
  std::vector<RowGroupInfo> row_groups_;
  uint64_t group_rows_ = 0;
  uint64_t rows_ = 0;
  int64_t offset_ = 0;
  Status failed_;  // the first error; then every call returns it
  bool closed_ = false;
};

}  // namespace sluice::parquet

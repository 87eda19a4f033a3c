// ParquetReader: the RecordReader for Parquet files (format/parquet, on the
// parquet/ library). The columns are the file's top-level fields in schema order;
// each cell of a flat column is the value's text as parquet/value_text.h describes,
// null for a Parquet null (an empty string stays an empty string). A nested field
// (list, map, struct, repeated field) is one column of JSON text
// (parquet/nested_shape.h), null when the top-level value is null.
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
// with the file — structure, encrypted columns, nestings without a JSON form,
// unsupported encodings —
// fails the read with InvalidData naming the structure and byte offset.
//
// Columns whose values have a typed form (ValueText::typed_type) also carry it in
// the batch (TextBatch::SetTyped), so that the Validator need not parse the text;
// after SetTextless, those columns come without text (made on demand, CellText).
// String columns are dictionary columns (TextBatch::SetDictionary): the values of
// a small dictionary page are the batch's entries, so that the Validator checks
// each once, not each cell.
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
class NestedShape;
struct LevelEntries;
struct TopField;
}  // namespace parquet

class ParquetReader final : public RecordReader {
 public:
  ParquetReader(std::unique_ptr<InputStream> input, const ReaderOptions& options);
  ~ParquetReader() override;

  Result<size_t> ReadBatch(TextBatch& out, RowErrorSink& errors) override;

  // Per column: integer, float, boolean, date, timestamp, or string (also for TIME,
  // UUID and byte arrays), as docs/formats.md maps them.
  std::vector<std::optional<ColumnType>> declared_types() const override;
  void SetTextless(const std::vector<bool>& columns) override { textless_ = columns; }

 private:
  struct ReadResult {
    size_t added;
    bool end;
  };
  Result<ReadResult> ReadRows(TextBatch& out, RowErrorSink& errors);
  // Sizes the next batch from `out`, the batch just read.
  void ResizeBatch(const TextBatch& out);
  Status Open();
  // Makes the column readers of the next row group with rows; false at the end.
  Result<bool> NextRowGroup();
  // Reads field `f`'s next `n` rows as JSON text into `out`'s column `f`.
  Status ReadNested(size_t f, size_t n, TextBatch& out,
                    std::vector<std::pair<size_t, std::string>>& bad_rows);

  std::unique_ptr<InputStream> input_;
  ReaderOptions options_;
  std::unique_ptr<parquet::ParquetFile> file_;
  std::vector<std::string> names_;
  std::vector<std::string> types_;
  size_t next_group_ = 0;
  int64_t group_rows_left_ = 0;
  std::vector<parquet::TopField> fields_;
  std::vector<std::unique_ptr<parquet::NestedShape>> shapes_;  // per field; null if flat
  std::vector<std::vector<parquet::LevelEntries>> entries_;    // per field, per leaf
  std::string json_;
  std::vector<std::unique_ptr<parquet::ColumnReader>> columns_;  // per leaf
  std::vector<bool> textless_;                                   // SetTextless
  // Per flat column with typed values: the text of a textless cell.
  std::vector<std::unique_ptr<TypedText>> typed_text_;
  uint64_t row_ = 0;       // rows read so far
  size_t rows_per_batch_;  // batch_rows, fewer while batches of long values pass 16 MiB
  Status error_;           // sticky once the file fails
};

}  // namespace sluice

// ColumnChunkWriter: encodes the values of one typed column into the pages of a
// Parquet column chunk (one per row group): data pages v1; RLE_DICTIONARY indices
// and a PLAIN dictionary page for string, integer, timestamp, date and float
// columns while the dictionary stays small; past that (or without a dictionary)
// PLAIN values, except integers, timestamps and dates, which are
// DELTA_BINARY_PACKED (a few bits per value for ordered or clustered numbers,
// where zstd over PLAIN eight-byte values costs more time for a larger page);
// definition levels (RLE, bit width 1) for nullable columns; every page
// compressed with the file's codec; min/max/null_count statistics of the chunk.
//
// A dictionary that fails on the chunk's first page (too many distinct values)
// is dropped and that page written without it, so a high-cardinality column
// costs one page of lookups and carries no dictionary page. Statistics of
// dictionary-encoded values are taken from the dictionary's entries, once each.
//
// Mapping of sluice column types (core/table.h) to Parquet:
//   string     BYTE_ARRAY  STRING (UTF8)
//   integer    INT64
//   float      DOUBLE
//   boolean    BOOLEAN
//   date       INT32       DATE (days since 1970-01-01)
//   timestamp  INT64       TIMESTAMP(isAdjustedToUTC=true, MICROS) (TIMESTAMP_MICROS)
//
// Pages are kept in memory, compressed, until the row group is written: memory
// is bounded by the row group size and the page size the caller chooses (the
// open page, uncompressed, is at most about `page_bytes`). The scratch buffers a
// page is encoded and compressed in are shared by the writers of a thread, so
// that a file of thousands of columns does not keep one per column.
//
// Thread-safety: none; one owner at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "parquet/codec.h"
#include "parquet/dictionary_builder.h"
#include "parquet/parquet_types.h"

namespace sluice::parquet {

struct ColumnWriterOptions {
  Codec codec = Codec::kZstd;
  int compression_level = 0;  // 0: the codec's default
  // A data page is closed once its values and definition levels take this many
  // (uncompressed, as buffered) bytes.
  size_t page_bytes = 1 << 20;
  // Dictionary encoding (every type but boolean): kept while the dictionary holds
  // at most `dictionary_bytes` and fewer distinct values than a tenth of the values
  // seen (checked as each page closes); past that, the chunk's later pages are
  // PLAIN (DELTA_BINARY_PACKED for integers).
  bool dictionary = true;
  size_t dictionary_bytes = 1 << 20;
};

// What the footer says of one written column chunk.
struct ColumnChunkInfo {
  std::vector<Encoding> encodings;
  int64_t num_values = 0;               // rows, nulls included
  int64_t total_uncompressed_size = 0;  // page headers included
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  int64_t null_count = 0;
  // PLAIN encodings of the smallest and largest value, absent when there is none
  // (no non-null value, a NaN in the chunk, or a string too long to be worth
  // keeping).
  std::optional<std::string> min_value;
  std::optional<std::string> max_value;
};

// The physical type that stores a sluice column type.
Type PhysicalType(ColumnType type);

class ColumnChunkWriter {
 public:
  ColumnChunkWriter(ColumnDef def, ColumnWriterOptions options);

  const ColumnDef& def() const { return def_; }

  // Encodes rows [begin, end) of `column`, whose type must be def().type.
  // Errors: InvalidArgument for a null in a non-nullable column or a date outside
  // INT32's range; Internal if compression fails.
  Status Append(const Column& column, size_t begin, size_t end);

  // Bytes the chunk would take uncompressed so far (an estimate for the open page).
  uint64_t buffered_bytes() const;
  // Bytes the open page holds in memory (values, dictionary indices, definition
  // levels), below page_bytes once Append returns.
  // Until a page has used the dictionary, its indices count as the PLAIN values
  // they stand for: such a page may still be written without the dictionary.
  size_t open_page_bytes() const {
    return plain_.size() + ints_.size() * sizeof(int64_t) + def_levels_.size() +
           (dictionary_used_ ? indices_.size() * sizeof(uint32_t) : undo_bytes_);
  }

  // The bytes of a finished chunk, to be written in this order.
  struct ChunkBytes {
    std::string_view dictionary_page;            // empty when no page is dictionary-encoded
    const std::vector<std::string>& data_pages;  // each a header and its body
  };

  // Closes the open page and returns the chunk's bytes and, through `info`, its
  // metadata, with page offsets counted from `file_offset`, where the caller
  // writes the bytes. The writer is then empty, ready for the next row group; the
  // returned views are valid until the next Append or Finish. Errors: Internal if
  // compression fails, InvalidArgument for a page over 2 GiB.
  Result<ChunkBytes> Finish(int64_t file_offset, ColumnChunkInfo& info);

 private:
  template <ColumnType kType>
  Status AppendRows(const Column& column, size_t begin, size_t end);
  // Appends the non-null value of `row` to the open page.
  template <ColumnType kType>
  Status AppendValue(const Column& column, size_t row);
  Status ClosePage();
  // True when the page-close test of the dictionary (fewer distinct values than a
  // tenth of the chunk's) must fail however the page fills: a high-cardinality
  // column then stops paying for lookups after a few thousand values.
  bool DictionaryBound() const;
  // The open page's dictionary indices turned into values (PLAIN strings, or
  // ints_), for a dictionary dropped before any page used it.
  void UndoDictionary();
  // Widens the statistics by every entry of the dictionary.
  void StatsFromDictionary();
  // Compresses `body` and stores the page (header and body) in `to`.
  Status AppendPage(PageType type, std::string_view body, int32_t num_values, Encoding encoding,
                    std::string& to);
  // `value` (an integer, double or string_view) widens [min, max] of type T.
  template <typename V, typename T>
  void UpdateMinMax(V value, T& min, T& max);
  void UpdateStats(std::string_view value);
  void UpdateStats(int64_t value);
  void UpdateStats(double value);
  void ResetChunk();

  ColumnDef def_;
  ColumnWriterOptions options_;
  Type physical_;

  // The open page.
  std::vector<uint8_t> def_levels_;  // nullable columns: 1 = value present
  std::string plain_;                // PLAIN strings; booleans one byte each, packed on close
  // INT32/INT64 values (DELTA_BINARY_PACKED on close) and doubles' bits (PLAIN)
  std::vector<int64_t> ints_;
  std::vector<uint32_t> indices_;  // dictionary indices (dictionary mode)
  size_t undo_bytes_ = 0;          // the PLAIN size of the values in indices_
  int32_t page_rows_ = 0;

  // The chunk.
  bool use_dictionary_ = false;
  bool dictionary_used_ = false;  // some data page of this chunk is dictionary-encoded
  DictionaryBuilder dictionary_;
  int64_t chunk_values_ = 0;  // non-null values
  // Header and compressed body of each closed data page: a string apiece, so that
  // holding a row group's pages never copies them into a doubling buffer (which
  // for a moment takes three times their size).
  std::vector<std::string> pages_;
  std::string dictionary_page_;  // Finish's dictionary page
  bool finished_ = false;        // pages_ and dictionary_page_ hold a finished chunk
  bool plain_pages_ = false;
  bool delta_pages_ = false;
  ColumnChunkInfo info_;

  // Statistics of the chunk; doubles and integers are kept typed until Finish.
  bool has_minmax_ = false;
  bool no_minmax_ = false;  // a NaN, or a string too long to keep
  int64_t min_int_ = 0, max_int_ = 0;
  double min_double_ = 0, max_double_ = 0;
  std::string min_string_, max_string_;

  std::string header_;  // scratch: a page header
};

}  // namespace sluice::parquet

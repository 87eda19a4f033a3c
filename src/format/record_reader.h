// RecordReader: turns one decoded byte stream into TextBatches, one per call.
// Implementations: CsvReader (CSV and TSV, with dialect sniffing), JsonReader
// (one object or an array of objects), JsonlReader (one object per line),
// ParquetReader (flat Parquet files; random access, see parquet_reader.h).
//
// A record that cannot be read (ragged row, bad JSON line, invalid UTF-8) is
// reported to the RowErrorSink with its line and skipped; the reader goes on.
// Only damage that makes the rest of the stream unreadable (unterminated quote at
// end of input, a JSON document that is not an object or an array of objects,
// truncated compressed input) fails the read with InvalidData and a line number.
//
// Memory is bounded by the batch size (rows, and bytes counted with TextBatch::
// memory_bytes), max_columns and the longest record, never by the stream size.
//
// Thread-safety: none; one thread per reader.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/input_stream.h"
#include "core/row_error.h"
#include "core/status.h"
#include "core/table.h"
#include "core/text_batch.h"

namespace sluice {

enum class Format { kCsv, kTsv, kJson, kJsonl, kParquet };

// "csv", "tsv", "json", "jsonl", "parquet".
std::string_view FormatName(Format format);
// From a file name, ignoring a trailing .gz/.zst: .csv/.txt → csv, .tsv/.tab → tsv,
// .json → json, .jsonl/.ndjson → jsonl, .parquet/.parq/.pq → parquet. nullopt for
// anything else.
std::optional<Format> FormatFromPath(std::string_view path);

// The format announced by the stream's first bytes, read without consuming them
// (through random_access(); nullopt when the stream has none): "PAR1" → parquet.
// For files whose name says nothing (FormatFromPath gave nullopt).
std::optional<Format> FormatFromMagic(InputStream& input);

// CSV dialect. Unset fields are sniffed from the start of the stream.
struct CsvDialect {
  std::optional<char> delimiter;  // among , ; \t |
  std::optional<char> quote;      // " or '
  std::optional<bool> header;     // first record holds column names
};

// The default of max_columns: under PostgreSQL's limit of 1,600 columns a table
// (SQLite's is 2,000; ClickHouse has none), leaving room for the metadata
// columns and for columns that schema evolution adds later.
inline constexpr size_t kDefaultMaxColumns = 1500;

struct ReaderOptions {
  CsvDialect csv;
  size_t batch_rows = 8192;                    // rows per TextBatch at most
  size_t max_record_bytes = 64 * 1024 * 1024;  // longer records are row errors
  // A file with more columns (CSV fields of the header or first record, distinct
  // JSON keys) is unreadable: InvalidData. It bounds a batch's width, which a few
  // KiB of distinct keys would otherwise make thousands of columns.
  size_t max_columns = kDefaultMaxColumns;
  // When set and true, reading stops at the next buffer refill with Unavailable
  // ("stop requested"), however long the record being read: a shutdown never waits
  // for a file to be read to its end.
  const std::atomic<bool>* stop = nullptr;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Clears `out` and fills it with up to batch_rows rows, setting out.columns().
  // Returns the number of rows added; 0 means end of input. Bad records go to
  // `errors`. Errors: InvalidData (unreadable stream, message names the line; more
  // than max_columns columns), Unavailable (I/O; a stop was requested).
  virtual Result<size_t> ReadBatch(TextBatch& out, RowErrorSink& errors) = 0;
  // The dialect in use, once known (after the first ReadBatch); CSV/TSV only.
  virtual std::optional<CsvDialect> dialect() const { return std::nullopt; }
  // The type the file itself declares for each column (Parquet), after the first
  // ReadBatch; empty for formats without types. Inference takes these over the
  // text's guess, so a Parquet string of digits stays a string.
  virtual std::vector<std::optional<ColumnType>> declared_types() const { return {}; }
  // Columns (by index, true) whose cells the consumer takes from their typed
  // values (TextBatch::Typed) and reads as text only through TextBatch::CellText:
  // from the next batch on, the reader may leave them textless. Readers without
  // typed values ignore it.
  virtual void SetTextless(const std::vector<bool>& columns) { (void)columns; }
};

// Makes the reader for `format` over `input`. Errors: InvalidArgument for a bad
// option (e.g. an unsupported delimiter).
Result<std::unique_ptr<RecordReader>> OpenReader(Format format, std::unique_ptr<InputStream> input,
                                                 const ReaderOptions& options);

}  // namespace sluice

// CsvReader: the RecordReader for CSV and TSV (RFC 4180, see CsvScanner for the
// exact grammar), streaming through a 1 MiB buffer.
//
// Unset dialect fields are sniffed from the first 64 KiB (see csv_sniffer.h). The
// header's names are taken as they are (they must be valid UTF-8); without a
// header the columns are column_1..column_N, N being the first record's field
// count. As in PostgreSQL's COPY, an unquoted empty field is null and a quoted
// empty field ("") is the empty string. A UTF-8 byte order mark at the start and
// blank lines (even in a one-column file, where they could be nulls) are skipped.
//
// Row errors: a record whose field count differs from the column count, or that
// is longer than max_record_bytes (it is skipped up to its end without being
// held; its reported text is truncated). Stream errors: an unterminated quoted
// field at end of input (after the rows before it have been returned), a header
// that is not valid UTF-8, unterminated or too long.
//
// Each record's text is stored once in the batch arena and its cells point into
// it; only fields with doubled quotes are copied again, unescaped. Consecutive
// records are copied as one run (one copy per buffer's worth, not one per
// record): a record's spans are set from where its run will land, and the run is
// copied before anything else enters the arena, before the buffer moves, and
// before ReadBatch returns.
//
// Thread-safety: none; one thread per reader.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/csv_scanner.h"
#include "format/record_reader.h"
#include "format/stream_buffer.h"

namespace sluice {

class CsvReader final : public RecordReader {
 public:
  // Requires `options` as OpenReader accepts them (it checks them).
  CsvReader(std::unique_ptr<InputStream> input, const ReaderOptions& options);

  Result<size_t> ReadBatch(TextBatch& out, RowErrorSink& errors) override;
  std::optional<CsvDialect> dialect() const override { return dialect_; }

 private:
  // Sniffs the dialect and reads the header or names the columns.
  Status Start();
  // Reads rows into `out` until it is full or the input ends (ReadRun), then
  // copies the last run.
  Status ReadRows(TextBatch& out, RowErrorSink& errors);
  Status ReadRun(TextBatch& out, RowErrorSink& errors);
  // Adds the record at the front of the buffer to `out`, or reports it.
  void AddRecord(const CsvScanner::Scan& scan, TextBatch& out, RowErrorSink& errors);
  // Copies the run of added records (and the blank lines among them) into the arena.
  void FlushRun(TextBatch& out);
  // Consumes the rest of a too-long record. Sets skipping_ false at its end.
  // Errors: an unterminated quoted field, those of the stream.
  Status SkipTooLong();
  // The error for a quoted field left open by the record at line_.
  Status Unterminated() const;

  StreamBuffer buf_;
  ReaderOptions options_;
  std::optional<CsvDialect> dialect_;
  std::optional<CsvScanner> scanner_;
  std::vector<std::string> columns_;
  std::vector<CsvField> fields_;
  std::vector<Span> cells_;  // the record's cells for TextBatch::AddRow
  // The run not yet copied: buffer bytes [run_begin_, run_end_) go to the arena
  // at run_offset_; run_begin_ is null when there is none.
  const char* run_begin_ = nullptr;
  const char* run_end_ = nullptr;
  uint32_t run_offset_ = 0;
  uint64_t line_ = 1;  // where the record at the front of the buffer starts
  // A too-long record being skipped: where the skip is, and the lines it passed.
  bool skipping_ = false;
  CsvScanner::SkipState skip_state_ = CsvScanner::SkipState::kFieldStart;
  uint64_t skipped_lines_ = 0;
  Status error_;  // sticky once the stream is unreadable
};

}  // namespace sluice

// JsonlReader: the RecordReader for JSON Lines (one object per line, LF or CRLF).
// Cells follow JsonRowBuilder (json_row.h).
//
// Each line is parsed on its own, so a bad line costs only itself: a flat object
// of scalars (most lines) by ParseFlatLine (json_flat.h), which accepts only
// what simdjson accepts and gives the same values without building simdjson's
// DOM, and finds the line's end as it goes (no separate search for the LF); any
// other line, found by memchr, by one reused simdjson parser, which gives the
// verdict. A
// line that is not valid JSON, not an object, or longer than max_record_bytes
// (skipped without being held) is a row error with its line number, and reading
// goes on. Blank lines (only JSON whitespace) and a UTF-8 byte order mark at the
// start are skipped. The only stream errors are the InputStream's and more than
// max_columns distinct keys. (A CSV header too long fails the read; JSON Lines
// has none, so every line over the limit is only a row error.) The parser is
// replaced after a line over kLongJsonBytes, so that it does not keep that
// line's capacity.
//
// Thread-safety: none; one thread per reader.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string_view>
#include <vector>

#include "format/json_row.h"
#include "format/record_reader.h"
#include "format/stream_buffer.h"

namespace sluice {

class JsonlReader final : public RecordReader {
 public:
  // Requires `options` as OpenReader accepts them (it checks them).
  JsonlReader(std::unique_ptr<InputStream> input, const ReaderOptions& options);

  Result<size_t> ReadBatch(TextBatch& out, RowErrorSink& errors) override;
  void SetTextless(const std::vector<bool>& columns) override { rows_.SetTextless(columns); }

 private:
  Status ReadRows(TextBatch& out, RowErrorSink& errors);
  // Adds the line at the front of the buffer (`size` bytes buffered from `begin`)
  // to `out` if ParseFlatLine reads it whole, which finds its end too; sets
  // `added` then. Errors: those of JsonRowBuilder::AddRow.
  Status AddFlatLine(const char* begin, size_t size, TextBatch& out, bool& added);
  // Adds the line at the front of the buffer (without its LF) to `out`, or reports
  // it. Errors: those of JsonRowBuilder::AddRow.
  Status AddLine(std::string_view line, TextBatch& out, RowErrorSink& errors);

  StreamBuffer buf_;
  ReaderOptions options_;
  simdjson::dom::parser parser_;
  JsonRowBuilder rows_;
  std::vector<FlatField> fields_;  // of the line being read, reused
  uint64_t line_ = 1;              // line of the front of the buffer
  size_t searched_ = 0;            // bytes of that line known to hold no LF
  bool skipping_ = false;          // the line at the front is too long and already reported
  Status error_;                   // sticky once the stream fails
};

}  // namespace sluice

// JsonReader: the RecordReader for a JSON document that is one object (one row)
// or an array of objects (a row each; an empty array has none). Cells follow
// JsonRowBuilder (json_row.h).
//
// A huge array is never held whole: a small splitter walks the stream, checks
// the syntax between the elements itself (whitespace, commas, the brackets,
// nothing after the document) and hands each element to simdjson, which
// validates it fully (UTF-8 included); an element that is a flat object of
// scalars is read by ParseFlatObject instead (json_flat.h: only what simdjson
// accepts, with the same values). So memory is bounded by the block size
// and the largest element.
//
// Row errors: an array element that is valid JSON but not an object; an element
// longer than max_record_bytes (skipped unparsed up to its end, never held). A
// document that is one object is one record: longer than max_record_bytes, it
// fails the read (InvalidData) as soon as that is known. Stream errors
// (InvalidData, "line N: ..." where N is the line of the damage or of the element
// that holds it), after the rows before them have been returned: any syntax
// error, invalid UTF-8, truncated input, an empty document, and a top-level
// value that is not an object or an array.
//
// Thread-safety: none; one thread per reader.
#pragma once

#include <simdjson.h>

#include <memory>
#include <vector>

#include "format/json_row.h"
#include "format/record_reader.h"
#include "format/stream_buffer.h"

namespace sluice {

class JsonReader final : public RecordReader {
 public:
  // Requires `options` as OpenReader accepts them (it checks them).
  JsonReader(std::unique_ptr<InputStream> input, const ReaderOptions& options);

  Result<size_t> ReadBatch(TextBatch& out, RowErrorSink& errors) override;
  void SetTextless(const std::vector<bool>& columns) override { rows_.SetTextless(columns); }

 private:
  // What the document allows next.
  enum class Expect : uint8_t {
    kDocument,      // the top-level value
    kFirstElement,  // after '[': an element or ']'
    kElement,       // after ',': an element
    kCommaOrEnd,    // after an element: ',' or ']'
    kNothing,       // after the top-level value: only whitespace
    kDone,
  };

  Status ReadRows(TextBatch& out, RowErrorSink& errors);
  // Skips whitespace; returns the next byte, or kEndOfInput.
  Result<int> NextToken();
  // Reads the element that starts at the front of the buffer into `out`.
  Status ReadElement(TextBatch& out, RowErrorSink& errors);
  Status Error(std::string_view what) const;
  // The error for a top-level object (the whole document) starting at `line` that
  // is longer than max_record_bytes: it cannot be read in parts.
  Status DocumentTooLong(uint64_t line) const;

  static constexpr int kEndOfInput = -1;

  StreamBuffer buf_;
  ReaderOptions options_;
  simdjson::dom::parser parser_;
  JsonRowBuilder rows_;
  std::vector<FlatField> fields_;  // of the element being read, reused
  Expect expect_ = Expect::kDocument;
  uint64_t line_ = 1;  // line of the front of the buffer
  Status error_;       // sticky once the stream is unreadable
};

}  // namespace sluice

// JsonRowBuilder: turns parsed JSON objects into TextBatch rows, for JsonReader
// and JsonlReader.
//
// Keys become columns (the unescaped key bytes, in order of first appearance in
// the stream; a batch has every column seen in earlier batches too). A key
// repeated in one object keeps its last value. Values: a string is its unescaped
// UTF-8; an integer its decimal text; a float the shortest text that reads back
// the same double; true/false as such; null a null cell; an array or object its
// minified JSON text. Integers that fit int64, doubles and booleans are typed
// values too, beside their text (TextBatch::SetCellInt), so that the Validator
// need not parse back the text made here. Columns the consumer reads typed
// (SetTextless) leave those cells textless: the text is made only if asked for
// (TextBatch::CellText), which saves formatting most numbers.
//
// At most max_columns distinct keys: the key past them fails the read
// (InvalidData), so that a file cannot make a batch arbitrarily wide. Keys are
// found through a hash index, so n distinct keys cost O(n).
//
// Thread-safety: none; one reader at a time (FormatDouble: any thread).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/text_batch.h"
#include "format/json_flat.h"
#include "format/stream_buffer.h"

namespace sluice {

// JSON readers hand simdjson bytes inside a StreamBuffer without copying them.
static_assert(StreamBuffer::kPadding >= simdjson::SIMDJSON_PADDING);

// Writes the text std::to_chars(first, last, value) writes (the shortest that
// reads back as `value`, fixed notation unless scientific is shorter) and returns
// its end. Requires last - first >= 32. Most decimals from JSON take a fast path
// (at most 15 significant digits, magnitude in [0.1, 1e15)): one division instead
// of the general shortest-digits search, which was a fifth of reading a JSONL
// file of sensor readings.
char* FormatDouble(double value, char* first, char* last);

// A JSON record (line, element) longer than this has its simdjson parser replaced
// after it: a parser keeps the capacity of the longest record it parsed (about
// 14 bytes per byte of record) for the rest of the stream.
inline constexpr size_t kLongJsonBytes = 1 << 20;

class JsonRowBuilder {
 public:
  explicit JsonRowBuilder(size_t max_columns) : max_columns_(max_columns) {}

  // Columns (by index, true) whose typed cells may be textless from the next
  // batch on (RecordReader::SetTextless).
  void SetTextless(const std::vector<bool>& columns) { textless_ = columns; }

  // Clears `out` and gives it the columns of the earlier batches. A batch that held
  // more than twice kBatchArenaBytes (a few long records) is replaced rather than
  // cleared, so that its arena's capacity does not outlive them.
  void StartBatch(TextBatch& out);
  // Appends `object` as a row of `out`; `raw` is its source text, `line` and
  // `offset` where it starts. Requires StartBatch(out) for this batch.
  // Errors: InvalidData when a key would be column max_columns + 1 (the row is
  // dropped).
  Status AddRow(simdjson::dom::object object, std::string_view raw, uint64_t line, uint64_t offset,
                TextBatch& out);
  // The same for an object ParseFlatObject read from `raw` (json_flat.h), with
  // the cells the simdjson object of the same text gives; its string cells point
  // into the row's raw text instead of being copied. Fields marked expected must
  // have been parsed with keys() as they were after the previous AddRow.
  Status AddRow(const std::vector<FlatField>& fields, std::string_view raw, uint64_t line,
                uint64_t offset, TextBatch& out);

  // The keys by position of the previous object, for ParseFlatObject: a field it
  // marks expected takes that position's column without a lookup.
  const FlatKeys& keys() const { return keys_; }

 private:
  // The column of `key`, added if new; kTooMany past max_columns_.
  static constexpr size_t kTooMany = static_cast<size_t>(-1);
  size_t ColumnFor(size_t position, std::string_view key, TextBatch& out) {
    if (position < position_columns_.size()) {
      const size_t guess = position_columns_[position];
      if (guess < columns_.size() && SameKey(columns_[guess], key)) return guess;
    }
    return FindColumn(position, key, out);
  }
  // ColumnFor when the key is not the one at `position` in the previous object.
  size_t FindColumn(size_t position, std::string_view key, TextBatch& out);
  // Keys are short: a byte loop inline is cheaper than a call to memcmp.
  static bool SameKey(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.size() > 16) return a == b;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  // Starts the row of `raw` in `out`, its raw text copied to the arena.
  void StartRow(std::string_view raw, uint64_t line, uint64_t offset, TextBatch& out);
  // Drops the row being built; the error for `key`, one past max_columns.
  Status TooManyKeys(std::string_view key, uint64_t line, TextBatch& out) const;
  // The cell of a string value of the row being built: long strings (at least
  // kSharedStringBytes) found verbatim in the row's raw text point into it rather
  // than being stored twice, which halves the batch of a file of long values.
  static constexpr size_t kSharedStringBytes = 4096;
  static constexpr size_t kNoSharing = static_cast<size_t>(-1);
  Span StringCell(std::string_view text, TextBatch& out);
  // Sets the cell of `column` in the row being built: its text, and for an integer
  // that fits int64, a finite double that is not subnormal, or a boolean, its
  // typed value too (TextBatch::SetTypedPerCell).
  void SetValue(size_t column, simdjson::dom::element value, TextBatch& out);
  // SetValue's cell for a value of `kind` (kText: a subnormal double, text only)
  // given as `typed` (a double as its bits).
  void SetScalar(size_t column, TypedKind kind, int64_t typed, TextBatch& out);
  // SetScalar for a value of a typed kind (not kText), with the usual case inline:
  // a column already made textless in this batch.
  void SetTypedScalar(size_t column, TypedKind kind, int64_t typed, TextBatch& out) {
    if (out.Textless(column)) {
      out.SetCell(column, out.SpanFrom(out.Mark()));  // empty, not null
      out.SetCellInt(column, kind, typed);
      return;
    }
    SetScalar(column, kind, typed, out);
  }

  // The text of a textless cell, as SetValue would have made it. Stateless: one
  // instance for the process (kCellText in json_row.cc), so a batch's textless
  // cells keep their text after the reader that read them is gone.
  class CellText final : public TypedText {
   public:
    void Append(const TypedCells& cells, size_t row, std::string& out) const override;
  };
  static const CellText kCellText;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  size_t max_columns_;
  Span raw_;  // the raw text of the row being built
  // Bytes of raw_ before which no later string value is searched, or kNoSharing.
  size_t shared_end_ = 0;
  std::vector<std::string> columns_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> index_;
  // The column of the key at each position of the previous object: objects in a
  // file usually repeat their keys in order, so this avoids searching the names.
  std::vector<size_t> position_columns_;
  // The name of each position_columns_ entry, for the first kExpectedKeyPositions
  // positions: a key costs about 40 bytes there, which a line of a million
  // repeated keys should not multiply (it reads as before past them).
  static constexpr size_t kExpectedKeyPositions = 4096;
  FlatKeys keys_;
  // Minified nested values are built here; simdjson::minify does the same but
  // returns a new string for each value.
  simdjson::internal::string_builder<> nested_;
  std::vector<bool> textless_;
};

}  // namespace sluice

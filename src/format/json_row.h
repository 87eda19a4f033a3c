// JsonRowBuilder: turns parsed JSON objects into TextBatch rows, for JsonReader
// and JsonlReader.
//
// Keys become columns (the unescaped key bytes, in order of first appearance in
// the stream; a batch has every column seen in earlier batches too). A key
// repeated in one object keeps its last value. Values: a string is its unescaped
// UTF-8; an integer its decimal text; a float the shortest text that reads back
// the same double; true/false as such; null a null cell; an array or object its
// minified JSON text.
//
// Thread-safety: none; one reader at a time.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/text_batch.h"
#include "format/stream_buffer.h"

namespace sluice {

// JSON readers hand simdjson bytes inside a StreamBuffer without copying them.
static_assert(StreamBuffer::kPadding >= simdjson::SIMDJSON_PADDING);

class JsonRowBuilder {
 public:
  // Clears `out` and gives it the columns of the earlier batches.
  void StartBatch(TextBatch& out);
  // Appends `object` as a row of `out`; `raw` is its source text, `line` and
  // `offset` where it starts. Requires StartBatch(out) for this batch.
  void AddRow(simdjson::dom::object object, std::string_view raw, uint64_t line, uint64_t offset,
              TextBatch& out);

 private:
  size_t ColumnFor(size_t position, std::string_view key, TextBatch& out);
  Span Text(simdjson::dom::element value, TextBatch& out);

  std::vector<std::string> columns_;
  // The column of the key at each position of the previous object: objects in a
  // file usually repeat their keys in order, so this avoids searching the names.
  std::vector<size_t> position_columns_;
  // Minified nested values are built here; simdjson::minify does the same but
  // returns a new string for each value.
  simdjson::internal::string_builder<> nested_;
};

}  // namespace sluice

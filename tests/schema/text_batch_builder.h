// Builds TextBatches for schema tests the way a CSV reader would: line numbers
// from 2 (after a header), byte offsets of each record, the record's raw text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/text_batch.h"

namespace sluice::testing {

// A cell's text, or nullopt for a null cell.
using Cell = std::optional<std::string>;
using Row = std::vector<Cell>;

inline std::string JoinCells(const Row& row) {
  std::string raw;
  for (size_t c = 0; c < row.size(); ++c) {
    if (c > 0) raw += ',';
    if (row[c]) raw += *row[c];
  }
  return raw;
}

// Row i starts on line i + 2 at the offset it would have in "header\nrow\nrow...".
// With keep_raw false the rows have no raw text (as some readers do).
inline TextBatch MakeBatch(std::vector<std::string> columns, const std::vector<Row>& rows,
                           bool keep_raw = true) {
  TextBatch batch;
  uint64_t offset = 0;
  for (const std::string& name : columns) offset += name.size() + 1;
  batch.SetColumns(std::move(columns));
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string raw = JoinCells(rows[r]);
    batch.StartRow(r + 2, offset, keep_raw ? batch.Append(raw) : kNullSpan);
    for (size_t c = 0; c < rows[r].size(); ++c) {
      if (rows[r][c]) batch.SetCell(c, batch.Append(*rows[r][c]));
    }
    batch.FinishRow();
    offset += raw.size() + 1;
  }
  return batch;
}

}  // namespace sluice::testing

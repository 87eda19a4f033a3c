// Test helpers for the format readers: drain a reader into plain values that
// tests can compare.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "format/record_reader.h"
#include "test_util.h"

namespace sluice::testing {

using Cell = std::optional<std::string>;  // nullopt: a null cell
using Row = std::vector<Cell>;

struct ReadOutcome {
  std::vector<std::string> columns;  // of the last ReadBatch
  std::vector<Row> rows;  // cells in `columns` order; null where a batch lacked the column
  std::vector<uint64_t> lines;
  std::vector<uint64_t> offsets;
  std::vector<std::string> raws;
  std::vector<size_t> batch_sizes;
  std::vector<RowError> errors;
  Status status;  // the error that ended the read, or OK
  std::optional<CsvDialect> dialect;

  bool operator==(const ReadOutcome& o) const {
    auto same_errors = [&] {
      if (errors.size() != o.errors.size()) return false;
      for (size_t i = 0; i < errors.size(); ++i) {
        const RowError& a = errors[i];
        const RowError& b = o.errors[i];
        if (a.line != b.line || a.byte_offset != b.byte_offset || a.raw != b.raw ||
            a.message != b.message || a.column != b.column || a.kind != b.kind ||
            a.hint != b.hint) {
          return false;
        }
      }
      return true;
    };
    auto same_dialect = [&] {
      if (dialect.has_value() != o.dialect.has_value()) return false;
      return !dialect ||
             (dialect->delimiter == o.dialect->delimiter && dialect->quote == o.dialect->quote &&
              dialect->header == o.dialect->header);
    };
    return columns == o.columns && rows == o.rows && lines == o.lines && offsets == o.offsets &&
           raws == o.raws && batch_sizes == o.batch_sizes &&
           status.ToString() == o.status.ToString() && same_errors() && same_dialect();
  }
};

inline void PrintTo(const ReadOutcome& o, std::ostream* os) {
  *os << "{status: " << o.status.ToString() << ", columns: " << ::testing::PrintToString(o.columns)
      << ", rows: " << ::testing::PrintToString(o.rows)
      << ", lines: " << ::testing::PrintToString(o.lines) << ", errors: [";
  for (const RowError& e : o.errors)
    *os << e.line << "@" << e.byte_offset << " " << e.message << "; ";
  *os << "]}";
}

// Reads `reader` to its end or its first error.
inline ReadOutcome ReadAll(RecordReader& reader) {
  ReadOutcome out;
  TextBatch batch;
  CollectingErrors errors;
  for (;;) {
    Result<size_t> n = reader.ReadBatch(batch, errors);
    if (!n.has_value()) {
      out.status = n.error();
      break;
    }
    EXPECT_EQ(*n, batch.rows());
    out.columns = batch.columns();
    if (*n == 0) break;
    out.batch_sizes.push_back(*n);
    for (size_t r = 0; r < batch.rows(); ++r) {
      Row row;
      for (size_t c = 0; c < batch.columns().size(); ++c) {
        row.push_back(batch.IsNull(r, c) ? Cell() : Cell(std::string(batch.Cell(r, c))));
      }
      out.rows.push_back(std::move(row));
      out.lines.push_back(batch.Line(r));
      out.offsets.push_back(batch.Offset(r));
      out.raws.emplace_back(batch.Raw(r));
    }
  }
  for (Row& row : out.rows) row.resize(out.columns.size());
  out.errors = std::move(errors.errors);
  out.dialect = reader.dialect();
  return out;
}

// Reads `data` as `format`, served `chunk` bytes per Read.
inline ReadOutcome ReadString(Format format, std::string data, size_t chunk = 1 << 20,
                              const ReaderOptions& options = {}) {
  Result<std::unique_ptr<RecordReader>> reader =
      OpenReader(format, StringInput(std::move(data), chunk), options);
  EXPECT_TRUE(reader.has_value()) << reader.status().ToString();
  if (!reader.has_value()) return {};
  return ReadAll(**reader);
}

}  // namespace sluice::testing

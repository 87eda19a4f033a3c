// Batch: typed columnar rows ready for a sink, produced by validation from a
// TextBatch. String values are views into the TextBatch they came from (or into
// storage the producer keeps alive), so a Batch is valid only while its source is.
// Batches are reused: Clear() keeps capacity.
//
// Thread-safety: none; one owner at a time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/table.h"

namespace sluice {

struct Column {
  ColumnDef def;
  std::vector<int64_t> ints;              // kInteger, kBoolean, kDate, kTimestamp
  std::vector<double> floats;             // kFloat
  std::vector<std::string_view> strings;  // kString
  std::vector<uint8_t> nulls;             // 1 = null; always one entry per row

  bool IsNull(size_t row) const { return nulls[row] != 0; }
  void Clear() {
    ints.clear();
    floats.clear();
    strings.clear();
    nulls.clear();
  }
  // Appends a null of this column's type (a zero in the value vector keeps rows aligned).
  void AppendNull();
  // Appends `n` nulls, as `n` AppendNull calls do.
  void AppendNulls(size_t n);
  void AppendInt(int64_t v) {
    ints.push_back(v);
    nulls.push_back(0);
  }
  void AppendFloat(double v) {
    floats.push_back(v);
    nulls.push_back(0);
  }
  void AppendString(std::string_view v) {
    strings.push_back(v);
    nulls.push_back(0);
  }
  // Appends `n` rows, each a non-null zero (empty string) of the column's type,
  // and returns the index of the first: a producer that knows its row count
  // writes them in place with Set* and SetNull, without a check per value.
  size_t Grow(size_t n);
  void SetInt(size_t row, int64_t v) { ints[row] = v; }
  void SetFloat(size_t row, double v) { floats[row] = v; }
  void SetString(size_t row, std::string_view v) { strings[row] = v; }
  // Makes a row of Grow null (its value, if set, back to zero).
  void SetNull(size_t row);
  // Appends row `row` of `from` (value or null), a column of the same type; a
  // string stays a view of `from`'s bytes.
  void AppendFrom(const Column& from, size_t row);
};

class Batch {
 public:
  // Sets the columns (types and names) and clears the rows.
  void Reset(const std::vector<ColumnDef>& defs);
  // Removes the rows; keeps columns and capacity.
  void Clear();

  std::vector<Column>& columns() { return columns_; }
  const std::vector<Column>& columns() const { return columns_; }
  size_t rows() const { return lines_.size(); }
  // Source line of each row (for error messages from sinks).
  uint64_t Line(size_t row) const { return lines_[row]; }
  // The source lines of all rows, in order.
  const std::vector<uint64_t>& lines() const { return lines_; }
  // Call once per row after appending one value to every column.
  void FinishRow(uint64_t line) { lines_.push_back(line); }
  // Keeps the rows whose `keep` entry (one per row) is non-zero, in order.
  void KeepRows(const std::vector<uint8_t>& keep);

 private:
  std::vector<Column> columns_;
  std::vector<uint64_t> lines_;
};

}  // namespace sluice

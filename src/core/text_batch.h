// TextBatch: rows as read from a file, before typing. Columnar: cell (row, column)
// is a span of bytes in one per-batch arena, or null (absent in the record).
//
// Readers build rows with StartRow / SetCell / FinishRow (or DropRow for a row
// that turned out bad), or add a whole row at once (AddRow). Bytes enter the arena through Append,
// so a reader can store a record's raw text once and point its unquoted cells into it; only cells
// that need unescaping are stored again. Clear() keeps capacity, so a batch is
// reused between reads without per-row allocation.
//
// A reader whose file has typed values (Parquet) may also give a column's values
// in a typed Batch's representation (core/table.h) beside their text, with
// SetTyped then SetTypedInt / SetTypedFloat per row: the Validator then skips
// parsing the text back. The text stays the truth: a typed value must be exactly
// what parsing its cell's text gives, and a column whose cells are rewritten
// (ReplaceCell) or a batch that is cleared loses its typed values.
//
// A typed column may also be textless: its non-null cells have no bytes (Cell is
// empty), and CellText makes a cell's text on demand (TypedText, the reader's own
// formatting). A reader makes a column textless only when its consumer asked
// (RecordReader::SetTextless), i.e. reads the typed values and only ever the
// text of cells through CellText.
//
// A column may instead be typed cell by cell (SetTypedPerCell; JSON, where a
// key's values differ from row to row): each row says whether it has a typed
// value, and which (TypedKind), beside its text. Textless, only its typed cells
// lack bytes (their Span is empty, not null): cells without a typed value keep
// their text, which CellText returns as it is.
//
// A string column may instead come from a dictionary (SetDictionary; Parquet's
// dictionary pages): its distinct values are spans in the arena (`entries`) and
// each row says which entry its cell is, so that a consumer checks a value once
// per entry rather than once per cell.
//
// Thread-safety: none; one owner at a time.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/table.h"

namespace sluice {

// A byte range in a TextBatch arena. size == kNullSpan.size marks a null cell.
struct Span {
  uint32_t offset = 0;
  uint32_t size = std::numeric_limits<uint32_t>::max();
  bool is_null() const { return size == std::numeric_limits<uint32_t>::max(); }
};
inline constexpr Span kNullSpan{};

struct TypedCells;

// The typed value a cell of a per-cell typed column has, if any.
enum class TypedKind : uint8_t { kText, kInteger, kFloat, kBoolean };

// Makes the text of a textless cell: exactly the text the reader would have given.
// A batch keeps a pointer to it: it must outlive every CellText call on the
// batch (Parquet's belongs to its reader, JSON's is one for the process).
class TypedText {
 public:
  virtual ~TypedText() = default;
  virtual void Append(const TypedCells& cells, size_t row, std::string& out) const = 0;
};

// A column's typed values, row for row with its cells; a null cell's value is 0.
// kInteger, kBoolean, kDate and kTimestamp use `ints`, kFloat `floats`.
// A per-cell typed column (per_cell) has a kind per row in `kinds` and its
// values in `ints` only (a kFloat value as the bits of its double, Float(row)),
// so that a row costs two appends, whatever its kind.
// A dictionary column (type kString, not per_cell; TextBatch::SetDictionary) has
// in `ints` per non-null cell the index into `entries` of the span the cell is
// (exactly: same offset and size), or -1 for a cell that is no entry.
struct TypedCells {
  ColumnType type;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  const TypedText* text = nullptr;  // set when the column is textless
  bool per_cell = false;
  std::vector<TypedKind> kinds;
  std::vector<Span> entries;  // a dictionary column's values
  double Float(size_t row) const { return std::bit_cast<double>(ints[row]); }
};

class TextBatch {
 public:
  // Removes all rows and arena bytes; keeps the column names and capacity.
  void Clear();
  // Removes everything including column names.
  void Reset();

  // Column names in record order. Readers set them with SetColumns (CSV header) or
  // grow them with FindOrAddColumn (JSON keys); a column added mid-batch is null in
  // earlier rows.
  const std::vector<std::string>& columns() const { return columns_; }
  void SetColumns(std::vector<std::string> names);
  size_t FindOrAddColumn(std::string_view name);
  // Appends a column the caller knows to be new (it keeps its own index of the
  // names, so that adding n columns costs O(n)); returns its index.
  size_t AddColumn(std::string_view name);

  // Copies `bytes` into the arena and returns where they are. Spans stay valid until
  // Clear(); arena growth does not move them (they are offsets).
  Span Append(std::string_view bytes);
  // Appends to the arena without returning a span; pair with Mark() to build a cell
  // from pieces (unescaping). Returns the arena size before the append.
  uint32_t Mark() const { return static_cast<uint32_t>(arena_.size()); }
  void AppendRaw(std::string_view bytes) { arena_.append(bytes); }
  void AppendRaw(char c) { arena_.push_back(c); }
  Span SpanFrom(uint32_t mark) const {
    return Span{mark, static_cast<uint32_t>(arena_.size()) - mark};
  }

  // Starts a row with every cell null. `line` is the 1-based line where the record
  // starts, `offset` its byte offset in the decoded stream, `raw` its original text
  // (a span returned by Append, or kNullSpan).
  void StartRow(uint64_t line, uint64_t offset, Span raw);
  // Sets a cell of the row being built; requires column < columns().size().
  void SetCell(size_t column, Span value) { cells_[column].back() = value; }
  // The cell of a finished row, and replacing it (value normalisation rewrites
  // cells in place; a replacement's bytes come from Append).
  Span CellSpan(size_t row, size_t column) const { return cells_[column][row]; }
  void ReplaceCell(size_t row, size_t column, Span value) {
    cells_[column][row] = value;
    if (column < typed_.size()) typed_[column] = -1;
  }

  // Declares that `column` (with no row yet in this batch) carries typed values of
  // `type` (not kString: see SetDictionary); textless when `text` is given (it must outlive the
  // batch's rows). Clear() undoes it.
  void SetTyped(size_t column, ColumnType type, const TypedText* text = nullptr);
  // Declares that string `column` (with no row yet in this batch) is a dictionary
  // column (see TypedCells), with no entry yet; the reader adds entries
  // (MutableEntries) and fills each row's index (MutableInts). Clear() undoes it.
  void SetDictionary(size_t column) { SetTyped(column, ColumnType::kString); }
  std::vector<Span>& MutableEntries(size_t column) { return typed_cells_[typed_[column]].entries; }
  // The typed value of the row being built; the column must be typed (ints or floats).
  void SetTypedInt(size_t column, int64_t v) { typed_cells_[typed_[column]].ints.back() = v; }
  void SetTypedFloat(size_t column, double v) { typed_cells_[typed_[column]].floats.back() = v; }
  // Makes `column` typed cell by cell (see TypedCells), with the rows so far
  // (the one being built included) text only; textless when `text` is given.
  // Clear() undoes it.
  void SetTypedPerCell(size_t column, const TypedText* text = nullptr);
  // The typed value of the row being built in a per-cell typed column; its text
  // must be set too (SetCell: an empty span when textless) and be what parsing
  // it as `kind` gives back.
  void SetCellInt(size_t column, TypedKind kind, int64_t v) {
    TypedCells& cells = typed_cells_[typed_[column]];
    cells.kinds.back() = kind;
    cells.ints.back() = v;
  }
  void SetCellFloat(size_t column, double v) {
    SetCellInt(column, TypedKind::kFloat, std::bit_cast<int64_t>(v));
  }
  // True when the column's non-null cells have no bytes: read them with CellText.
  bool Textless(size_t column) const {
    const TypedCells* typed = Typed(column);
    return typed != nullptr && typed->text != nullptr;
  }
  // The cell's text, made in `scratch` for a textless cell (the view is valid
  // until `scratch` changes or the batch is cleared); empty for a null cell.
  std::string_view CellText(size_t row, size_t column, std::string& scratch) const;
  // The column's typed values, or null when it has text only.
  const TypedCells* Typed(size_t column) const {
    return column < typed_.size() && typed_[column] >= 0 ? &typed_cells_[typed_[column]] : nullptr;
  }
  void FinishRow() { ++rows_; }
  // StartRow, SetCell for every column and FinishRow in one: `cells` holds a span
  // per column (kNullSpan for a null). No row may be in progress.
  void AddRow(uint64_t line, uint64_t offset, Span raw, const Span* cells);
  // Appends `n` finished rows at once (no row may be in progress), lines
  // `first_line`, `first_line` + 1, ..., offset 0, no raw text, every cell null and
  // every typed value 0: a reader that decodes whole columns (Parquet) then fills
  // them through MutableCells / MutableInts / MutableFloats.
  void AppendRows(size_t n, uint64_t first_line);
  Span* MutableCells(size_t column) { return cells_[column].data(); }
  // The column's cells, row by row (for a column-wise pass over them).
  const Span* Cells(size_t column) const { return cells_[column].data(); }
  // Removes the finished rows at the indices `rows` (ascending, no repeats); their
  // arena bytes stay until Clear.
  void RemoveRows(const std::vector<size_t>& rows);
  int64_t* MutableInts(size_t column) { return typed_cells_[typed_[column]].ints.data(); }
  double* MutableFloats(size_t column) { return typed_cells_[typed_[column]].floats.data(); }
  // Discards the row being built (its arena bytes stay until Clear).
  void DropRow();

  size_t rows() const { return rows_; }
  size_t arena_bytes() const { return arena_.size(); }
  // What the rows occupy: the arena plus, per row, a Span for every column (null
  // or not) and its line, offset and raw text. Readers bound this, not only the
  // arena, so that a batch of many sparse columns (JSON with thousands of keys)
  // is cut as early as one of long values. The per-row vectors grow by doubling,
  // so they are counted at the capacity that holds the rows and the next one (a
  // power of two): a reader checks this before each row, and a batch of thousands
  // of columns cut by it then has cell vectors of about the bound, not up to
  // twice it. A batch whose 8192 rows (the default) fitted the bound still does.
  size_t memory_bytes() const {
    return arena_.size() + std::bit_ceil(lines_.size() + 1) * (columns_.size() * sizeof(Span) +
                                                               2 * sizeof(uint64_t) + sizeof(Span));
  }
  bool IsNull(size_t row, size_t column) const { return cells_[column][row].is_null(); }
  // The cell's bytes; empty for a null cell.
  std::string_view Cell(size_t row, size_t column) const { return View(cells_[column][row]); }
  uint64_t Line(size_t row) const { return lines_[row]; }
  uint64_t Offset(size_t row) const { return offsets_[row]; }
  // The record's original text, or empty when the reader did not keep it.
  std::string_view Raw(size_t row) const { return View(raws_[row]); }
  std::string_view View(Span s) const {
    return s.is_null() ? std::string_view() : std::string_view(arena_.data() + s.offset, s.size);
  }

 private:
  // Appends a zero typed value (or kind) for a new row to every typed column.
  void PushTypedZeros();

  std::vector<std::string> columns_;
  std::vector<std::vector<Span>> cells_;  // [column][row]; the last entry may be a row in progress
  std::vector<uint64_t> lines_;
  std::vector<uint64_t> offsets_;
  std::vector<Span> raws_;
  std::string arena_;
  size_t rows_ = 0;
  // Per column: index into typed_cells_, or -1; empty while no column is typed.
  std::vector<int> typed_;
  std::vector<TypedCells> typed_cells_;  // reused between batches
  size_t typed_count_ = 0;               // entries of typed_cells_ in use
};

}  // namespace sluice

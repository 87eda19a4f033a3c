#include "core/text_batch.h"

namespace sluice {

void TextBatch::Clear() {
  for (auto& c : cells_) c.clear();
  lines_.clear();
  offsets_.clear();
  raws_.clear();
  arena_.clear();
  rows_ = 0;
  typed_.clear();
  typed_count_ = 0;
}

void TextBatch::Reset() {
  Clear();
  columns_.clear();
  cells_.clear();
}

std::string_view TextBatch::CellText(size_t row, size_t column, std::string& scratch) const {
  const Span span = cells_[column][row];
  if (span.is_null() || !Textless(column)) return View(span);
  const TypedCells& typed = *Typed(column);
  if (typed.per_cell && typed.kinds[row] == TypedKind::kText) return View(span);
  scratch.clear();
  typed.text->Append(typed, row, scratch);
  return scratch;
}

void TextBatch::SetTyped(size_t column, ColumnType type, const TypedText* text) {
  if (typed_.size() < columns_.size()) typed_.resize(columns_.size(), -1);
  if (typed_count_ == typed_cells_.size()) typed_cells_.emplace_back();
  TypedCells& cells = typed_cells_[typed_count_];
  cells.type = type;
  cells.text = text;
  cells.per_cell = false;
  cells.ints.clear();
  cells.floats.clear();
  cells.kinds.clear();
  cells.entries.clear();
  typed_[column] = static_cast<int>(typed_count_++);
}

void TextBatch::SetTypedPerCell(size_t column, const TypedText* text) {
  SetTyped(column, ColumnType::kString, text);
  TypedCells& cells = typed_cells_[typed_[column]];
  cells.per_cell = true;
  cells.kinds.assign(lines_.size(), TypedKind::kText);
  cells.ints.assign(lines_.size(), 0);
}

void TextBatch::SetColumns(std::vector<std::string> names) {
  columns_ = std::move(names);
  cells_.resize(columns_.size());
  typed_.clear();
  typed_count_ = 0;
}

size_t TextBatch::FindOrAddColumn(std::string_view name) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return i;
  }
  return AddColumn(name);
}

size_t TextBatch::AddColumn(std::string_view name) {
  columns_.emplace_back(name);
  // Earlier rows (and the row in progress) have no value for the new column.
  cells_.emplace_back(lines_.size(), kNullSpan);
  return columns_.size() - 1;
}

Span TextBatch::Append(std::string_view bytes) {
  uint32_t mark = Mark();
  arena_.append(bytes);
  return SpanFrom(mark);
}

void TextBatch::StartRow(uint64_t line, uint64_t offset, Span raw) {
  for (auto& c : cells_) c.push_back(kNullSpan);
  PushTypedZeros();
  lines_.push_back(line);
  offsets_.push_back(offset);
  raws_.push_back(raw);
}

void TextBatch::AddRow(uint64_t line, uint64_t offset, Span raw, const Span* cells) {
  for (size_t c = 0; c < cells_.size(); ++c) cells_[c].push_back(cells[c]);
  if (typed_count_ > 0) PushTypedZeros();
  lines_.push_back(line);
  offsets_.push_back(offset);
  raws_.push_back(raw);
  ++rows_;
}

void TextBatch::PushTypedZeros() {
  for (size_t t = 0; t < typed_count_; ++t) {
    TypedCells& cells = typed_cells_[t];
    if (cells.per_cell) {
      cells.kinds.push_back(TypedKind::kText);
      cells.ints.push_back(0);
    } else if (cells.type == ColumnType::kFloat) {
      cells.floats.push_back(0);
    } else {
      cells.ints.push_back(0);
    }
  }
}

void TextBatch::AppendRows(size_t n, uint64_t first_line) {
  const size_t first = lines_.size();
  const size_t rows = first + n;
  for (auto& c : cells_) c.resize(rows);  // a Span is null until set
  for (size_t t = 0; t < typed_count_; ++t) {
    TypedCells& cells = typed_cells_[t];
    if (cells.type == ColumnType::kFloat) {
      cells.floats.resize(rows);
    } else {
      cells.ints.resize(rows);
    }
  }
  lines_.resize(rows);
  for (size_t i = 0; i < n; ++i) lines_[first + i] = first_line + i;
  offsets_.resize(rows);
  raws_.resize(rows);
  rows_ = rows;
}

namespace {

// Erases the entries at `rows` (ascending) from `v`, keeping the others' order.
template <typename T>
void EraseAt(std::vector<T>& v, const std::vector<size_t>& rows) {
  size_t to = rows.empty() ? v.size() : rows.front();
  for (size_t r = 0; r < rows.size(); ++r) {
    const size_t from = rows[r] + 1;
    const size_t until = r + 1 < rows.size() ? rows[r + 1] : v.size();
    for (size_t i = from; i < until; ++i) v[to++] = v[i];
  }
  v.resize(to);
}

}  // namespace

void TextBatch::RemoveRows(const std::vector<size_t>& rows) {
  if (rows.empty()) return;
  for (auto& c : cells_) EraseAt(c, rows);
  for (size_t t = 0; t < typed_count_; ++t) {
    TypedCells& cells = typed_cells_[t];
    if (cells.type == ColumnType::kFloat) {
      EraseAt(cells.floats, rows);
    } else {
      EraseAt(cells.ints, rows);
    }
  }
  EraseAt(lines_, rows);
  EraseAt(offsets_, rows);
  EraseAt(raws_, rows);
  rows_ -= rows.size();
}

void TextBatch::DropRow() {
  if (lines_.size() == rows_) return;  // no row in progress
  for (auto& c : cells_) c.pop_back();
  for (size_t t = 0; t < typed_count_; ++t) {
    TypedCells& cells = typed_cells_[t];
    if (cells.per_cell) {
      cells.kinds.pop_back();
      cells.ints.pop_back();
    } else if (cells.type == ColumnType::kFloat) {
      cells.floats.pop_back();
    } else {
      cells.ints.pop_back();
    }
  }
  lines_.pop_back();
  offsets_.pop_back();
  raws_.pop_back();
}

}  // namespace sluice

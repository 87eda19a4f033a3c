#include "core/batch.h"

#include <algorithm>

namespace sluice {

void Column::AppendNull() {
  switch (def.type) {
    case ColumnType::kFloat:
      floats.push_back(0);
      break;
    case ColumnType::kString:
      strings.emplace_back();
      break;
    default:
      ints.push_back(0);
      break;
  }
  nulls.push_back(1);
}

size_t Column::Grow(size_t n) {
  const size_t first = nulls.size();
  switch (def.type) {
    case ColumnType::kFloat:
      floats.resize(first + n);
      break;
    case ColumnType::kString:
      strings.resize(first + n);
      break;
    default:
      ints.resize(first + n);
      break;
  }
  nulls.resize(first + n, 0);
  return first;
}

void Column::AppendNulls(size_t n) {
  const size_t first = Grow(n);
  std::fill(nulls.begin() + static_cast<std::ptrdiff_t>(first), nulls.end(), 1);
}

void Column::SetNull(size_t row) {
  switch (def.type) {
    case ColumnType::kFloat:
      floats[row] = 0;
      break;
    case ColumnType::kString:
      strings[row] = {};
      break;
    default:
      ints[row] = 0;
      break;
  }
  nulls[row] = 1;
}

void Column::AppendFrom(const Column& from, size_t row) {
  switch (def.type) {
    case ColumnType::kFloat:
      floats.push_back(from.floats[row]);
      break;
    case ColumnType::kString:
      strings.push_back(from.strings[row]);
      break;
    default:
      ints.push_back(from.ints[row]);
      break;
  }
  nulls.push_back(from.nulls[row]);
}

void Batch::Reset(const std::vector<ColumnDef>& defs) {
  columns_.resize(defs.size());
  for (size_t i = 0; i < defs.size(); ++i) {
    columns_[i].def = defs[i];
    columns_[i].Clear();
  }
  lines_.clear();
}

void Batch::KeepRows(const std::vector<uint8_t>& keep) {
  auto compact = [&](auto& values) {
    size_t to = 0;
    for (size_t r = 0; r < values.size(); ++r) {
      if (keep[r]) values[to++] = values[r];
    }
    values.resize(to);
  };
  for (Column& c : columns_) {
    compact(c.nulls);
    // Only the type's own vector holds a value per row.
    if (c.def.type == ColumnType::kFloat) {
      compact(c.floats);
    } else if (c.def.type == ColumnType::kString) {
      compact(c.strings);
    } else {
      compact(c.ints);
    }
  }
  compact(lines_);
}

void Batch::Clear() {
  for (auto& c : columns_) c.Clear();
  lines_.clear();
}

}  // namespace sluice

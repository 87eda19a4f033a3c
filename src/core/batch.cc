#include "core/batch.h"

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

void Batch::Reset(const std::vector<ColumnDef>& defs) {
  columns_.resize(defs.size());
  for (size_t i = 0; i < defs.size(); ++i) {
    columns_[i].def = defs[i];
    columns_[i].Clear();
  }
  lines_.clear();
}

void Batch::Clear() {
  for (auto& c : columns_) c.Clear();
  lines_.clear();
}

}  // namespace sluice

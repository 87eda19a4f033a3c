#include "transform/metadata.h"

#include <cassert>

namespace sluice {

Result<MetadataOptions> ParseMetadataOptions(const std::vector<std::string>& names) {
  MetadataOptions options;
  for (const std::string& name : names) {
    if (name == "file") {
      options.file = true;
    } else if (name == "line") {
      options.line = true;
    } else if (name == "loaded_at") {
      options.loaded_at = true;
    } else {
      return Status::InvalidArgument("unknown metadata column \"" + name +
                                     "\" (valid: file, line, loaded_at)");
    }
  }
  return options;
}

std::vector<ColumnDef> MetadataColumns(const MetadataOptions& options) {
  std::vector<ColumnDef> columns;
  if (options.file) columns.push_back({"_file", ColumnType::kString, false});
  if (options.line) columns.push_back({"_line", ColumnType::kInteger, false});
  if (options.loaded_at) columns.push_back({"_loaded_at", ColumnType::kTimestamp, false});
  return columns;
}

void FillMetadata(const MetadataOptions& options, const std::string& file, int64_t loaded_at_us,
                  Batch& batch) {
  const size_t count =
      (options.file ? 1 : 0) + (options.line ? 1 : 0) + (options.loaded_at ? 1 : 0);
  assert(batch.columns().size() >= count);
  auto column = batch.columns().end() - static_cast<std::ptrdiff_t>(count);
  const size_t rows = batch.rows();
  if (options.file) {
    for (size_t r = column->nulls.size(); r < rows; ++r) column->AppendString(file);
    ++column;
  }
  if (options.line) {
    for (size_t r = column->nulls.size(); r < rows; ++r)
      column->AppendInt(static_cast<int64_t>(batch.Line(r)));
    ++column;
  }
  if (options.loaded_at) {
    for (size_t r = column->nulls.size(); r < rows; ++r) column->AppendInt(loaded_at_us);
  }
}

}  // namespace sluice

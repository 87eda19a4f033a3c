#include "transform/aggregates.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/cell_parse.h"
#include "core/iso_time.h"

namespace sluice {
namespace {

// The aggregates table's own columns around the `by` columns.
constexpr std::string_view kLeadingColumns[] = {"_file", "_load_id", "_loaded_at"};
constexpr std::string_view kTrailingColumns[] = {"column", "count", "nulls", "min",
                                                 "max",    "mean",  "stddev"};

bool IsNumeric(ColumnType type) {
  return type == ColumnType::kInteger || type == ColumnType::kFloat;
}

bool IsFixedColumn(std::string_view name) {
  return std::find(std::begin(kLeadingColumns), std::end(kLeadingColumns), name) !=
             std::end(kLeadingColumns) ||
         std::find(std::begin(kTrailingColumns), std::end(kTrailingColumns), name) !=
             std::end(kTrailingColumns);
}

// The aggregated and `by` columns' indexes in `loaded`, checked.
struct Resolved {
  std::vector<size_t> columns;
  std::vector<size_t> by;
};

Result<Resolved> Resolve(const AggregateSpec& spec, const TableDef& loaded) {
  Resolved out;
  for (const std::string& name : spec.by) {
    const int index = loaded.FindColumn(name);
    if (index < 0) {
      return Status::InvalidData("aggregates: `by` column \"" + name + "\" is not a column of " +
                                 loaded.name);
    }
    if (std::find(out.by.begin(), out.by.end(), static_cast<size_t>(index)) != out.by.end()) {
      return Status::InvalidData("aggregates: `by` names column \"" + name + "\" twice");
    }
    if (IsFixedColumn(name)) {
      return Status::InvalidData("aggregates: `by` column \"" + name +
                                 "\" has the name of a column of the aggregates table");
    }
    out.by.push_back(static_cast<size_t>(index));
  }
  if (spec.columns.empty()) {
    for (size_t i = 0; i < loaded.columns.size(); ++i) {
      const ColumnDef& def = loaded.columns[i];
      if (IsNumeric(def.type) && def.name != "_line" &&
          std::find(out.by.begin(), out.by.end(), i) == out.by.end()) {
        out.columns.push_back(i);
      }
    }
    return out;
  }
  for (const std::string& name : spec.columns) {
    const int index = loaded.FindColumn(name);
    if (index < 0) {
      return Status::InvalidData("aggregates: column \"" + name + "\" is not a column of " +
                                 loaded.name);
    }
    const ColumnDef& def = loaded.columns[static_cast<size_t>(index)];
    if (!IsNumeric(def.type)) {
      return Status::InvalidData("aggregates: column \"" + name + "\" is " +
                                 std::string(ColumnTypeName(def.type)) + ", not integer or float");
    }
    out.columns.push_back(static_cast<size_t>(index));
  }
  return out;
}

void AppendOptional(Column& column, const std::optional<double>& value) {
  if (value) {
    column.AppendFloat(*value);
  } else {
    column.AppendNull();
  }
}

}  // namespace

std::string AggregatesTableName(const AggregateSpec& spec, std::string_view table) {
  if (!spec.table.empty()) return spec.table;
  return std::string(table) + "_file_stats";
}

Result<TableDef> AggregatesTable(const AggregateSpec& spec, const TableDef& loaded) {
  ASSIGN_OR_RETURN(Resolved resolved, Resolve(spec, loaded));
  TableDef table;
  table.name = AggregatesTableName(spec, loaded.name);
  if (table.name == loaded.name) {
    return Status::InvalidData("aggregates: the aggregates table must not be the table " +
                               loaded.name + " itself");
  }
  table.columns.push_back({"_file", ColumnType::kString, false});
  table.columns.push_back({"_load_id", ColumnType::kString, false});
  table.columns.push_back({"_loaded_at", ColumnType::kTimestamp, false});
  for (size_t index : resolved.by) {
    ColumnDef def = loaded.columns[index];
    def.nullable = true;  // NULL is a group of its own
    table.columns.push_back(std::move(def));
  }
  table.columns.push_back({"column", ColumnType::kString, false});
  table.columns.push_back({"count", ColumnType::kInteger, false});
  table.columns.push_back({"nulls", ColumnType::kInteger, false});
  for (const char* name : {"min", "max", "mean", "stddev"}) {
    table.columns.push_back({name, ColumnType::kFloat, true});
  }
  return table;
}

void FileAggregator::Accumulator::Add(double value) {
  if (count == 0) {
    shift = min = max = value;
  } else {
    min = std::min(min, value);
    max = std::max(max, value);
  }
  ++count;
  const double x = value - shift;
  const double delta = x - mean;
  mean += delta / static_cast<double>(count);
  m2 += delta * (x - mean);
}

void FileAggregator::Accumulator::AddColumn(const Column& column) {
  const size_t rows = column.nulls.size();
  const bool is_float = column.def.type == ColumnType::kFloat;
  auto value = [&](size_t r) {
    return is_float ? column.floats[r] : static_cast<double>(column.ints[r]);
  };
  size_t r = 0;
  if (count == 0) {  // the shift is the file's first value
    while (r < rows && column.IsNull(r)) ++r;
    if (r == rows) {
      nulls += rows;
      return;
    }
    shift = min = max = value(r);
  }
  // Pass 1: count, sum of the shifted values, min and max. Four partial sums
  // keep the additions from waiting on each other.
  const size_t first = r;
  uint64_t n = 0;
  double sums[4] = {0, 0, 0, 0};
  double lo = min, hi = max;
  for (; r < rows; ++r) {
    if (column.IsNull(r)) continue;
    const double v = value(r);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sums[n % 4] += v - shift;
    ++n;
  }
  nulls += rows - n;
  if (n == 0) return;
  const double batch_mean = (sums[0] + sums[1] + (sums[2] + sums[3])) / static_cast<double>(n);
  // Pass 2: the squared deviations from the batch's mean, less the square of
  // their sum over n (what rounding left in the mean; zero in exact arithmetic).
  double squares[2] = {0, 0}, deviation = 0;
  for (size_t i = first, k = 0; i < rows; ++i) {
    if (column.IsNull(i)) continue;
    const double d = value(i) - shift - batch_mean;
    squares[k++ % 2] += d * d;
    deviation += d;
  }
  const double batch_m2 = squares[0] + squares[1] - deviation * deviation / static_cast<double>(n);
  min = lo;
  max = hi;
  if (count == 0) {
    mean = batch_mean;
    m2 = batch_m2;
  } else {
    const double total = static_cast<double>(count + n);
    const double delta = batch_mean - mean;
    mean += delta * (static_cast<double>(n) / total);
    m2 += batch_m2 + delta * delta * (static_cast<double>(count) * static_cast<double>(n) / total);
  }
  count += n;
}

Result<FileAggregator> FileAggregator::Create(const AggregateSpec& spec, const TableDef& loaded,
                                              size_t max_groups) {
  ASSIGN_OR_RETURN(Resolved resolved, Resolve(spec, loaded));
  FileAggregator aggregator;
  ASSIGN_OR_RETURN(aggregator.table_, AggregatesTable(spec, loaded));
  aggregator.columns_ = std::move(resolved.columns);
  aggregator.by_ = std::move(resolved.by);
  for (size_t index : aggregator.columns_) aggregator.names_.push_back(loaded.columns[index].name);
  for (size_t index : aggregator.by_) aggregator.by_types_.push_back(loaded.columns[index].type);
  aggregator.max_groups_ = max_groups;
  aggregator.Reset();
  return aggregator;
}

void FileAggregator::Reset() {
  groups_.clear();
  group_index_.clear();
  // Without `by` the one group exists from the start: an empty file has its rows.
  if (by_.empty()) groups_.push_back({{}, std::vector<Accumulator>(columns_.size())});
}

Result<uint32_t> FileAggregator::GroupOf(const Batch& batch, size_t row) {
  // The key: per `by` column a null flag, then the value's bytes (a string's
  // length first, so that ("ab","c") and ("a","bc") differ).
  key_.clear();
  for (size_t b = 0; b < by_.size(); ++b) {
    const Column& column = batch.columns()[by_[b]];
    if (column.IsNull(row)) {
      key_.push_back('\0');
      continue;
    }
    key_.push_back('\1');
    if (by_types_[b] == ColumnType::kString) {
      const std::string_view s = column.strings[row];
      const uint64_t size = s.size();
      key_.append(reinterpret_cast<const char*>(&size), sizeof size);
      key_.append(s);
    } else if (by_types_[b] == ColumnType::kFloat) {
      // Groups are by value: 0.0 and -0.0 are one group.
      const double f = column.floats[row] == 0 ? 0.0 : column.floats[row];
      key_.append(reinterpret_cast<const char*>(&f), sizeof f);
    } else {
      key_.append(reinterpret_cast<const char*>(&column.ints[row]), sizeof(int64_t));
    }
  }
  if (auto it = group_index_.find(std::string_view(key_)); it != group_index_.end()) {
    return it->second;
  }
  if (groups_.size() >= max_groups_) {
    return Status::InvalidData("aggregates: the file has more than " + std::to_string(max_groups_) +
                               " groups of `by` values (the limit per file)");
  }
  Group group;
  group.accumulators.resize(columns_.size());
  for (size_t b = 0; b < by_.size(); ++b) {
    const Column& column = batch.columns()[by_[b]];
    GroupValue& value = group.values.emplace_back();
    if (column.IsNull(row)) {
      value.null = true;
    } else if (by_types_[b] == ColumnType::kString) {
      value.s = std::string(column.strings[row]);
    } else if (by_types_[b] == ColumnType::kFloat) {
      value.f = column.floats[row] == 0 ? 0.0 : column.floats[row];
    } else {
      value.i = column.ints[row];
    }
  }
  const auto index = static_cast<uint32_t>(groups_.size());
  groups_.push_back(std::move(group));
  group_index_.emplace(key_, index);
  return index;
}

Status FileAggregator::Add(const Batch& batch) {
  const size_t rows = batch.rows();
  if (rows == 0) return Status::Ok();
  if (!by_.empty()) {
    row_group_.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      ASSIGN_OR_RETURN(row_group_[r], GroupOf(batch, r));
    }
  }
  // A column at a time: the values of one column are contiguous.
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = batch.columns()[columns_[c]];
    if (by_.empty()) {
      groups_[0].accumulators[c].AddColumn(column);
      continue;
    }
    const bool is_float = column.def.type == ColumnType::kFloat;
    auto value = [&](size_t r) {
      return is_float ? column.floats[r] : static_cast<double>(column.ints[r]);
    };
    for (size_t r = 0; r < rows; ++r) {
      Accumulator& acc = groups_[row_group_[r]].accumulators[c];
      if (column.IsNull(r)) {
        ++acc.nulls;
      } else {
        acc.Add(value(r));
      }
    }
  }
  return Status::Ok();
}

std::optional<std::string> FileAggregator::GroupText(const Group& group, size_t by) const {
  const GroupValue& value = group.values[by];
  if (value.null) return std::nullopt;
  char iso[kIsoTextCapacity];
  switch (by_types_[by]) {
    case ColumnType::kString:
      return value.s;
    case ColumnType::kInteger:
      return std::to_string(value.i);
    case ColumnType::kFloat:
      return FormatFloat(value.f);
    case ColumnType::kBoolean:
      return value.i != 0 ? "true" : "false";
    case ColumnType::kDate:
      return std::string(iso, FormatIsoDate(value.i, iso));
    case ColumnType::kTimestamp:
      return std::string(iso, FormatIsoTimestamp(value.i, iso));
  }
  return std::nullopt;
}

void FileAggregator::Accumulator::Finish(AggregateRow& row) const {
  row.count = count;
  row.nulls = nulls;
  if (count > 0) {
    row.min = min;
    row.max = max;
    row.mean = shift + mean;
  }
  if (count > 1) row.stddev = std::sqrt(m2 / static_cast<double>(count - 1));
}

std::vector<AggregateRow> FileAggregator::Rows() const {
  std::vector<AggregateRow> rows;
  rows.reserve(groups_.size() * columns_.size());
  for (const Group& group : groups_) {
    std::vector<std::optional<std::string>> by;
    for (size_t b = 0; b < by_.size(); ++b) by.push_back(GroupText(group, b));
    for (size_t c = 0; c < columns_.size(); ++c) {
      AggregateRow& row = rows.emplace_back();
      row.by = by;
      row.column = names_[c];
      group.accumulators[c].Finish(row);
    }
  }
  return rows;
}

const Batch& FileAggregator::ToBatch(std::string_view file, std::string_view load_id,
                                     int64_t loaded_at) {
  file_ = std::string(file);
  load_id_ = std::string(load_id);
  out_.Reset(table_.columns);
  std::vector<Column>& out = out_.columns();
  for (const Group& group : groups_) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      size_t i = 0;
      out[i++].AppendString(file_);
      out[i++].AppendString(load_id_);
      out[i++].AppendInt(loaded_at);
      for (size_t b = 0; b < by_.size(); ++b) {
        const GroupValue& value = group.values[b];
        Column& column = out[i++];
        if (value.null) {
          column.AppendNull();
        } else if (by_types_[b] == ColumnType::kString) {
          column.AppendString(value.s);
        } else if (by_types_[b] == ColumnType::kFloat) {
          column.AppendFloat(value.f);
        } else {
          column.AppendInt(value.i);
        }
      }
      AggregateRow row;
      group.accumulators[c].Finish(row);
      out[i++].AppendString(names_[c]);
      out[i++].AppendInt(static_cast<int64_t>(row.count));
      out[i++].AppendInt(static_cast<int64_t>(row.nulls));
      for (const std::optional<double>* value : {&row.min, &row.max, &row.mean, &row.stddev}) {
        AppendOptional(out[i++], *value);
      }
      // Aggregate rows have no source line.
      out_.FinishRow(0);
    }
  }
  return out_;
}

}  // namespace sluice

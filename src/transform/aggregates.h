// Per-file aggregates (`aggregates:` of a table rule, docs/transforms.md): for
// each file, and each group of its `by` columns, one row per aggregated column
// with count (non-null values), nulls, min, max, mean and sample stddev, over the
// rows loaded. Computed in one pass with Welford's method, so mean and stddev stay
// accurate whatever the values' magnitude.
//
// The aggregates table has a fixed shape: `_file` (string), `_load_id` (string),
// `_loaded_at` (timestamp), the `by` columns (their loaded types), `column`
// (string), `count` and `nulls` (integer), `min`, `max`, `mean`, `stddev` (float;
// null when there is no value, stddev null when count < 2).
//
// Thread-safety: AggregateSpec and the table are values; a FileAggregator has one
// owner.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"

namespace sluice {

// What a rule's `aggregates:` says.
struct AggregateSpec {
  std::string table;                 // empty: "<table>_file_stats"
  std::vector<std::string> columns;  // empty: every integer and float column loaded
  std::vector<std::string> by;       // grouping columns within a file; may be empty
  bool operator==(const AggregateSpec&) const = default;
};

// One aggregate row: a column of one group of one file.
struct AggregateRow {
  std::vector<std::optional<std::string>> by;  // the group's values as text (nullopt: NULL)
  std::string column;
  uint64_t count = 0;  // non-null values
  uint64_t nulls = 0;
  std::optional<double> min, max, mean, stddev;
};

// The aggregates table for `loaded` (the table the rows load into, its columns
// after derive and drop). Errors: InvalidData naming the column, when an
// aggregated column is missing or not integer/float, or a `by` column is missing.
Result<TableDef> AggregatesTable(const AggregateSpec& spec, const TableDef& loaded);

class FileAggregator {
 public:
  // Errors: those of AggregatesTable.
  static Result<FileAggregator> Create(const AggregateSpec& spec, const TableDef& loaded);

  // Adds the rows of `batch`, which has the columns of `loaded` in order.
  void Add(const Batch& batch);
  // The rows so far, groups in the order first seen, columns in the spec's order.
  std::vector<AggregateRow> Rows() const;
  // Rows() as a batch of the aggregates table for one file (its strings stay valid
  // until the next call or Reset). Without `by` a file is one group even with no
  // rows (count 0, min/max/mean/stddev null), so every loaded file has a row per
  // aggregated column; with `by`, the groups are those its rows have.
  const Batch& ToBatch(std::string_view file, std::string_view load_id, int64_t loaded_at);
  // Forgets the rows added (a new try of the file).
  void Reset();

  const TableDef& table() const { return table_; }

 private:
  TableDef table_;
  // Implementation-defined state (Welford accumulators per group and column).
};

}  // namespace sluice

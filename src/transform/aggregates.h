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
// Integer columns are aggregated as doubles (exact up to 2^53). A file has at most
// kMaxAggregateGroups groups: memory stays bounded whatever the file, and a file
// with more is refused (InvalidData, so it is quarantined).
//
// Thread-safety: AggregateSpec and the table are values; a FileAggregator has one
// owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

// The aggregates table's name: spec.table, or "<table>_file_stats".
std::string AggregatesTableName(const AggregateSpec& spec, std::string_view table);

// Groups one file may have (the `by` values seen); beyond it Add fails.
inline constexpr size_t kMaxAggregateGroups = 100000;

// One aggregate row: a column of one group of one file.
struct AggregateRow {
  std::vector<std::optional<std::string>> by;  // the group's values as text (nullopt: NULL)
  std::string column;
  uint64_t count = 0;  // non-null values
  uint64_t nulls = 0;
  std::optional<double> min, max, mean, stddev;
};

// The aggregates table for `loaded` (the table the rows load into, its columns
// after derive and drop), named AggregatesTableName(spec, loaded.name). Without
// spec.columns the aggregated columns are every integer and float column of
// `loaded` in order, except the `by` columns and the `_line` metadata column.
// Errors: InvalidData naming the column, when an aggregated column is missing or
// not integer/float, or a `by` column is missing or named twice; InvalidData when
// the table name equals loaded.name.
Result<TableDef> AggregatesTable(const AggregateSpec& spec, const TableDef& loaded);

class FileAggregator {
 public:
  // `max_groups` bounds the groups of one file. Errors: those of AggregatesTable.
  static Result<FileAggregator> Create(const AggregateSpec& spec, const TableDef& loaded,
                                       size_t max_groups = kMaxAggregateGroups);

  // Adds the rows of `batch`, which has the columns of `loaded` in order.
  // Errors: InvalidData naming the limit when the file gets more than
  // `max_groups` groups (the rows of `batch` are then partly added: Reset before
  // reusing the aggregator).
  Status Add(const Batch& batch);
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
  // The running mean and sum of squared deviations of one column of one group,
  // over the values minus `shift` (the first value): the deviations are then
  // exact for values close together, whatever their magnitude.
  struct Accumulator {
    uint64_t count = 0;
    uint64_t nulls = 0;
    double shift = 0, mean = 0, m2 = 0, min = 0, max = 0;
    // One value (Welford).
    void Add(double value);
    // Every row of `column` (integer or float): the batch's values are summed up
    // on their own (corrected two-pass) and merged in (Chan et al.), so there is
    // no division per value, whose latency chains one value to the next.
    void AddColumn(const Column& column);
    // Sets count, nulls, min, max, mean and stddev of `row`.
    void Finish(AggregateRow& row) const;
  };
  // A `by` value: null, an int64 (integer, boolean, date, timestamp), a double or
  // a string, by the column's type.
  struct GroupValue {
    bool null = false;
    int64_t i = 0;
    double f = 0;
    std::string s;
  };
  struct Group {
    std::vector<GroupValue> values;         // one per `by` column
    std::vector<Accumulator> accumulators;  // one per aggregated column
  };
  // Heterogeneous lookup: a key is looked up by view, without a copy per row.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };

  FileAggregator() = default;
  // The group of row `row` of `batch`, created when new. Errors: the group limit.
  Result<uint32_t> GroupOf(const Batch& batch, size_t row);
  std::optional<std::string> GroupText(const Group& group, size_t by) const;

  TableDef table_;
  std::vector<size_t> columns_;     // aggregated columns' indexes in `loaded`
  std::vector<std::string> names_;  // aggregated columns' names
  std::vector<size_t> by_;          // `by` columns' indexes in `loaded`
  std::vector<ColumnType> by_types_;
  size_t max_groups_ = kMaxAggregateGroups;
  std::vector<Group> groups_;
  std::unordered_map<std::string, uint32_t, KeyHash, std::equal_to<>> group_index_;
  std::string key_;                  // the key being looked up
  std::vector<uint32_t> row_group_;  // per row of the batch being added
  // ToBatch's output and the strings it views.
  Batch out_;
  std::string file_, load_id_;
};

}  // namespace sluice

// Side-table rows for the ClickHouse and Parquet sinks' own tests: a small
// per-file statistics table, as the loader's aggregates table looks (its fixed
// shape cut down to what the tests need), and batches of it.
//
// Thread-safety: none needed (each test runs on one thread).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/table.h"

namespace sluice::testing {

// (_file string, column string, count integer, mean float nullable), no key.
inline TableDef StatsTable(std::string name) {
  return {std::move(name),
          {{"_file", ColumnType::kString, false},
           {"column", ColumnType::kString, false},
           {"count", ColumnType::kInteger, false},
           {"mean", ColumnType::kFloat, true}},
          {}};
}

struct StatsRow {
  std::string file;
  std::string column;
  int64_t count = 0;
  std::optional<double> mean;
};

// The rows as a batch of StatsTable(name); the strings live in `storage`, which
// must outlive the batch.
inline Batch StatsBatch(const TableDef& table, const std::vector<StatsRow>& rows,
                        std::deque<std::string>& storage) {
  Batch batch;
  batch.Reset(table.columns);
  auto& c = batch.columns();
  for (size_t i = 0; i < rows.size(); ++i) {
    c[0].AppendString(storage.emplace_back(rows[i].file));
    c[1].AppendString(storage.emplace_back(rows[i].column));
    c[2].AppendInt(rows[i].count);
    if (rows[i].mean) {
      c[3].AppendFloat(*rows[i].mean);
    } else {
      c[3].AppendNull();
    }
    batch.FinishRow(i + 1);
  }
  return batch;
}

}  // namespace sluice::testing

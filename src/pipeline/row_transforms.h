// RowTransforms: a table's derive, filter and drop (docs/configuration.md#transforms)
// compiled against the columns of one file, and applied to its validated batches.
//
// On a batch, after validation: each derived column is evaluated in order (each
// may read the ones before), then the filter; a row where any expression fails is
// a bad row (RowErrorKind::kTransform, with its line and text) whatever the filter
// says of it; a row the filter finds false or null is skipped and counted as
// filtered; the rows kept are copied (or moved, a column at a time) into the
// load's columns, where dropped columns are NULL (a table that had such a column before it was
// dropped keeps it).
//
// Thread-safety: immutable after Compile and Bind; Apply may run on several
// threads at once with their own batches and arenas.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/row_error.h"
#include "core/status.h"
#include "core/table.h"
#include "core/text_batch.h"
#include "pipeline/config.h"
#include "schema/validator.h"
#include "transform/expr/expression.h"

namespace sluice {

class RowTransforms {
 public:
  // Compiles plan.derive in order, each against `inputs` and the derived columns
  // before it, then plan.filter against all of them (it must be boolean). With
  // `defer_unknown_columns` (the start-up check without a declared schema) an
  // expression naming a column `inputs` lack is skipped (and so is one that
  // reads a derived column skipped); the others are checked. Errors: InvalidArgument "ORIGIN:
  // derive 'NAME' \"EXPR\": at POS: what" (or "filter \"EXPR\""), also for a derived name used
  // twice or already an input column.
  static Result<RowTransforms> Compile(const TablePlan& plan, const std::vector<ColumnDef>& inputs,
                                       bool defer_unknown_columns = false);

  // The derived columns in order, with their expressions' types (nullable).
  const std::vector<ColumnDef>& derived() const { return derived_; }
  // The columns of the batches Apply works on: the inputs, then derived().
  const std::vector<ColumnDef>& work_columns() const { return work_; }

  // Maps the load's data columns (in load order) to work columns by name; a
  // dropped column, or one neither an input nor derived, loads as NULL. Errors:
  // InvalidData when a derived column's type does not fit the table's column.
  Status Bind(const std::vector<ColumnDef>& load_data_columns,
              const std::vector<std::string>& drop);

  struct Counts {
    uint64_t failed = 0;    // bad rows reported
    uint64_t filtered = 0;  // rows the filter skipped
  };
  // `work` holds work_columns() with the inputs filled by validation (rows are a
  // subset of `text`'s, in order, found by line for the bad rows' text). Fills
  // the derived columns, reports failures to `errors`, and appends the rows kept
  // to `out`, whose leading columns are the load data columns given to Bind
  // (later ones, the metadata, are left alone). A work column is moved rather
  // than copied into an empty column of `out` of its type, so the columns of
  // `work` that load are left empty (clear `work` before reusing it).
  // Derived strings live in `arena`,
  // which the caller clears only when `out` is no longer used. With
  // `filtered_lines`, the lines of the rows the filter skipped are appended to it.
  Result<Counts> Apply(Batch& work, const TextBatch& text, Batch& out, RowErrorSink& errors,
                       StringArena& arena, std::vector<uint64_t>* filtered_lines = nullptr) const;

 private:
  struct Failure {
    size_t row;
    std::string column;
    std::string message;
  };
  std::vector<Expression> derive_;  // one per derived_ entry
  std::vector<ColumnDef> derived_;
  std::vector<ColumnDef> work_;
  std::optional<Expression> filter_;
  std::string derive_origin_;
  std::string filter_origin_;
  std::vector<int> source_;       // per load data column: index in work_, or -1 (NULL)
  std::vector<uint8_t> movable_;  // per load data column: its work column loads only there
};

// One batch of a load from text to the rows loaded, as a load and `sluice check`
// both do it: validation straight into `out` without `transforms` (nullptr),
// else into `work` (of transforms->work_columns(); cleared here, as is `arena`)
// and through the transforms into `out`. `failed` counts the bad rows of both.
Result<RowTransforms::Counts> ConvertBatch(Validator& validator, const RowTransforms* transforms,
                                           const TextBatch& text,
                                           const std::vector<std::string>& names, Batch& work,
                                           Batch& out, RowErrorSink& errors, StringArena& arena,
                                           std::vector<uint64_t>* filtered_lines = nullptr);

}  // namespace sluice

// Table resolution: which table a file loads into, created or evolved as the
// file's plan allows, and the schema its rows are validated against.
//
// ResolveTable runs in named parts (table_resolver.cc):
//   1. ExistingOrCreated: the table as the sink describes it (or as `known`), else
//      created from the declared schema or the one inferred from the file's sample;
//   2. AddMissingColumns: the columns the file brings and the table lacks are
//      added (schema_evolution: add_columns) or refuse the file;
//   3. LoadOrder: the data columns in table order, then the metadata columns
//      found by name;
//   4. CheckTypes: each data column is checked against the file's values and
//      given a declared schema's rules.
// With derive/filter/drop (RowTransforms), the expressions are compiled against
// the file's columns first, so that the derived columns, with their types, take
// part in all four like the file's own; dropped columns take part in none but
// validation (an expression may read them).
// With `aggregates:`, the aggregates table of the loaded columns is resolved last
// (AggregatesTable): created if it does not exist, refused unless it has the
// fixed shape if it does, so that, like the table, it exists before any load's
// transaction begins.
// Inference runs at most once per file (InferredSchema), however many times its
// table is resolved.
//
// Thread-safety: ResolveTable is a free function; concurrent calls for one table
// are safe as far as the sink's DDL is (a table or column another worker created
// first is used). An InferredSchema belongs to one file's job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "core/text_batch.h"
#include "pipeline/config.h"
#include "pipeline/row_transforms.h"
#include "schema/schema.h"
#include "sink/sink.h"

namespace sluice {

// The schema inferred from a file's first rows. A file's table may be resolved
// several times (scouted for a group, then loaded alone, then retried), each time
// from the same bytes read the same way, so the first inference stands for all.
class InferredSchema {
 public:
  // The schema of `rows` with its columns called `names` (the file's normalised
  // names, one per column of `rows`), every column nullable: a sample without
  // empty cells proves nothing about later files (declare a schema for NOT NULL).
  // Inferred on the first call; later calls return that schema whatever they are
  // given.
  // `declared`: the file's own column types (InferSchema).
  const Schema& Get(const std::vector<std::string>& names, const TextBatch& rows,
                    const std::vector<std::optional<ColumnType>>& declared = {});
  // True once Get has inferred.
  bool inferred() const { return schema_.has_value(); }

 private:
  std::optional<Schema> schema_;
};

// What resolution knows of a file: its column names (normalised, in file order),
// its first rows, and its InferredSchema. The references must outlive the call.
struct FileSample {
  const std::vector<std::string>& names;
  const TextBatch& rows;
  InferredSchema& inferred;
  std::vector<std::optional<ColumnType>> declared = {};  // RecordReader::declared_types
};

// The table a file loads into and the schema it is validated against.
struct ResolvedTable {
  // What validation produces: the table's data columns (with a declared schema's
  // rules) but the derived ones, then the file's dropped columns that the table
  // lacks.
  Schema schema;
  TableDef load;                 // the data columns in table order, then the metadata columns
  std::vector<ColumnDef> added;  // columns this file added to the table
  TableDef described;            // the table as the sink last described it
  // The plan's derive, filter and drop compiled against `schema` and bound to
  // `load`; nullopt when the plan has none.
  std::optional<RowTransforms> transforms;
  // The plan's aggregates table (AggregatesTable of `load`), as it exists in the
  // sink; nullopt when the plan has no `aggregates:`.
  std::optional<TableDef> aggregates;
};

// If the table exists its definition wins (rules of a declared schema still apply
// by name); columns it lacks are added (schema_evolution: add_columns) or refuse
// the file. Otherwise the declared schema, or one inferred from the sample,
// creates it. `known` is the table as described moments ago, if it is known (the
// files of a group ask once), and `known_aggregates` the aggregates table as an
// earlier resolution found it (used when the plan's is the same).
// Errors: InvalidData (a column the table lacks without add_columns, a type
// conflict, a key column that is not a column, an expression that does not
// compile against the file's columns, aggregates of columns the table does not
// load, an aggregates table of another shape), the sink's errors.
Result<ResolvedTable> ResolveTable(Sink& sink, const TablePlan& plan, const FileSample& sample,
                                   const std::optional<TableDef>& known = std::nullopt,
                                   const std::optional<TableDef>& known_aggregates = std::nullopt);

}  // namespace sluice

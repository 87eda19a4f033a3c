// Table resolution: which table a file loads into, created or evolved as the
// file's plan allows, and the schema its rows are validated against.
//
// Thread-safety: free function; concurrent calls for one table are safe as far as
// the sink's DDL is (a table or column another worker created first is used).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "core/text_batch.h"
#include "pipeline/config.h"
#include "schema/schema.h"
#include "sink/sink.h"

namespace sluice {

// The table a file loads into and the schema it is validated against.
struct ResolvedTable {
  Schema schema;                 // the table's data columns, with a declared schema's rules
  TableDef load;                 // the data columns in table order, then the metadata columns
  std::vector<ColumnDef> added;  // columns this file added to the table
  TableDef described;            // the table as the sink last described it
};

// If the table exists its definition wins (rules of a declared schema still apply
// by name); columns it lacks are added (schema_evolution: add_columns) or refuse
// the file. Otherwise the declared schema, or one inferred from `sample`, creates it.
// `known` is the table as described moments ago, if it is known (the files of a
// group ask once).
// Errors: InvalidData (a column the table lacks without add_columns, a type
// conflict, a key column that is not a column), the sink's errors.
Result<ResolvedTable> ResolveTable(Sink& sink, const TablePlan& plan,
                                   const std::vector<std::string>& names, const TextBatch& sample,
                                   const std::optional<TableDef>& known = std::nullopt);

}  // namespace sluice

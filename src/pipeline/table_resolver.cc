#include "pipeline/table_resolver.h"

#include <algorithm>

#include "schema/cell_parse.h"
#include "schema/infer.h"
#include "transform/metadata.h"

namespace sluice {
namespace {

// The file's columns as inference sees them in `sample`, under their (normalised)
// table names. A sample without empty cells proves nothing about later files, so
// every column is nullable (declare a schema for NOT NULL).
Schema InferFromSample(const std::vector<std::string>& names, const TextBatch& sample) {
  Schema schema = InferSchema(sample);
  for (size_t i = 0; i < schema.columns.size() && i < names.size(); ++i) {
    schema.columns[i].name = names[i];
    schema.columns[i].nullable = true;
  }
  return schema;
}

std::string QuotedList(const std::vector<ColumnDef>& columns) {
  std::string out;
  for (const ColumnDef& c : columns) out += (out.empty() ? "\"" : ", \"") + c.name + "\"";
  return out;
}

// The columns the table lacks: declared ones, the file's own, then the plan's
// metadata columns. A type comes from the declared schema, else from inference.
std::vector<ColumnDef> MissingColumns(const TableDef& table, const TablePlan& plan,
                                      const std::vector<std::string>& names,
                                      const TextBatch& sample) {
  std::vector<ColumnDef> missing;
  auto add = [&](const ColumnDef& column) {
    if (table.FindColumn(column.name) >= 0) return;
    for (const ColumnDef& m : missing) {
      if (m.name == column.name) return;
    }
    missing.push_back({column.name, column.type, true});
  };
  if (plan.schema) {
    for (const ColumnDef& c : plan.schema->Defs()) add(c);
  }
  std::optional<Schema> inferred;
  for (const std::string& name : names) {
    if (table.FindColumn(name) >= 0 || (plan.schema && plan.schema->Find(name) >= 0)) continue;
    if (!inferred) inferred = InferFromSample(names, sample);
    int i = inferred->Find(name);
    add({name, i >= 0 ? inferred->columns[i].type : ColumnType::kString, true});
  }
  for (const ColumnDef& c : MetadataColumns(plan.metadata)) add(c);
  return missing;
}

// Why the file's column of the same name cannot load into the table's column
// `in_table`, or "" if it can. A declared type must fit the table's; an undeclared column
// conflicts only when its sample has values and none of them is of the table's
// type, so a stray bad value stays a bad row and a column the sample shows empty
// never conflicts.
std::string TypeConflict(const std::string& table, const ColumnDef& in_table, const TablePlan& plan,
                         const std::vector<std::string>& names, const TextBatch& sample) {
  auto conflict = [&](ColumnType file_type, const char* how) {
    return "column \"" + in_table.name + "\" of table \"" + table + "\" is " +
           std::string(ColumnTypeName(in_table.type)) + " but the file's is " +
           std::string(ColumnTypeName(file_type)) + " (" + how +
           "); load it into another table or change the column";
  };
  if (plan.schema) {
    int d = plan.schema->Find(in_table.name);
    if (d >= 0) {
      ColumnType declared = plan.schema->columns[d].type;
      return TypeFits(declared, in_table.type) ? "" : conflict(declared, "declared");
    }
  }
  if (in_table.type == ColumnType::kString) return "";
  auto at = std::find(names.begin(), names.end(), in_table.name);
  if (at == names.end()) return "";
  const size_t c = static_cast<size_t>(at - names.begin());
  bool has_value = false;
  for (size_t r = 0; r < sample.rows(); ++r) {
    if (sample.IsNull(r, c)) continue;
    std::string_view value = TrimBlanks(sample.Cell(r, c));
    if (value.empty()) continue;
    if (ParsesAs(value, in_table.type)) return "";
    has_value = true;
  }
  if (!has_value) return "";
  return conflict(InferFromSample(names, sample).columns[c].type, "inferred from its first rows");
}

}  // namespace

Result<ResolvedTable> ResolveTable(Sink& sink, const TablePlan& plan,
                                   const std::vector<std::string>& names, const TextBatch& sample,
                                   const std::optional<TableDef>& known) {
  std::vector<ColumnDef> meta = MetadataColumns(plan.metadata);
  ResolvedTable out;
  std::optional<TableDef> existing = known;
  if (!existing) {
    ASSIGN_OR_RETURN(existing, sink.DescribeTable(plan.table));
  }
  if (!existing) {
    Schema schema = plan.schema ? *plan.schema : InferFromSample(names, sample);
    TableDef def{plan.table, schema.Defs(), plan.key};
    def.columns.insert(def.columns.end(), meta.begin(), meta.end());
    for (const auto& k : def.key) {
      if (def.FindColumn(k) < 0) {
        return Status::InvalidData("key column \"" + k + "\" is not a column of table " +
                                   plan.table);
      }
    }
    RETURN_IF_ERROR(sink.EnsureTable(def));
    // Another worker may have created the table first; load into what exists.
    ASSIGN_OR_RETURN(existing, sink.DescribeTable(plan.table));
    if (!existing) return Status::Internal("table " + plan.table + " missing after creation");
  }
  std::vector<ColumnDef> missing = MissingColumns(*existing, plan, names, sample);
  if (!missing.empty()) {
    if (plan.schema_evolution != SchemaEvolution::kAddColumns) {
      return Status::InvalidData("table \"" + plan.table + "\" lacks column(s) " +
                                 QuotedList(missing) +
                                 " that the file brings; schema_evolution: add_columns "
                                 "(--schema-evolution add_columns) would add them");
    }
    ASSIGN_OR_RETURN(out.added, sink.AddColumns(plan.table, missing));
    // Another worker may have added some of them first, with its own types.
    ASSIGN_OR_RETURN(existing, sink.DescribeTable(plan.table));
    if (!existing) return Status::Internal("table " + plan.table + " missing after ALTER TABLE");
  }
  // Metadata columns are found by name: ALTER TABLE puts added columns after them.
  out.described = *existing;
  const TableDef& table = *existing;
  out.load = TableDef{table.name, {}, table.key};
  for (const ColumnDef& column : table.columns) {
    bool is_meta = std::any_of(meta.begin(), meta.end(),
                               [&](const ColumnDef& m) { return m.name == column.name; });
    if (!is_meta) out.load.columns.push_back(column);
  }
  for (const ColumnDef& m : meta) {
    int i = table.FindColumn(m.name);
    if (i < 0) return Status::InvalidData("table \"" + plan.table + "\" has no column " + m.name);
    out.load.columns.push_back(table.columns[i]);
  }
  out.schema = SchemaFromDefs(std::vector<ColumnDef>(
      out.load.columns.begin(), out.load.columns.end() - static_cast<ptrdiff_t>(meta.size())));
  for (ColumnSpec& column : out.schema.columns) {
    std::string why =
        TypeConflict(plan.table, {column.name, column.type, column.nullable}, plan, names, sample);
    if (!why.empty()) return Status::InvalidData(why);
    if (plan.schema) {
      int d = plan.schema->Find(column.name);
      if (d >= 0) column.rules = plan.schema->columns[d].rules;
    }
  }
  return out;
}

}  // namespace sluice

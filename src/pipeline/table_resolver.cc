#include "pipeline/table_resolver.h"

#include <algorithm>

#include "core/cell_parse.h"
#include "schema/infer.h"
#include "transform/aggregates.h"
#include "transform/metadata.h"

namespace sluice {

const Schema& InferredSchema::Get(const std::vector<std::string>& names, const TextBatch& rows,
                                  const std::vector<std::optional<ColumnType>>& declared) {
  if (!schema_) {
    schema_ = InferSchema(rows, declared);
    for (size_t i = 0; i < schema_->columns.size() && i < names.size(); ++i) {
      schema_->columns[i].name = names[i];
      schema_->columns[i].nullable = true;
    }
  }
  return *schema_;
}

namespace {

std::string QuotedList(const std::vector<ColumnDef>& columns) {
  std::string out;
  for (const ColumnDef& c : columns) out += (out.empty() ? "\"" : ", \"") + c.name + "\"";
  return out;
}

bool Dropped(const TablePlan& plan, const std::string& name) {
  return std::find(plan.drop.begin(), plan.drop.end(), name) != plan.drop.end();
}

bool Derived(const TablePlan& plan, const std::string& name) {
  return std::any_of(plan.derive.begin(), plan.derive.end(),
                     [&](const DerivedColumn& d) { return d.name == name; });
}

// The columns an expression may read, typed as validation will type them (the
// table's type, else the declared, else the inferred one): the file's, then those
// the declared schema or the table have and the file lacks (NULL in its rows).
// Only their types matter: the expressions are compiled again, against the
// validation schema's order, once the table is resolved.
std::vector<ColumnDef> ExpressionInputs(const std::optional<TableDef>& existing,
                                        const TablePlan& plan, const FileSample& sample) {
  std::vector<ColumnDef> inputs;
  std::vector<ColumnDef> meta = MetadataColumns(plan.metadata);
  // A derived column in the table (loaded before) is no input; a file column of
  // that name is, so that compiling refuses it by name.
  auto add = [&](const ColumnDef& c, bool in_file) {
    if (!in_file && Derived(plan, c.name)) return;
    for (const ColumnDef& x : inputs) {
      if (x.name == c.name) return;
    }
    for (const ColumnDef& m : meta) {
      if (m.name == c.name) return;
    }
    ColumnDef typed = c;
    int i = existing ? existing->FindColumn(c.name) : -1;
    if (i >= 0) {
      typed.type = existing->columns[i].type;
    } else if (int d = plan.schema ? plan.schema->Find(c.name) : -1; d >= 0) {
      typed.type = plan.schema->columns[d].type;
    }
    typed.nullable = true;
    inputs.push_back(typed);
  };
  for (const std::string& name : sample.names) {
    const Schema& inferred = sample.inferred.Get(sample.names, sample.rows, sample.declared);
    int i = inferred.Find(name);
    add({name, i >= 0 ? inferred.columns[i].type : ColumnType::kString, true}, true);
  }
  if (plan.schema) {
    for (const ColumnDef& c : plan.schema->Defs()) add(c, false);
  }
  if (existing) {
    for (const ColumnDef& c : existing->columns) add(c, false);
  }
  return inputs;
}

// The plan's expressions compiled against `inputs`; a compile error refuses the
// file (InvalidData), naming the rule, the expression and the position.
Result<RowTransforms> CompileForFile(const TablePlan& plan, const std::vector<ColumnDef>& inputs) {
  Result<RowTransforms> t = RowTransforms::Compile(plan, inputs);
  if (!t) return Status::InvalidData(t.error().message());
  return t;
}

// Part 1: the table as it exists (`existing`), created first if it does not (from
// the declared schema, else the inferred one, without dropped columns, then the
// derived columns and the metadata columns).
Result<TableDef> ExistingOrCreated(Sink& sink, const TablePlan& plan, const FileSample& sample,
                                   const std::optional<TableDef>& existing,
                                   const std::vector<ColumnDef>& derived) {
  if (existing) return *existing;
  const Schema& schema =
      plan.schema ? *plan.schema : sample.inferred.Get(sample.names, sample.rows, sample.declared);
  TableDef def{plan.table, {}, plan.key};
  for (const ColumnDef& c : schema.Defs()) {
    if (!Dropped(plan, c.name)) def.columns.push_back(c);
  }
  for (const ColumnDef& c : derived) def.columns.push_back(c);
  for (ColumnDef& c : MetadataColumns(plan.metadata)) def.columns.push_back(std::move(c));
  for (const auto& k : def.key) {
    if (def.FindColumn(k) < 0) {
      return Status::InvalidData("key column \"" + k + "\" is not a column of table " + plan.table);
    }
  }
  RETURN_IF_ERROR(sink.EnsureTable(def));
  // Another worker may have created the table first; load into what exists.
  ASSIGN_OR_RETURN(std::optional<TableDef> created, sink.DescribeTable(plan.table));
  if (!created) return Status::Internal("table " + plan.table + " missing after creation");
  return *created;
}

// The columns the table lacks: declared ones, the file's own (not dropped), the
// derived ones, then the plan's metadata columns. A type comes from the declared
// schema, else from inference (from the expression for a derived column).
std::vector<ColumnDef> MissingColumns(const TableDef& table, const TablePlan& plan,
                                      const FileSample& sample,
                                      const std::vector<ColumnDef>& derived) {
  std::vector<ColumnDef> missing;
  auto add = [&](const ColumnDef& column) {
    if (table.FindColumn(column.name) >= 0 || Dropped(plan, column.name)) return;
    for (const ColumnDef& m : missing) {
      if (m.name == column.name) return;
    }
    missing.push_back({column.name, column.type, true});
  };
  if (plan.schema) {
    for (const ColumnDef& c : plan.schema->Defs()) add(c);
  }
  for (const std::string& name : sample.names) {
    if (table.FindColumn(name) >= 0 || (plan.schema && plan.schema->Find(name) >= 0)) continue;
    const Schema& inferred = sample.inferred.Get(sample.names, sample.rows, sample.declared);
    int i = inferred.Find(name);
    add({name, i >= 0 ? inferred.columns[i].type : ColumnType::kString, true});
  }
  for (const ColumnDef& c : derived) add(c);
  for (const ColumnDef& c : MetadataColumns(plan.metadata)) add(c);
  return missing;
}

// Part 2: `table` with the columns it lacks added, or InvalidData if the plan does
// not let the file add them. `added` gets the columns this call added.
Result<TableDef> AddMissingColumns(Sink& sink, const TablePlan& plan, const FileSample& sample,
                                   const std::vector<ColumnDef>& derived, TableDef table,
                                   std::vector<ColumnDef>& added) {
  std::vector<ColumnDef> missing = MissingColumns(table, plan, sample, derived);
  if (missing.empty()) return table;
  if (plan.schema_evolution != SchemaEvolution::kAddColumns) {
    return Status::InvalidData("table \"" + plan.table + "\" lacks column(s) " +
                               QuotedList(missing) +
                               " that the file brings; schema_evolution: add_columns "
                               "(--schema-evolution add_columns) would add them");
  }
  ASSIGN_OR_RETURN(added, sink.AddColumns(plan.table, missing));
  // Another worker may have added some of them first, with its own types.
  ASSIGN_OR_RETURN(std::optional<TableDef> described, sink.DescribeTable(plan.table));
  if (!described) return Status::Internal("table " + plan.table + " missing after ALTER TABLE");
  return *described;
}

// Part 3: the table's data columns in its order, then the metadata columns, found
// by name (ALTER TABLE puts added columns after them).
Result<TableDef> LoadOrder(const TableDef& table, const TablePlan& plan) {
  std::vector<ColumnDef> meta = MetadataColumns(plan.metadata);
  TableDef load{table.name, {}, table.key};
  for (const ColumnDef& column : table.columns) {
    bool is_meta = std::any_of(meta.begin(), meta.end(),
                               [&](const ColumnDef& m) { return m.name == column.name; });
    if (!is_meta) load.columns.push_back(column);
  }
  for (const ColumnDef& m : meta) {
    int i = table.FindColumn(m.name);
    if (i < 0) return Status::InvalidData("table \"" + plan.table + "\" has no column " + m.name);
    load.columns.push_back(table.columns[i]);
  }
  return load;
}

// Why the file's column of the same name cannot load into the table's column
// `in_table`, or "" if it can. A declared type must fit the table's; an undeclared
// column conflicts only when its sample has values and none of them is of the
// table's type, so a stray bad value stays a bad row and a column the sample shows
// empty never conflicts.
std::string TypeConflict(const ColumnDef& in_table, const TablePlan& plan,
                         const FileSample& sample) {
  auto conflict = [&](ColumnType file_type, const char* how) {
    return "column \"" + in_table.name + "\" of table \"" + plan.table + "\" is " +
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
  auto at = std::find(sample.names.begin(), sample.names.end(), in_table.name);
  if (at == sample.names.end()) return "";
  const size_t c = static_cast<size_t>(at - sample.names.begin());
  if (c >= sample.rows.columns().size()) return "";
  bool has_value = false;
  for (size_t r = 0; r < sample.rows.rows(); ++r) {
    if (sample.rows.IsNull(r, c)) continue;
    std::string_view value = TrimBlanks(sample.rows.Cell(r, c));
    if (value.empty()) continue;
    if (ParsesAs(value, in_table.type)) return "";
    has_value = true;
  }
  if (!has_value) return "";
  const Schema& inferred = sample.inferred.Get(sample.names, sample.rows, sample.declared);
  return conflict(c < inferred.columns.size() ? inferred.columns[c].type : ColumnType::kString,
                  "inferred from its first rows");
}

// Part 4: the schema rows are validated against: the load's data columns but the
// derived ones, each checked against the file's values and given a declared
// schema's rules, then the dropped columns of the file the table lacks (typed as
// declared, else as inferred), which expressions may read.
Result<Schema> CheckTypes(const TableDef& load, const TablePlan& plan, const FileSample& sample) {
  const size_t meta = MetadataColumns(plan.metadata).size();
  std::vector<ColumnDef> data;
  for (auto c = load.columns.begin(); c != load.columns.end() - static_cast<ptrdiff_t>(meta); ++c) {
    if (!Derived(plan, c->name)) data.push_back(*c);
  }
  Schema schema = SchemaFromDefs(data);
  for (const std::string& name : sample.names) {
    if (!Dropped(plan, name) || schema.Find(name) >= 0) continue;
    int d = plan.schema ? plan.schema->Find(name) : -1;
    if (d >= 0) {
      schema.columns.push_back(plan.schema->columns[d]);
    } else {
      const Schema& inferred = sample.inferred.Get(sample.names, sample.rows, sample.declared);
      int i = inferred.Find(name);
      schema.columns.push_back({name, i >= 0 ? inferred.columns[i].type : ColumnType::kString});
    }
  }
  for (ColumnSpec& column : schema.columns) {
    std::string why = TypeConflict({column.name, column.type, column.nullable}, plan, sample);
    if (!why.empty()) return Status::InvalidData(why);
    if (plan.schema) {
      int d = plan.schema->Find(column.name);
      if (d >= 0) column.rules = plan.schema->columns[d].rules;
    }
  }
  return schema;
}

// "a integer, b string, ...": a table's shape, for messages.
std::string Shape(const TableDef& table) {
  std::string out;
  for (const ColumnDef& c : table.columns) {
    out += (out.empty() ? "" : ", ") + c.name + " " + std::string(ColumnTypeName(c.type));
  }
  return out;
}

// Same column names and types in the same order (nullability aside: a sink may
// describe a column nullable that was created NOT NULL, or the reverse).
bool SameShape(const TableDef& a, const TableDef& b) {
  if (a.name != b.name || a.columns.size() != b.columns.size() || !b.key.empty()) return false;
  for (size_t i = 0; i < a.columns.size(); ++i) {
    if (a.columns[i].name != b.columns[i].name || a.columns[i].type != b.columns[i].type) {
      return false;
    }
  }
  return true;
}

// Part 5: the aggregates table of the loaded columns (`load`), created if it does
// not exist; one that exists must have the fixed shape, since every file's rows
// are written to it as they are. `known`: as an earlier resolution found it.
Result<TableDef> AggregatesFor(Sink& sink, const TablePlan& plan, const TableDef& load,
                               const std::optional<TableDef>& known) {
  Result<TableDef> want = AggregatesTable(*plan.aggregates, load);
  if (!want) return Status::InvalidData(want.error().message());
  if (known && SameShape(*want, *known)) return *want;
  ASSIGN_OR_RETURN(std::optional<TableDef> have, sink.DescribeTable(want->name));
  if (!have) {
    RETURN_IF_ERROR(sink.EnsureTable(*want));
    // Another worker may have created it first: it must have the shape too.
    ASSIGN_OR_RETURN(have, sink.DescribeTable(want->name));
    if (!have) return Status::Internal("table " + want->name + " missing after creation");
  }
  if (!SameShape(*want, *have)) {
    return Status::InvalidData("the aggregates table \"" + want->name + "\" exists as (" +
                               Shape(*have) + ")" + (have->key.empty() ? "" : " with a key") +
                               ", not as the aggregates of table \"" + plan.table + "\" need it (" +
                               Shape(*want) +
                               "); drop or rename it, or name another in aggregates: table:");
  }
  return *want;
}

}  // namespace

Result<ResolvedTable> ResolveTable(Sink& sink, const TablePlan& plan, const FileSample& sample,
                                   const std::optional<TableDef>& known,
                                   const std::optional<TableDef>& known_aggregates) {
  ResolvedTable out;
  std::optional<TableDef> existing = known;
  if (!existing) {
    ASSIGN_OR_RETURN(existing, sink.DescribeTable(plan.table));
  }
  std::vector<ColumnDef> derived;  // the derived columns loaded
  if (plan.transforms_rows()) {
    ASSIGN_OR_RETURN(RowTransforms t,
                     CompileForFile(plan, ExpressionInputs(existing, plan, sample)));
    for (const ColumnDef& c : t.derived()) {
      if (!Dropped(plan, c.name)) derived.push_back(c);
    }
  }
  ASSIGN_OR_RETURN(TableDef table, ExistingOrCreated(sink, plan, sample, existing, derived));
  ASSIGN_OR_RETURN(out.described,
                   AddMissingColumns(sink, plan, sample, derived, std::move(table), out.added));
  ASSIGN_OR_RETURN(out.load, LoadOrder(out.described, plan));
  ASSIGN_OR_RETURN(out.schema, CheckTypes(out.load, plan, sample));
  if (plan.transforms_rows()) {
    ASSIGN_OR_RETURN(out.transforms, CompileForFile(plan, out.schema.Defs()));
    const size_t meta = MetadataColumns(plan.metadata).size();
    RETURN_IF_ERROR(out.transforms->Bind(
        std::vector<ColumnDef>(out.load.columns.begin(),
                               out.load.columns.end() - static_cast<ptrdiff_t>(meta)),
        plan.drop));
  }
  if (plan.aggregates) {
    ASSIGN_OR_RETURN(out.aggregates, AggregatesFor(sink, plan, out.load, known_aggregates));
  }
  return out;
}

}  // namespace sluice

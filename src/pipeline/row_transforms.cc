#include "pipeline/row_transforms.h"

#include <algorithm>

namespace sluice {
namespace {

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

// How a compile error of an expression that names a column not among the inputs
// begins after its position (transform/expr/expression.h: "at 14: unknown column
// 'tmp'"): the start-up check defers those to the file.
bool IsUnknownColumn(const Status& status) {
  return status.message().find(": unknown column") != std::string::npos;
}

// The value vector of a column's type: the one that holds a value per row.
template <typename T>
std::vector<T>& Values(Column& c);
template <>
std::vector<int64_t>& Values(Column& c) {
  return c.ints;
}
template <>
std::vector<double>& Values(Column& c) {
  return c.floats;
}
template <>
std::vector<std::string_view>& Values(Column& c) {
  return c.strings;
}

// Appends the values of `from` at the rows `kept` (ascending) to `to`, converted
// to To (integer into float), a null as Column::AppendNull has it (zero or empty:
// an expression may leave any value under its nulls).
template <typename From, typename To>
void AppendKept(const std::vector<From>& from, const std::vector<uint8_t>& nulls,
                const std::vector<uint32_t>* kept, size_t rows, std::vector<To>& to) {
  size_t at = to.size();
  to.resize(at + (kept != nullptr ? kept->size() : rows));
  To* out = to.data() + at;
  if (kept == nullptr) {
    for (size_t r = 0; r < rows; ++r) out[r] = nulls[r] ? To{} : static_cast<To>(from[r]);
  } else {
    for (uint32_t r : *kept) *out++ = nulls[r] ? To{} : static_cast<To>(from[r]);
  }
}

// Moves the kept rows of `from` into an empty `to` of the same type: compacted in
// place and swapped, so that no row is copied twice; `from` is left empty.
template <typename T>
void MoveKept(Column& from, const std::vector<uint32_t>* kept, Column& to) {
  std::vector<T>& values = Values<T>(from);
  std::vector<uint8_t>& nulls = from.nulls;
  if (kept == nullptr) {
    for (size_t r = 0; r < nulls.size(); ++r) {
      if (nulls[r]) values[r] = T{};
    }
  } else {
    size_t at = 0;
    for (uint32_t r : *kept) {
      values[at] = nulls[r] ? T{} : values[r];
      nulls[at++] = nulls[r];
    }
    values.resize(at);
    nulls.resize(at);
  }
  Values<T>(to).swap(values);
  to.nulls.swap(nulls);
  values.clear();
  nulls.clear();
}

// Appends the rows of `from` that are kept (all when `kept` is null) to `to`, of
// a type `from` fits. Column by column, so that each loop is over one vector;
// with `may_move`, `from` is moved when `to` is empty and of its type (`from` is
// then empty).
void CopyKept(Column& from, const std::vector<uint32_t>* kept, bool may_move, Column& to) {
  const ColumnType type = from.def.type;
  const size_t rows = from.nulls.size();
  if (may_move && to.def.type == type && to.nulls.empty()) {
    if (type == ColumnType::kString) {
      MoveKept<std::string_view>(from, kept, to);
    } else if (type == ColumnType::kFloat) {
      MoveKept<double>(from, kept, to);
    } else {
      MoveKept<int64_t>(from, kept, to);
    }
    return;
  }
  if (type == ColumnType::kString) {
    AppendKept(from.strings, from.nulls, kept, rows, to.strings);
  } else if (type == ColumnType::kFloat) {
    AppendKept(from.floats, from.nulls, kept, rows, to.floats);
  } else if (to.def.type == ColumnType::kFloat) {
    AppendKept(from.ints, from.nulls, kept, rows, to.floats);  // integer into float
  } else {
    AppendKept(from.ints, from.nulls, kept, rows, to.ints);
  }
  std::vector<uint8_t>& nulls = to.nulls;
  const size_t at = nulls.size();
  if (kept == nullptr) {
    nulls.insert(nulls.end(), from.nulls.begin(), from.nulls.end());
  } else {
    nulls.resize(at + kept->size());
    for (size_t i = 0; i < kept->size(); ++i) nulls[at + i] = from.nulls[(*kept)[i]];
  }
}

}  // namespace

Result<RowTransforms> RowTransforms::Compile(const TablePlan& plan,
                                             const std::vector<ColumnDef>& inputs,
                                             bool defer_unknown_columns) {
  RowTransforms t;
  t.derive_origin_ = plan.derive_origin;
  t.filter_origin_ = plan.filter_origin;
  t.work_ = inputs;
  for (const DerivedColumn& d : plan.derive) {
    const std::string what = plan.derive_origin + ": derive '" + d.name + "' " + Quoted(d.expr);
    auto same_name = [&](const ColumnDef& c) { return c.name == d.name; };
    if (std::any_of(t.derived_.begin(), t.derived_.end(), same_name)) {
      return Status::InvalidArgument(what + ": a column of that name is derived before");
    }
    if (std::any_of(inputs.begin(), inputs.end(), same_name)) {
      return Status::InvalidArgument(what + ": the file has a column '" + d.name +
                                     "' already; give the derived column another name");
    }
    Result<Expression> e = CompileExpression(d.expr, t.work_);
    if (!e) {
      // Those after it are still checked; one that reads it is deferred too.
      if (defer_unknown_columns && IsUnknownColumn(e.error())) continue;
      return Status::InvalidArgument(what + ": " + e.error().message());
    }
    t.derived_.push_back({d.name, e->type(), true});
    t.work_.push_back(t.derived_.back());
    t.derive_.push_back(std::move(*e));
  }
  if (!plan.filter.empty()) {
    const std::string what = plan.filter_origin + ": filter " + Quoted(plan.filter);
    Result<Expression> e = CompileExpression(plan.filter, t.work_);
    if (!e) {
      if (defer_unknown_columns && IsUnknownColumn(e.error())) return t;
      return Status::InvalidArgument(what + ": " + e.error().message());
    }
    if (e->type() != ColumnType::kBoolean) {
      return Status::InvalidArgument(what + ": must be true or false for a row, not " +
                                     std::string(ColumnTypeName(e->type())));
    }
    t.filter_ = std::move(*e);
  }
  return t;
}

Status RowTransforms::Bind(const std::vector<ColumnDef>& load_data_columns,
                           const std::vector<std::string>& drop) {
  source_.clear();
  for (const ColumnDef& column : load_data_columns) {
    int source = -1;
    if (std::find(drop.begin(), drop.end(), column.name) == drop.end()) {
      for (size_t i = 0; i < work_.size(); ++i) {
        if (work_[i].name == column.name) source = static_cast<int>(i);
      }
    }
    if (source >= 0) {
      // Input columns have the table's types (validation uses them); a derived
      // column's must be the same, or integer into a float column.
      const ColumnType from = work_[source].type;
      if (from != column.type &&
          !(from == ColumnType::kInteger && column.type == ColumnType::kFloat)) {
        return Status::InvalidData("column \"" + column.name + "\" of the table is " +
                                   std::string(ColumnTypeName(column.type)) + " but " +
                                   derive_origin_ + " derives it as " +
                                   std::string(ColumnTypeName(from)) + "; cast(... as " +
                                   std::string(ColumnTypeName(column.type)) +
                                   ") in the expression, or load into another table");
      }
    }
    source_.push_back(source);
  }
  // A work column that loads into one column only may be moved there.
  movable_.assign(source_.size(), 0);
  for (size_t c = 0; c < source_.size(); ++c) {
    movable_[c] = source_[c] >= 0 && std::count(source_.begin(), source_.end(), source_[c]) == 1;
  }
  return Status::Ok();
}

Result<RowTransforms::Counts> RowTransforms::Apply(Batch& work, const TextBatch& text, Batch& out,
                                                   RowErrorSink& errors, StringArena& arena,
                                                   std::vector<uint64_t>* filtered_lines) const {
  const size_t rows = work.rows();
  const size_t inputs = work_.size() - derived_.size();
  std::vector<Failure> failures;
  std::vector<RowFailure> found;
  for (size_t d = 0; d < derive_.size(); ++d) {
    found.clear();
    Column& column = work.columns()[inputs + d];
    RETURN_IF_ERROR(derive_[d].Evaluate(work, column, found, arena));
    column.def.nullable = true;
    for (RowFailure& f : found) {
      failures.push_back({f.row, derived_[d].name,
                          derive_origin_ + ": derive '" + derived_[d].name + "' " +
                              Quoted(derive_[d].text()) + ": " + f.message});
    }
  }
  std::vector<uint8_t> keep(rows, 1);
  Counts counts;
  if (filter_) {
    Column result;
    result.def = {"", ColumnType::kBoolean, true};
    found.clear();
    RETURN_IF_ERROR(filter_->Evaluate(work, result, found, arena));
    for (RowFailure& f : found) {
      failures.push_back(
          {f.row, "", filter_origin_ + ": filter " + Quoted(filter_->text()) + ": " + f.message});
    }
    for (size_t r = 0; r < rows; ++r) keep[r] = !result.IsNull(r) && result.ints[r] != 0;
  }
  // A failed row is bad whatever the filter says; the first failure of a row
  // (in column order, then the filter) is its reason.
  std::stable_sort(failures.begin(), failures.end(),
                   [](const Failure& a, const Failure& b) { return a.row < b.row; });
  size_t text_row = 0;
  for (size_t i = 0; i < failures.size(); ++i) {
    const Failure& f = failures[i];
    if (i > 0 && failures[i - 1].row == f.row) continue;
    keep[f.row] = 2;  // bad, not filtered
    while (text_row + 1 < text.rows() && text.Line(text_row) < work.Line(f.row)) ++text_row;
    RowError e;
    e.line = work.Line(f.row);
    if (text_row < text.rows() && text.Line(text_row) == e.line) {
      e.byte_offset = text.Offset(text_row);
      e.raw = std::string(text.Raw(text_row));
    }
    e.column = f.column;
    e.message = f.message;
    e.kind = RowErrorKind::kTransform;
    e.hint = "correct the value, or make the expression handle it (case when, nullif, coalesce)";
    errors.Report(std::move(e));
    ++counts.failed;
  }
  for (size_t r = 0; r < rows; ++r) {
    if (keep[r] == 2) {
      keep[r] = 0;
    } else if (keep[r] == 0) {
      ++counts.filtered;
      if (filtered_lines != nullptr) filtered_lines->push_back(work.Line(r));
    }
  }
  // The rows kept, unless all are.
  std::vector<uint32_t> kept;
  bool all_kept = true;
  for (size_t r = 0; r < rows && all_kept; ++r) all_kept = keep[r] != 0;
  if (!all_kept) {
    kept.reserve(rows);
    for (size_t r = 0; r < rows; ++r) {
      if (keep[r]) kept.push_back(static_cast<uint32_t>(r));
    }
  }
  const std::vector<uint32_t>* which = all_kept ? nullptr : &kept;
  const size_t kept_rows = all_kept ? rows : kept.size();
  for (size_t c = 0; c < source_.size(); ++c) {
    Column& to = out.columns()[c];
    if (source_[c] >= 0) {
      CopyKept(work.columns()[source_[c]], which, movable_[c] != 0, to);
    } else {
      to.AppendNulls(kept_rows);
    }
  }
  for (size_t i = 0; i < kept_rows; ++i) out.FinishRow(work.Line(all_kept ? i : kept[i]));
  return counts;
}

Result<RowTransforms::Counts> ConvertBatch(Validator& validator, const RowTransforms* transforms,
                                           const TextBatch& text,
                                           const std::vector<std::string>& names, Batch& work,
                                           Batch& out, RowErrorSink& errors, StringArena& arena,
                                           std::vector<uint64_t>* filtered_lines) {
  if (transforms == nullptr) {
    return RowTransforms::Counts{validator.Convert(text, names, out, errors), 0};
  }
  work.Clear();
  arena.Clear();
  const uint64_t invalid = validator.Convert(text, names, work, errors);
  ASSIGN_OR_RETURN(RowTransforms::Counts counts,
                   transforms->Apply(work, text, out, errors, arena, filtered_lines));
  counts.failed += invalid;
  return counts;
}

}  // namespace sluice

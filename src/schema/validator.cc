#include "schema/validator.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>

#include "core/cell_parse.h"
#include "schema/allowed_table.h"
#include "schema/cell_error.h"

namespace sluice {

// Answers "is this string cell valid UTF-8". Validating the batch's whole arena
// once (SIMD, many GB/s) and then checking only that a cell starts and ends on
// character boundaries is much cheaper than a validator call per short cell; when
// the arena holds an invalid byte anywhere, each cell is checked on its own.
class Validator::Utf8Check {
 public:
  Utf8Check(const TextBatch& in, bool needed) {
    if (!needed) return;
    arena_ = in.View(Span{0, static_cast<uint32_t>(in.arena_bytes())});
    arena_valid_ = simdjson::validate_utf8(arena_.data(), arena_.size());
  }

  // Requires `cell` to be a view into the batch's arena.
  bool Valid(std::string_view cell) const {
    if (cell.empty()) return true;
    if (arena_valid_ && AtBoundary(cell.data()) && AtBoundary(cell.data() + cell.size())) {
      return true;
    }
    return simdjson::validate_utf8(cell.data(), cell.size());
  }

 private:
  // True at the end of the arena or on the first byte of a character.
  bool AtBoundary(const char* p) const {
    return p == arena_.data() + arena_.size() || (static_cast<unsigned char>(*p) & 0xC0) != 0x80;
  }

  std::string_view arena_;
  bool arena_valid_ = false;
};

namespace {

using schema_internal::AllowedTable;

// The text path's per-cell lambdas run once per cell: inlined into
// ConvertRows' loop, they save a call and its register saves per cell.
#define INLINE_CELL __attribute__((always_inline))

template <typename T>
void DropRows(std::vector<T>& values, const std::vector<uint32_t>& row_error) {
  // This call's rows are the last row_error.size() entries.
  const size_t base = values.size() - row_error.size();
  size_t kept = base;
  for (size_t r = 0; r < row_error.size(); ++r) {
    if (row_error[r] == 0) values[kept++] = values[base + r];
  }
  values.resize(kept);
}

// Removes the placeholders of rejected rows from a column Convert appended to.
// Which value vector holds them follows Column::AppendNull.
void DropRejectedRows(Column& column, const std::vector<uint32_t>& row_error) {
  DropRows(column.nulls, row_error);
  switch (column.def.type) {
    case ColumnType::kFloat:
      DropRows(column.floats, row_error);
      break;
    case ColumnType::kString:
      DropRows(column.strings, row_error);
      break;
    default:
      DropRows(column.ints, row_error);
      break;
  }
}

// The allowed and regex rules of a column on a cell's text, whose bytes may be
// read up to `readable_end`.
[[gnu::always_inline]] inline CellError CheckText(const AllowedTable* allowed,
                                                  const RegexRule* regex, std::string_view cell,
                                                  const char* readable_end) {
  if (allowed != nullptr && !allowed->Contains(cell, readable_end)) return CellError::kNotAllowed;
  if (regex != nullptr && !regex->Matches(cell)) {
    return CellError::kNoMatch;
  }
  return CellError::kNone;
}

}  // namespace

Result<Validator> Validator::Create(const Schema& schema) {
  Validator v;
  v.schema_ = schema;
  const size_t n = schema.columns.size();
  v.regexes_.resize(n);
  v.allowed_.resize(n);
  v.source_of_.assign(n, -1);
  for (size_t c = 0; c < n; ++c) {
    const ColumnSpec& spec = schema.columns[c];
    if (spec.rules.regex) {
      auto compiled = RegexRule::Compile(*spec.rules.regex);
      if (!compiled) {
        std::string m = ColumnPrefix(spec.name) + "regex ";
        AppendQuoted(m, *spec.rules.regex);
        m += " " + compiled.error().message();
        return Status::InvalidArgument(std::move(m));
      }
      v.regexes_[c] = std::move(*compiled);
    }
    v.index_.emplace(spec.name, static_cast<int>(c));  // the first of a name, as Schema::Find
    v.allowed_[c] = spec.rules.allowed;
    std::sort(v.allowed_[c].begin(), v.allowed_[c].end());
    if (spec.type == ColumnType::kString) v.has_strings_ = true;
  }
  return v;
}

int Validator::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

Status Validator::Bind(const std::vector<std::string>& file_columns) {
  file_columns_ = file_columns;
  source_of_.assign(schema_.columns.size(), -1);
  unknown_columns_.clear();
  std::string unknown;
  std::string repeated;
  for (size_t i = 0; i < file_columns.size(); ++i) {
    const int c = Find(file_columns[i]);
    if (c >= 0 && source_of_[c] < 0) {
      source_of_[c] = static_cast<int>(i);
      continue;
    }
    std::string& list = c < 0 ? unknown : repeated;
    if (!list.empty()) list += ", ";
    AppendQuoted(list, file_columns[i]);
  }
  std::string missing;
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    if (source_of_[c] >= 0 || schema_.columns[c].nullable) continue;
    if (!missing.empty()) missing += ", ";
    AppendQuoted(missing, schema_.columns[c].name);
  }
  if (missing.empty() && unknown.empty() && repeated.empty()) return Status::Ok();

  std::string message;
  auto add = [&message](std::string_view part) {
    if (!message.empty()) message += "; ";
    message += part;
  };
  if (!missing.empty()) add("missing non-nullable columns: " + missing);
  if (!unknown.empty()) {
    std::string known;
    for (const ColumnSpec& spec : schema_.columns) {
      if (!known.empty()) known += ", ";
      known += spec.name;
    }
    add("columns not in the schema: " + unknown + " (schema columns: " + known + ")");
  }
  if (!repeated.empty()) add("columns given more than once: " + repeated);
  return Status::InvalidData(std::move(message));
}

void Validator::BindNewColumns(const std::vector<std::string>& columns) {
  for (size_t i = file_columns_.size(); i < columns.size(); ++i) {
    file_columns_.push_back(columns[i]);
    const int c = Find(columns[i]);
    if (c >= 0 && source_of_[c] < 0) {
      source_of_[c] = static_cast<int>(i);
    } else {
      unknown_columns_.push_back(i);
    }
  }
}

size_t Validator::Convert(const TextBatch& in, const std::vector<std::string>& column_names,
                          Batch& out, RowErrorSink& errors) {
  assert(out.columns().size() >= schema_.columns.size());
  assert(column_names.size() == in.columns().size());
  BindNewColumns(column_names);
  const size_t rows = in.rows();
  row_error_.assign(rows, 0);
  pending_.clear();

  // Column at a time: the type dispatch is per column, reads are sequential, and a
  // row rejected by an earlier column only gets a placeholder in later ones.
  const Utf8Check utf8(in, has_strings_);
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    ConvertColumn(c, in, out.columns()[c], utf8);
  }
  for (size_t u : unknown_columns_) {
    if (u >= in.columns().size()) continue;
    for (size_t r = 0; r < rows; ++r) {
      if (row_error_[r] != 0 || in.IsNull(r, u)) continue;
      std::string message = "column ";
      AppendQuoted(message, in.columns()[u]);
      message += " is not in the schema";
      Reject(in, r, in.columns()[u], std::move(message), RowErrorKind::kUnknownColumn,
             "declare the column in the table's schema to load it");
    }
  }

  if (!pending_.empty()) {
    for (size_t c = 0; c < schema_.columns.size(); ++c) {
      DropRejectedRows(out.columns()[c], row_error_);
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    if (row_error_[r] == 0) {
      out.FinishRow(in.Line(r));
    } else {
      errors.Report(std::move(pending_[row_error_[r] - 1]));
    }
  }
  return pending_.size();
}

void Validator::ConvertColumn(size_t c, const TextBatch& in, Column& out, const Utf8Check& utf8) {
  const ColumnSpec& spec = schema_.columns[c];
  assert(out.def.type == spec.type);
  // Rules are resolved once per column so that the per-cell lambdas below only
  // test what the column declares.
  const bool check_text = !allowed_[c].empty() || regexes_[c] != nullptr;
  const double min = spec.rules.min.value_or(-std::numeric_limits<double>::infinity());
  const double max = spec.rules.max.value_or(std::numeric_limits<double>::infinity());
  const char* format = spec.rules.format ? spec.rules.format->c_str() : nullptr;
  const AllowedTable allowed_table(allowed_[c]);
  const AllowedTable* allowed = allowed_[c].empty() ? nullptr : &allowed_table;
  const RegexRule* regex = regexes_[c].get();
  // How far a cell's bytes may be read: a cell in the batch's arena up to the
  // arena's end (the short-number parsers and the allowed check read 8 bytes at
  // a time, past a short cell's end), other text (a textless cell's, made in
  // scratch_) to its own end.
  const std::string_view arena = in.View(Span{0, static_cast<uint32_t>(in.arena_bytes())});
  auto readable_end = [&](std::string_view cell) INLINE_CELL {
    const uintptr_t at = reinterpret_cast<uintptr_t>(cell.data());
    return at - reinterpret_cast<uintptr_t>(arena.data()) < arena.size()
               ? arena.data() + arena.size()
               : cell.data() + cell.size();
  };
  auto text_rules = [&](std::string_view cell) INLINE_CELL {
    return check_text ? CheckText(allowed, regex, cell, readable_end(cell)) : CellError::kNone;
  };

  // Every row gets its place now (a null or rejected row keeps a zero); cells
  // then write their values in place, with no per-cell append.
  const size_t base = out.Grow(in.rows());

  const TypedCells* typed = TypedSource(c, in);
  if (typed != nullptr && !typed->per_cell && ConvertTypedColumn(c, in, out, base, *typed)) return;
  // A cell's text for the text path, made when the cell is textless (a per-cell
  // typed column's cells without a typed value have their text, trimmed).
  auto text_of = [&](std::string_view cell, size_t r) {
    const size_t source = static_cast<size_t>(source_of_[c]);
    if (!in.Textless(source) || (typed->per_cell && typed->kinds[r] == TypedKind::kText)) {
      return cell;
    }
    return in.CellText(r, source, scratch_);
  };
  switch (spec.type) {
    case ColumnType::kString:
      if (const TypedCells* dict = DictionarySource(c, in); dict != nullptr) {
        // Each entry's checks once; a cell that is no entry is checked itself.
        entry_errors_.clear();
        for (const Span entry : dict->entries) {
          const std::string_view value = in.View(entry);
          entry_errors_.push_back(!simdjson::validate_utf8(value.data(), value.size())
                                      ? CellError::kInvalidUtf8
                                      : text_rules(value));
        }
        if (ConvertDictionaryColumn(c, in, out, base, *dict)) return;
        const int64_t* entry_of = dict->ints.data();
        const CellError* entry_errors = entry_errors_.data();
        ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) INLINE_CELL {
          const int64_t entry = entry_of[r];
          CellError error;
          if (entry >= 0) {
            error = entry_errors[entry];
          } else {
            error = utf8.Valid(cell) ? text_rules(cell) : CellError::kInvalidUtf8;
          }
          if (error == CellError::kNone) out.SetString(base + r, cell);
          return error;
        });
        return;
      }
      ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) INLINE_CELL {
        if (!utf8.Valid(cell)) return CellError::kInvalidUtf8;
        const CellError error = text_rules(cell);
        if (error == CellError::kNone) out.SetString(base + r, cell);
        return error;
      });
      return;
    case ColumnType::kInteger: {
      auto take = [&](int64_t v, size_t r) {
        if (static_cast<double>(v) < min) return CellError::kBelowMin;
        if (static_cast<double>(v) > max) return CellError::kAboveMax;
        out.SetInt(base + r, v);
        return CellError::kNone;
      };
      auto parse = [&](std::string_view cell, size_t r) INLINE_CELL {
        int64_t v = 0;
        const ParseResult parsed = ParseInteger(cell, readable_end(cell), &v);
        if (parsed != ParseResult::kOk) {
          return parsed == ParseResult::kOutOfRange ? CellError::kOutOfRange : CellError::kNotType;
        }
        // Compared as doubles: exact below 2^53, which covers any bound a schema
        // would sensibly declare.
        if (static_cast<double>(v) < min) return CellError::kBelowMin;
        if (static_cast<double>(v) > max) return CellError::kAboveMax;
        const CellError error = text_rules(cell);
        if (error == CellError::kNone) out.SetInt(base + r, v);
        return error;
      };
      if (typed == nullptr) {
        ConvertRows(c, in, out, base, parse);
      } else if (typed->per_cell) {
        ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) {
          return typed->kinds[r] == TypedKind::kInteger ? take(typed->ints[r], r)
                                                        : parse(text_of(cell, r), r);
        });
      } else {
        ConvertRows(c, in, out, base,
                    [&](std::string_view, size_t r) { return take(typed->ints[r], r); });
      }
      return;
    }
    case ColumnType::kFloat: {
      auto parse = [&](std::string_view cell, size_t r) INLINE_CELL {
        double v = 0;
        const ParseResult parsed = ParseFloat(cell, readable_end(cell), &v);
        if (parsed != ParseResult::kOk) {
          return parsed == ParseResult::kOutOfRange ? CellError::kOutOfRange : CellError::kNotType;
        }
        if (v < min) return CellError::kBelowMin;
        if (v > max) return CellError::kAboveMax;
        const CellError error = text_rules(cell);
        if (error == CellError::kNone) out.SetFloat(base + r, v);
        return error;
      };
      if (typed == nullptr) {
        ConvertRows(c, in, out, base, parse);
        return;
      }
      if (typed->per_cell) {
        ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) {
          double v = 0;
          switch (typed->kinds[r]) {
            case TypedKind::kInteger:
              v = static_cast<double>(typed->ints[r]);  // rounds as parsing the text does
              break;
            case TypedKind::kFloat:
              v = typed->Float(r);
              break;
            default:
              return parse(text_of(cell, r), r);
          }
          if (v < min) return CellError::kBelowMin;
          if (v > max) return CellError::kAboveMax;
          out.SetFloat(base + r, v);
          return CellError::kNone;
        });
        return;
      }
      ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) {
        const double v = typed->type == ColumnType::kFloat ? typed->floats[r]
                                                           : static_cast<double>(typed->ints[r]);
        // NaN and infinities have text the text path refuses: let it say so.
        if (!std::isfinite(v)) return parse(text_of(cell, r), r);
        if (v < min) return CellError::kBelowMin;
        if (v > max) return CellError::kAboveMax;
        out.SetFloat(base + r, v);
        return CellError::kNone;
      });
      return;
    }
    case ColumnType::kBoolean: {
      auto parse = [&](std::string_view cell, size_t r) INLINE_CELL {
        bool v = false;
        if (!ParseBoolean(cell, &v)) return CellError::kNotType;
        const CellError error = text_rules(cell);
        if (error == CellError::kNone) out.SetInt(base + r, v ? 1 : 0);
        return error;
      };
      if (typed == nullptr) {
        ConvertRows(c, in, out, base, parse);
        return;
      }
      ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) {
        // A per-cell column's numbers ("1", "0") are booleans by their text.
        if (typed->per_cell && typed->kinds[r] != TypedKind::kBoolean) {
          return parse(text_of(cell, r), r);
        }
        out.SetInt(base + r, typed->ints[r] != 0 ? 1 : 0);
        return CellError::kNone;
      });
      return;
    }
    case ColumnType::kDate: {
      auto parse = [&](std::string_view cell, size_t r) INLINE_CELL {
        int64_t days = 0;
        const bool ok =
            format != nullptr ? ParseFormattedDate(cell, format, &days) : ParseIsoDate(cell, &days);
        if (!ok) return CellError::kNotType;
        const CellError error = text_rules(cell);
        if (error == CellError::kNone) out.SetInt(base + r, days);
        return error;
      };
      if (typed == nullptr) {
        ConvertRows(c, in, out, base, parse);
        return;
      }
      ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) {
        const int64_t days = typed->ints[r];
        // Years 1 to 9999 print as YYYY-MM-DD; others have text the parser judges.
        if (days < kFirstDay || days > kLastDay) return parse(text_of(cell, r), r);
        out.SetInt(base + r, days);
        return CellError::kNone;
      });
      return;
    }
    case ColumnType::kTimestamp: {
      auto parse = [&](std::string_view cell, size_t r) INLINE_CELL {
        int64_t micros = 0;
        const bool ok = format != nullptr ? ParseFormattedTimestamp(cell, format, &micros)
                                          : ParseIsoTimestamp(cell, &micros);
        if (!ok) return CellError::kNotType;
        const CellError error = text_rules(cell);
        if (error == CellError::kNone) out.SetInt(base + r, micros);
        return error;
      };
      if (typed == nullptr) {
        ConvertRows(c, in, out, base, parse);
        return;
      }
      ConvertRows(c, in, out, base, [&](std::string_view cell, size_t r) {
        const int64_t micros = typed->ints[r];
        if (micros < kFirstDay * kMicrosPerDay || micros >= (kLastDay + 1) * kMicrosPerDay) {
          return parse(text_of(cell, r), r);
        }
        out.SetInt(base + r, micros);
        return CellError::kNone;
      });
      return;
    }
  }
}

std::vector<bool> Validator::TextlessColumns(const TextBatch& sample) const {
  std::vector<bool> textless(sample.columns().size(), false);
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    if (TypedSource(c, sample) != nullptr) textless[static_cast<size_t>(source_of_[c])] = true;
  }
  return textless;
}

const TypedCells* Validator::TypedSource(size_t c, const TextBatch& in) const {
  const ColumnSpec& spec = schema_.columns[c];
  const int source = source_of_[c];
  if (source < 0 || static_cast<size_t>(source) >= in.columns().size()) return nullptr;
  const TypedCells* typed = in.Typed(static_cast<size_t>(source));
  // Rules on the text, and formats (which describe text), need the text path.
  if (typed == nullptr || !allowed_[c].empty() || regexes_[c] != nullptr || spec.rules.format) {
    return nullptr;
  }
  if (typed->per_cell) {
    // Rows without a typed value of the column's kind go the text path, row by row.
    return spec.type == ColumnType::kInteger || spec.type == ColumnType::kFloat ||
                   spec.type == ColumnType::kBoolean
               ? typed
               : nullptr;
  }
  const bool usable = typed->type == spec.type ||
                      (spec.type == ColumnType::kFloat && typed->type == ColumnType::kInteger);
  return usable && spec.type != ColumnType::kString ? typed : nullptr;
}

const TypedCells* Validator::DictionarySource(size_t c, const TextBatch& in) const {
  const int source = source_of_[c];
  if (source < 0 || static_cast<size_t>(source) >= in.columns().size()) return nullptr;
  const TypedCells* typed = in.Typed(static_cast<size_t>(source));
  return typed != nullptr && !typed->per_cell && typed->type == ColumnType::kString ? typed
                                                                                    : nullptr;
}

template <typename ConvertCell>
void Validator::ConvertRows(size_t c, const TextBatch& in, Column& out, size_t base,
                            ConvertCell convert) {
  const ColumnSpec& spec = schema_.columns[c];
  const int source = source_of_[c];
  const bool present = source >= 0 && static_cast<size_t>(source) < in.columns().size();
  // A textless column's cells have no bytes: nullness is the cell's, and the text
  // is made only for a message.
  const bool textless = present && in.Textless(static_cast<size_t>(source));
  const bool trim = spec.type != ColumnType::kString;
  // In a per-cell typed column, only the typed cells are textless (and their text
  // has no blanks to trim).
  const TypedCells* typed = present ? in.Typed(static_cast<size_t>(source)) : nullptr;
  const TypedKind* kinds = typed != nullptr && typed->per_cell ? typed->kinds.data() : nullptr;
  for (size_t r = 0; r < in.rows(); ++r) {
    if (row_error_[r] != 0) {
      out.SetNull(base + r);
      continue;
    }
    std::string_view cell;
    bool null = !present || in.IsNull(r, source);
    if (!null) {
      cell = in.Cell(r, source);
      if (trim && (kinds == nullptr ? !textless : kinds[r] == TypedKind::kText)) {
        cell = TrimBlanks(cell);
        null = cell.empty();
      }
    }
    if (null) {
      if (!spec.nullable) {
        Reject(in, r, spec.name, ColumnPrefix(spec.name) + "NULL in a non-nullable column",
               RowErrorKind::kNull, "give the column a value, or declare it nullable: true");
      }
      out.SetNull(base + r);
      continue;
    }
    const CellError error = convert(cell, r);
    if (error != CellError::kNone) {
      if (textless && (kinds == nullptr || kinds[r] != TypedKind::kText)) {
        cell = in.CellText(r, static_cast<size_t>(source), scratch_);
      }
      Reject(in, r, spec.name, CellMessage(spec, error, cell), CellKind(spec, error),
             CellHint(spec, error));
      out.SetNull(base + r);
    }
  }
}

void Validator::Reject(const TextBatch& in, size_t row, std::string column, std::string message,
                       RowErrorKind kind, std::string hint) {
  RowError error;
  error.line = in.Line(row);
  error.byte_offset = in.Offset(row);
  error.column = std::move(column);
  error.message = std::move(message);
  error.kind = kind;
  error.hint = std::move(hint);
  const std::string_view raw = in.Raw(row);
  if (!raw.empty()) {
    error.raw = raw;
  } else {
    for (size_t c = 0; c < in.columns().size(); ++c) {
      if (c > 0) error.raw += ',';
      error.raw += in.CellText(row, c, scratch_);
    }
  }
  pending_.push_back(std::move(error));
  row_error_[row] = static_cast<uint32_t>(pending_.size());
}

}  // namespace sluice

// Test fixture of the expression tests: a one-row batch with a column of every
// type (and a null one of every type), and Eval(text), which compiles and
// evaluates an expression on it and renders the result as text:
//   the value ("7", "2.5", "true", "2024-02-29", "2024-02-29 13:45:30.5", "Hello"),
//   "NULL", "fail: <row failure>" or "error: <compile error>".
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/batch.h"
#include "core/cell_parse.h"
#include "core/iso_time.h"
#include "transform/expr/expression.h"

namespace sluice::testing {

// The text of row `r` of a column, as in the fixture's renderings.
inline std::string Render(const Column& c, size_t r) {
  if (c.IsNull(r)) return "NULL";
  char buf[kIsoTextCapacity];
  switch (c.def.type) {
    case ColumnType::kInteger:
      return std::to_string(c.ints[r]);
    case ColumnType::kFloat:
      return FormatFloat(c.floats[r]);
    case ColumnType::kBoolean:
      return c.ints[r] != 0 ? "true" : "false";
    case ColumnType::kDate:
      return std::string(buf, FormatIsoDate(c.ints[r], buf));
    case ColumnType::kTimestamp:
      return std::string(buf, FormatIsoTimestamp(c.ints[r], buf));
    case ColumnType::kString:
      return std::string(c.strings[r]);
  }
  return "?";
}

class ExprTest : public ::testing::Test {
 protected:
  ExprTest() {
    defs_ = {{"i", ColumnType::kInteger, false},    {"f", ColumnType::kFloat, false},
             {"s", ColumnType::kString, false},     {"b", ColumnType::kBoolean, false},
             {"d", ColumnType::kDate, false},       {"t", ColumnType::kTimestamp, false},
             {"ni", ColumnType::kInteger, true},    {"nf", ColumnType::kFloat, true},
             {"ns", ColumnType::kString, true},     {"nb", ColumnType::kBoolean, true},
             {"nd", ColumnType::kDate, true},       {"nt", ColumnType::kTimestamp, true},
             {"zero", ColumnType::kInteger, false}, {"u", ColumnType::kString, false}};
    batch_.Reset(defs_);
    auto& c = batch_.columns();
    int64_t day = 0;
    int64_t micros = 0;
    ParseIsoDate("2024-02-29", &day);
    ParseIsoTimestamp("2024-02-29T13:45:30.5Z", &micros);
    c[0].AppendInt(7);
    c[1].AppendFloat(2.5);
    c[2].AppendString("Hello");
    c[3].AppendInt(1);
    c[4].AppendInt(day);
    c[5].AppendInt(micros);
    for (size_t i = 6; i < 12; ++i) c[i].AppendNull();
    c[12].AppendInt(0);
    c[13].AppendString("h\xC3\xA9llo w\xC3\xB6rld");  // "héllo wörld": 11 characters
    batch_.FinishRow(1);
  }

  // Compiles `text` against the fixture's columns and evaluates it on its row.
  std::string Eval(const std::string& text) {
    Result<Expression> e = CompileExpression(text, defs_);
    if (!e.has_value()) return "error: " + e.error().message();
    Column out;
    std::vector<RowFailure> failures;
    Status s = e->Evaluate(batch_, out, failures, arena_);
    if (!s.ok()) return "evaluate: " + s.ToString();
    if (out.nulls.size() != 1) return "wrong row count";
    if (!failures.empty()) {
      if (!out.IsNull(0)) return "failed row not null";
      return "fail: " + failures[0].message;
    }
    return Render(out, 0);
  }

  // The type of the compiled expression, "nullable " first when it may be null.
  std::string TypeOf(const std::string& text) {
    Result<Expression> e = CompileExpression(text, defs_);
    if (!e.has_value()) return "error: " + e.error().message();
    return std::string(e->nullable() ? "nullable " : "") + std::string(ColumnTypeName(e->type()));
  }

  std::vector<ColumnDef> defs_;
  Batch batch_;
  StringArena arena_;
};

}  // namespace sluice::testing

// The Validator's column-wise paths: textless typed columns converted a column
// at a time (ConvertTypedColumn) and dictionary columns checked once per entry
// (TextBatch::SetDictionary). Each is checked against the row-by-row path on the
// same data: the same values, rows and reasons.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "schema/validator.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::CollectingErrors;

// The text of a textless cell, as a reader would give it (the same text is the
// cell's bytes in the run with text).
class PlainText final : public TypedText {
 public:
  void Append(const TypedCells& cells, size_t row, std::string& out) const override {
    out += Text(cells.type, cells.type == ColumnType::kFloat ? 0 : cells.ints[row],
                cells.type == ColumnType::kFloat ? cells.floats[row] : 0);
  }
  static std::string Text(ColumnType type, int64_t i, double f) {
    if (type != ColumnType::kFloat) return std::to_string(i);
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
    return std::to_string(f);
  }
};

struct Value {
  bool null = false;
  int64_t i = 0;
  double f = 0;
};

struct Converted {
  size_t rejected = 0;
  std::vector<RowError> errors;
  Batch out;
};

// Converts columns of typed values (one per schema column, of the column's type)
// with or without text.
Converted Convert(const Schema& schema, const std::vector<std::vector<Value>>& columns,
                  bool textless) {
  static const PlainText text;
  TextBatch in;
  std::vector<std::string> names;
  for (const ColumnSpec& spec : schema.columns) names.push_back(spec.name);
  in.SetColumns(names);
  for (size_t c = 0; c < columns.size(); ++c) {
    in.SetTyped(c, schema.columns[c].type, textless ? &text : nullptr);
  }
  for (size_t r = 0; r < columns[0].size(); ++r) {
    in.StartRow(r + 1, 0, kNullSpan);
    for (size_t c = 0; c < columns.size(); ++c) {
      const Value& v = columns[c][r];
      const ColumnType type = schema.columns[c].type;
      if (type == ColumnType::kFloat) {
        in.SetTypedFloat(c, v.null ? 0 : v.f);
      } else {
        in.SetTypedInt(c, v.null ? 0 : v.i);
      }
      if (v.null) continue;
      in.SetCell(c, textless ? Span{0, 0} : in.Append(PlainText::Text(type, v.i, v.f)));
    }
    in.FinishRow();
  }
  Converted got;
  Result<Validator> validator = Validator::Create(schema);
  EXPECT_TRUE(validator.has_value());
  EXPECT_TRUE(validator->Bind(in.columns()).ok());
  got.out.Reset(schema.Defs());
  CollectingErrors errors;
  got.rejected = validator->Convert(in, in.columns(), got.out, errors);
  got.errors = errors.errors;
  return got;
}

void ExpectSame(const Converted& textless, const Converted& text, const std::string& what) {
  EXPECT_EQ(textless.rejected, text.rejected) << what;
  ASSERT_EQ(textless.errors.size(), text.errors.size()) << what;
  for (size_t e = 0; e < text.errors.size(); ++e) {
    EXPECT_EQ(textless.errors[e].line, text.errors[e].line) << what;
    EXPECT_EQ(textless.errors[e].column, text.errors[e].column) << what;
    EXPECT_EQ(textless.errors[e].message, text.errors[e].message) << what;
    EXPECT_EQ(textless.errors[e].kind, text.errors[e].kind) << what;
  }
  ASSERT_EQ(textless.out.rows(), text.out.rows()) << what;
  EXPECT_EQ(textless.out.lines(), text.out.lines()) << what;
  for (size_t c = 0; c < text.out.columns().size(); ++c) {
    const Column& a = textless.out.columns()[c];
    const Column& b = text.out.columns()[c];
    EXPECT_EQ(a.nulls, b.nulls) << what << " column " << c;
    EXPECT_EQ(a.ints, b.ints) << what << " column " << c;
    ASSERT_EQ(a.floats.size(), b.floats.size()) << what << " column " << c;
    for (size_t r = 0; r < a.floats.size(); ++r) {
      EXPECT_EQ(std::bit_cast<uint64_t>(a.floats[r]), std::bit_cast<uint64_t>(b.floats[r]))
          << what << " column " << c << " row " << r;
    }
  }
}

ColumnSpec Spec(const std::string& name, ColumnType type, bool nullable = true) {
  ColumnSpec spec;
  spec.name = name;
  spec.type = type;
  spec.nullable = nullable;
  return spec;
}

// Integer, float, boolean, date and timestamp columns of 40 rows, some null.
struct TypedTable {
  TypedTable() {
    ColumnSpec i = Spec("i", ColumnType::kInteger);
    i.rules.min = -100;
    i.rules.max = 100;
    ColumnSpec f = Spec("f", ColumnType::kFloat);
    f.rules.min = 0;
    f.rules.max = 1e6;
    schema.columns = {i,
                      f,
                      Spec("u", ColumnType::kFloat),
                      Spec("b", ColumnType::kBoolean),
                      Spec("d", ColumnType::kDate),
                      Spec("t", ColumnType::kTimestamp)};
    columns.resize(schema.columns.size());
    for (int r = 0; r < 40; ++r) {
      columns[0].push_back({r % 7 == 3, r - 20, 0});
      columns[1].push_back({r % 5 == 1, 0, r * 1.25});
      columns[2].push_back({r % 9 == 4, 0, -r * 1e300});  // no bounds: any finite value
      columns[3].push_back({r % 6 == 2, r % 3, 0});
      columns[4].push_back({r % 8 == 5, 20000 - r * 1000, 0});
      columns[5].push_back({r % 4 == 0, (r - 20) * int64_t{86400000000}, 0});
    }
  }
  void Check(const std::string& what) const {
    ExpectSame(Convert(schema, columns, true), Convert(schema, columns, false), what);
  }
  Schema schema;
  std::vector<std::vector<Value>> columns;
};

TEST(ValidatorBulkTest, TypedColumnsColumnWiseAreTheRowPaths) {
  TypedTable table;
  const Converted got = Convert(table.schema, table.columns, true);
  EXPECT_EQ(got.rejected, 0u);
  ASSERT_EQ(got.out.rows(), 40u);
  const Column& i = got.out.columns()[0];
  EXPECT_EQ(i.nulls[3], 1);
  EXPECT_EQ(i.ints[3], 0);
  EXPECT_EQ(i.ints[4], -16);
  EXPECT_EQ(got.out.columns()[3].ints[4], 1);  // 4 % 3 as a boolean
  EXPECT_EQ(got.out.columns()[1].floats[2], 2.5);
  table.Check("every value good");
}

TEST(ValidatorBulkTest, AColumnWithABadValueRejectsExactlyItsRowsWithTheRowPathsReasons) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Fault {
    std::string what;
    size_t column, row;
    Value value;
  };
  const std::vector<Fault> faults = {
      {"integer above max", 0, 7, {false, 101, 0}},
      {"integer below min", 0, 8, {false, -101, 0}},
      {"float below min", 1, 9, {false, 0, -0.5}},
      {"float NaN", 1, 10, {false, 0, nan}},
      {"float inf without bounds", 2, 11, {false, 0, inf}},
      {"float -inf without bounds", 2, 12, {false, 0, -inf}},
      {"date beyond 9999", 4, 13, {false, 2932897, 0}},
      {"date before year 1", 4, 14, {false, -719163, 0}},
      {"timestamp beyond 9999", 5, 15, {false, 2932897 * int64_t{86400000000}, 0}},
  };
  for (const Fault& fault : faults) {
    TypedTable table;
    table.columns[fault.column][fault.row] = fault.value;
    // A second bad row, rejected by an earlier column: its later cells are placeholders.
    table.columns[0][20] = {false, 500, 0};
    const Converted got = Convert(table.schema, table.columns, true);
    EXPECT_EQ(got.rejected, 2u) << fault.what;
    ASSERT_EQ(got.errors.size(), 2u) << fault.what;
    EXPECT_EQ(got.errors[0].line, fault.row + 1) << fault.what;
    EXPECT_EQ(got.errors[0].column, table.schema.columns[fault.column].name) << fault.what;
    EXPECT_EQ(got.errors[1].line, 21u) << fault.what;
    table.Check(fault.what);
  }
}

TEST(ValidatorBulkTest, ANullInANonNullableTypedColumnRejectsItsRow) {
  TypedTable table;
  table.schema.columns[5].nullable = false;
  for (Value& v : table.columns[5]) v.null = false;
  table.columns[5][17].null = true;
  const Converted got = Convert(table.schema, table.columns, true);
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].line, 18u);
  EXPECT_EQ(got.errors[0].kind, RowErrorKind::kNull);
  table.Check("null in a non-nullable column");
}

TEST(ValidatorBulkTest, IntegerBoundsAreComparedAsTheRowPathComparesThem) {
  // Fractional bounds, bounds at and beyond 2^53 (compared as doubles: 2^53 + 1
  // is 2^53 then), and the extremes of int64.
  const int64_t two53 = int64_t{1} << 53;
  const std::vector<std::pair<double, double>> bounds = {{0.5, 10.5},
                                                         {-10.5, -0.5},
                                                         {-9007199254740991.0, 9007199254740991.0},
                                                         {-9007199254740992.0, 9007199254740992.0},
                                                         {-1e300, 1e300},
                                                         {1e19, 1e20}};
  std::vector<Value> values;
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{10}, int64_t{11}, int64_t{-1}, int64_t{-11},
                    two53 - 1, two53, two53 + 1, -two53 - 1, INT64_MAX, INT64_MIN}) {
    values.push_back({false, v, 0});
  }
  for (const auto& [min, max] : bounds) {
    ColumnSpec i = Spec("i", ColumnType::kInteger);
    i.rules.min = min;
    i.rules.max = max;
    Schema schema;
    schema.columns = {i};
    // One value per batch: a rejection takes the whole column to the row path.
    for (const Value& v : values) {
      const std::string what =
          "[" + std::to_string(min) + ", " + std::to_string(max) + "] " + std::to_string(v.i);
      ExpectSame(Convert(schema, {{v}}, true), Convert(schema, {{v}}, false), what);
    }
    const Converted all = Convert(schema, {values}, true);
    EXPECT_EQ(all.rejected, Convert(schema, {values}, false).rejected);
  }
  ColumnSpec i = Spec("i", ColumnType::kInteger);
  i.rules.min = 0.5;
  i.rules.max = 10.5;
  Schema schema;
  schema.columns = {i};
  EXPECT_EQ(Convert(schema, {{{false, 1, 0}}}, true).rejected, 0u);
  EXPECT_EQ(Convert(schema, {{{false, 0, 0}}}, true).rejected, 1u);
  EXPECT_EQ(Convert(schema, {{{false, 11, 0}}}, true).rejected, 1u);
}

TEST(ValidatorBulkTest, AFloatColumnWithoutNullsHasEachBadValueFoundAtEveryPosition) {
  // Columns without nulls take a loop of their own, two values at a time: a bad
  // value in either lane or in the odd tail is found.
  ColumnSpec f = Spec("f", ColumnType::kFloat);
  f.rules.min = -1;
  f.rules.max = 1;
  Schema schema;
  schema.columns = {f};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (size_t rows = 1; rows <= 5; ++rows) {
    for (size_t at = 0; at < rows; ++at) {
      for (double bad : {nan, inf, -inf, 1.5, -1.0000001}) {
        std::vector<Value> column;
        for (size_t r = 0; r < rows; ++r) column.push_back({false, 0, r == at ? bad : 0.25 * r});
        const std::string what =
            std::to_string(rows) + " rows, " + std::to_string(bad) + " at " + std::to_string(at);
        const Converted got = Convert(schema, {column}, true);
        EXPECT_EQ(got.rejected, 1u) << what;
        ExpectSame(got, Convert(schema, {column}, false), what);
      }
      std::vector<Value> good;
      for (size_t r = 0; r < rows; ++r) good.push_back({false, 0, r == at ? 1.0 : -1.0});
      const Converted got = Convert(schema, {good}, true);
      EXPECT_EQ(got.rejected, 0u);
      ExpectSame(got, Convert(schema, {good}, false), "bounds");
    }
  }
}

// A string column "s" from a dictionary: `entries` are its values, `rows` per row
// the entry (an index), a text that is no entry (-1 with its text), or null.
struct DictionaryRun {
  struct Row {
    std::optional<std::string> text;  // nullopt: null
    int64_t entry = -1;
  };
  DictionaryRun(const ColumnSpec& spec, const std::vector<std::string>& entries,
                const std::vector<Row>& rows, bool dictionary) {
    schema.columns = {spec};
    in.SetColumns({spec.name});
    std::vector<Span> spans;
    for (const std::string& e : entries) spans.push_back(in.Append(e));
    if (dictionary) {
      in.SetDictionary(0);
      in.MutableEntries(0) = spans;
    }
    in.AppendRows(rows.size(), 1);
    for (size_t r = 0; r < rows.size(); ++r) {
      if (!rows[r].text) continue;
      in.MutableCells(0)[r] =
          rows[r].entry >= 0 ? spans[static_cast<size_t>(rows[r].entry)] : in.Append(*rows[r].text);
      if (dictionary) in.MutableInts(0)[r] = rows[r].entry;
    }
    Result<Validator> v = Validator::Create(schema);
    EXPECT_TRUE(v.has_value());
    EXPECT_TRUE(v->Bind(in.columns()).ok());
    out.Reset(schema.Defs());
    rejected = v->Convert(in, in.columns(), out, errors);
  }
  std::vector<size_t> RejectedLines() const {
    std::vector<size_t> lines;
    for (const RowError& e : errors.errors) lines.push_back(e.line);
    return lines;
  }
  Schema schema;
  TextBatch in;
  Batch out;
  CollectingErrors errors;
  size_t rejected = 0;
};

TEST(ValidatorBulkTest, ADictionarysBadEntriesRejectExactlyTheRowsThatUseThem) {
  ColumnSpec status = Spec("status", ColumnType::kString, false);
  status.rules.allowed = std::vector<std::string>{"ok", "warn", "fail"};
  // Entries 2 (invalid UTF-8) and 3 (not allowed) are bad; 2 is used by no row.
  const std::vector<std::string> entries = {"ok", "warn", "\xff", "nope", "fail"};
  const std::vector<DictionaryRun::Row> rows = {
      {"ok", 0},   {"nope", 3},  {"fail", 4},   {std::nullopt, -1}, {"warn", 1},
      {"nope", 3}, {"warn", -1}, {"maint", -1}, {"ok", 0},
  };
  DictionaryRun dict(status, entries, rows, true);
  EXPECT_EQ(dict.rejected, 4u);
  EXPECT_EQ(dict.RejectedLines(), (std::vector<size_t>{2, 4, 6, 8}));
  EXPECT_EQ(dict.errors.errors[1].kind, RowErrorKind::kNull);
  const Column& s = dict.out.columns()[0];
  EXPECT_EQ(s.strings, (std::vector<std::string_view>{"ok", "fail", "warn", "warn", "ok"}));
  // The same cells without the dictionary: the same rows and reasons.
  DictionaryRun plain(status, entries, rows, false);
  ASSERT_EQ(plain.errors.errors.size(), dict.errors.errors.size());
  for (size_t e = 0; e < plain.errors.errors.size(); ++e) {
    EXPECT_EQ(dict.errors.errors[e].message, plain.errors.errors[e].message);
    EXPECT_EQ(dict.errors.errors[e].kind, plain.errors.errors[e].kind);
  }
  EXPECT_EQ(plain.out.columns()[0].strings, s.strings);

  // A row that uses the invalid entry is rejected for it, as its text would be.
  std::vector<DictionaryRun::Row> with_bad = rows;
  with_bad[0] = {"\xff", 2};
  DictionaryRun bad(status, entries, with_bad, true);
  EXPECT_EQ(bad.RejectedLines(), (std::vector<size_t>{1, 2, 4, 6, 8}));
  DictionaryRun bad_plain(status, entries, with_bad, false);
  EXPECT_EQ(bad.errors.errors[0].message, bad_plain.errors.errors[0].message);
  EXPECT_EQ(bad.errors.errors[0].kind, bad_plain.errors.errors[0].kind);
}

TEST(ValidatorBulkTest, ABadEntryNoRowUsesRejectsNothing) {
  ColumnSpec status = Spec("status", ColumnType::kString);
  status.rules.allowed = std::vector<std::string>{"ok", "warn", ""};
  const std::vector<std::string> entries = {"ok", "\xff", "warn", "nope", ""};
  const std::vector<DictionaryRun::Row> rows = {
      {"ok", 0}, {std::nullopt, -1}, {"warn", 2}, {"", 4}, {"ok", 0}};
  DictionaryRun run(status, entries, rows, true);
  EXPECT_EQ(run.rejected, 0u);
  const Column& s = run.out.columns()[0];
  EXPECT_EQ(s.strings, (std::vector<std::string_view>{"ok", "", "warn", "", "ok"}));
  EXPECT_EQ(s.nulls, (std::vector<uint8_t>{0, 1, 0, 0, 0}));  // "" is not NULL
  DictionaryRun plain(status, entries, rows, false);
  EXPECT_EQ(plain.out.columns()[0].strings, s.strings);
  EXPECT_EQ(plain.out.columns()[0].nulls, s.nulls);
}

TEST(ValidatorBulkTest, ADictionaryWithoutRulesStillChecksUtf8PerEntry) {
  const std::vector<std::string> entries = {"a", "\xc3", "b"};
  DictionaryRun run(Spec("s", ColumnType::kString), entries,
                    {{"a", 0}, {"b", 2}, {"\xc3", 1}, {"c", -1}}, true);
  EXPECT_EQ(run.RejectedLines(), (std::vector<size_t>{3}));
  EXPECT_EQ(run.out.columns()[0].strings, (std::vector<std::string_view>{"a", "b", "c"}));
}

}  // namespace
}  // namespace sluice

// RowTransforms::Apply on varied batches (nulls, bad values, rows that fail an
// expression, rows filtered out, every type, derived columns, a dropped column, an
// integer derived into a float column): the loaded batch equals one built row by
// row from the validated inputs and the derived values computed here, whether
// Apply moves the work columns into an empty batch or appends to rows it has.
#include "pipeline/row_transforms.h"

#include <gtest/gtest.h>

#include <bit>
#include <cctype>
#include <deque>
#include <random>
#include <set>

#include "schema/text_batch_builder.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::Cell;
using testing::CollectingErrors;
using testing::MakeBatch;
using testing::Row;

// A generated row: the text of each input cell, and what it means.
struct Generated {
  Row cells;         // id, v, s, d, ok
  bool bad = false;  // a cell validation refuses
  std::optional<int64_t> id;
  std::optional<double> v;
  std::optional<std::string> s;
};

Generated Generate(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  Generated g;
  // id: integer, null, or not a number.
  if (int k = pick(20); k == 0) {
    g.cells.push_back(std::nullopt);
  } else if (k == 1) {
    g.cells.push_back("x" + std::to_string(pick(9)));
    g.bad = true;
  } else {
    g.id = pick(1001) - 500;
    g.cells.push_back(std::to_string(*g.id));
  }
  // v: float (quarters, exact in binary and in text), or null.
  if (pick(8) == 0) {
    g.cells.push_back(std::nullopt);
  } else {
    g.v = (pick(4001) - 2000) / 4.0;
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", *g.v);
    g.cells.push_back(text);
  }
  // s: ASCII text of mixed case, or null.
  if (pick(6) == 0) {
    g.cells.push_back(std::nullopt);
  } else {
    std::string s;
    for (int i = pick(12); i > 0; --i) s += "aZ b-9Qx"[pick(8)];
    g.s = s;
    g.cells.push_back(s);
  }
  // d: date, null, or not a date.
  if (int k = pick(25); k == 0) {
    g.cells.push_back(std::nullopt);
  } else if (k == 1) {
    g.cells.push_back("2024-13-40");
    g.bad = true;
  } else {
    char text[16];
    std::snprintf(text, sizeof text, "20%02d-%02d-%02d", pick(50), 1 + pick(12), 1 + pick(28));
    g.cells.push_back(text);
  }
  // ok: boolean or null.
  const int ok = pick(3);
  g.cells.push_back(ok == 0 ? Cell() : Cell(ok == 1 ? "true" : "false"));
  return g;
}

Schema InputSchema() {
  Schema schema;
  for (auto [name, type] : {std::pair{"id", ColumnType::kInteger},
                            {"v", ColumnType::kFloat},
                            {"s", ColumnType::kString},
                            {"d", ColumnType::kDate},
                            {"ok", ColumnType::kBoolean}}) {
    ColumnSpec spec;
    spec.name = name;
    spec.type = type;
    schema.columns.push_back(spec);
  }
  return schema;
}

TablePlan Plan() {
  TablePlan plan;
  plan.derive = {{"v2", "v * 2"},
                 {"n", "id + 1"},
                 {"q", "100 / (id % 5)"},
                 {"u", "upper(s)"},
                 {"z", "nullif(id % 4, 1)"}};
  plan.filter = "id % 3 <> 0";
  plan.drop = {"s"};
  plan.derive_origin = "rules.yaml:3";
  plan.filter_origin = "rules.yaml:4";
  return plan;
}

// The load's columns: inputs, derived (n as float), the dropped s and a column
// neither read nor derived (both NULL), and z, a CASE that leaves a value under
// its nulls (the loaded batch has a zero there).
std::vector<ColumnDef> LoadColumns() {
  return {{"id", ColumnType::kInteger, true}, {"v", ColumnType::kFloat, true},
          {"s", ColumnType::kString, true},   {"d", ColumnType::kDate, true},
          {"ok", ColumnType::kBoolean, true}, {"v2", ColumnType::kFloat, true},
          {"n", ColumnType::kFloat, true},    {"q", ColumnType::kInteger, true},
          {"u", ColumnType::kString, true},   {"missing", ColumnType::kString, true},
          {"z", ColumnType::kInteger, true}};
}

// Every vector of every column (a null's value included) and the lines.
void ExpectSameBatch(const Batch& a, const Batch& b, size_t a_from, const std::string& what) {
  ASSERT_EQ(a.rows() - a_from, b.rows()) << what;
  ASSERT_EQ(a.columns().size(), b.columns().size()) << what;
  for (size_t r = 0; r < b.rows(); ++r) EXPECT_EQ(a.Line(a_from + r), b.Line(r)) << what;
  for (size_t c = 0; c < b.columns().size(); ++c) {
    const Column& x = a.columns()[c];
    const Column& y = b.columns()[c];
    const std::string where = what + " column " + y.def.name;
    auto tail = [&](const auto& v) { return std::vector(v.begin() + a_from, v.end()); };
    EXPECT_EQ(tail(x.nulls), y.nulls) << where;
    switch (y.def.type) {
      case ColumnType::kFloat: {
        ASSERT_EQ(x.floats.size() - a_from, y.floats.size()) << where;
        for (size_t r = 0; r < y.floats.size(); ++r) {
          EXPECT_EQ(std::bit_cast<uint64_t>(x.floats[a_from + r]),
                    std::bit_cast<uint64_t>(y.floats[r]))
              << where << " row " << r;
        }
        break;
      }
      case ColumnType::kString:
        EXPECT_EQ(tail(x.strings), y.strings) << where;
        break;
      default:
        EXPECT_EQ(tail(x.ints), y.ints) << where;
        break;
    }
  }
}

struct LoadRun {
  Batch out;
  RowTransforms::Counts counts;
  CollectingErrors errors;
  std::vector<uint64_t> filtered_lines;
  StringArena arena;  // derived strings of `out`
};

// Validates `text` and applies the transforms into `out` (given rows already, or
// none), as a load does.
void Convert(const RowTransforms& transforms, const TextBatch& text, LoadRun& run) {
  Result<Validator> validator = Validator::Create(InputSchema());
  ASSERT_TRUE(validator.has_value());
  ASSERT_TRUE(validator->Bind(text.columns()).ok());
  Batch work;
  work.Reset(transforms.work_columns());
  Result<RowTransforms::Counts> counts =
      ConvertBatch(*validator, &transforms, text, text.columns(), work, run.out, run.errors,
                   run.arena, &run.filtered_lines);
  ASSERT_TRUE(counts.has_value()) << counts.error().message();
  run.counts = *counts;
}

TEST(RowTransformsTest, LoadedRowsEqualOnesBuiltRowByRowOnVariedBatches) {
  const Schema schema = InputSchema();
  Result<RowTransforms> transforms = RowTransforms::Compile(Plan(), schema.Defs());
  ASSERT_TRUE(transforms.has_value()) << transforms.error().message();
  ASSERT_TRUE(transforms->Bind(LoadColumns(), Plan().drop).ok());
  std::mt19937 rng(15);
  for (int round = 0; round < 40; ++round) {
    const size_t rows = round < 3 ? round : rng() % 400;  // empty and tiny batches too
    std::vector<Generated> generated;
    std::vector<Row> cells;
    for (size_t r = 0; r < rows; ++r) {
      generated.push_back(Generate(rng));
      cells.push_back(generated.back().cells);
    }
    const TextBatch text = MakeBatch({"id", "v", "s", "d", "ok"}, cells);
    const std::string what = "round " + std::to_string(round);

    // What validation alone gives, for the input columns.
    Batch valid;
    valid.Reset(schema.Defs());
    {
      Result<Validator> validator = Validator::Create(schema);
      ASSERT_TRUE(validator.has_value());
      ASSERT_TRUE(validator->Bind(text.columns()).ok());
      CollectingErrors ignored;
      validator->Convert(text, text.columns(), valid, ignored);
    }
    // The expected batch, row by row.
    Batch expected;
    expected.Reset(LoadColumns());
    uint64_t failed = 0, filtered = 0;
    std::set<uint64_t> failed_lines;
    std::vector<uint64_t> filtered_lines;
    size_t v = 0;  // row of `valid`
    for (size_t r = 0; r < rows; ++r) {
      const Generated& g = generated[r];
      const uint64_t line = r + 2;
      if (g.bad) {
        ++failed;
        continue;
      }
      ASSERT_EQ(valid.Line(v), line) << what;
      const size_t at = v++;
      if (g.id && *g.id % 5 == 0) {  // division by zero fails the row
        ++failed;
        failed_lines.insert(line);
        continue;
      }
      if (!g.id || *g.id % 3 == 0) {
        ++filtered;
        filtered_lines.push_back(line);
        continue;
      }
      std::vector<Column>& e = expected.columns();
      for (size_t c = 0; c < 5; ++c) {
        if (c == 2) {
          e[c].AppendNull();  // s is dropped
        } else {
          e[c].AppendFrom(valid.columns()[c], at);
        }
      }
      g.v ? e[5].AppendFloat(*g.v * 2) : e[5].AppendNull();
      e[6].AppendFloat(static_cast<double>(*g.id + 1));
      e[7].AppendInt(100 / (*g.id % 5));
      if (g.s) {
        // Derived strings are views into the arena: compared by content below.
        static std::deque<std::string> upper_strings;
        std::string u = *g.s;
        for (char& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        upper_strings.push_back(u);
        e[8].strings.push_back(upper_strings.back());
        e[8].nulls.push_back(0);
      } else {
        e[8].AppendNull();
      }
      e[9].AppendNull();
      *g.id % 4 == 1 ? e[10].AppendNull() : e[10].AppendInt(*g.id % 4);
      expected.FinishRow(line);
    }

    // Into an empty batch (the work columns are moved), and appended after a row
    // the batch has (copied).
    LoadRun moved;
    moved.out.Reset(LoadColumns());
    Convert(*transforms, text, moved);
    LoadRun appended;
    appended.out.Reset(LoadColumns());
    for (Column& c : appended.out.columns()) c.AppendNull();
    appended.out.FinishRow(1);
    Convert(*transforms, text, appended);

    ExpectSameBatch(moved.out, expected, 0, what + " moved");
    ExpectSameBatch(appended.out, expected, 1, what + " appended");
    for (const LoadRun* run : {&moved, &appended}) {
      EXPECT_EQ(run->counts.failed, failed) << what;
      EXPECT_EQ(run->counts.filtered, filtered) << what;
      EXPECT_EQ(run->filtered_lines, filtered_lines) << what;
      std::set<uint64_t> transform_lines;
      for (const RowError& e : run->errors.errors) {
        if (e.kind == RowErrorKind::kTransform) {
          transform_lines.insert(e.line);
          EXPECT_EQ(e.column, "q") << what;
        }
      }
      EXPECT_EQ(transform_lines, failed_lines) << what;
    }
  }
}

TEST(RowTransformsTest, AWorkColumnLoadedTwiceIsCopiedIntoBoth) {
  // Without a filter every row is kept: the move is at its widest.
  TablePlan plan;
  plan.derive = {{"w", "id * 10"}};
  Schema schema;
  schema.columns.emplace_back();
  schema.columns[0].name = "id";
  schema.columns[0].type = ColumnType::kInteger;
  Result<RowTransforms> transforms = RowTransforms::Compile(plan, schema.Defs());
  ASSERT_TRUE(transforms.has_value());
  const std::vector<ColumnDef> load = {{"w", ColumnType::kInteger, true},
                                       {"w", ColumnType::kInteger, true},
                                       {"id", ColumnType::kInteger, true}};
  ASSERT_TRUE(transforms->Bind(load, {}).ok());
  const TextBatch text = MakeBatch({"id"}, {{"1"}, {std::nullopt}, {"3"}});
  Result<Validator> validator = Validator::Create(schema);
  ASSERT_TRUE(validator.has_value());
  ASSERT_TRUE(validator->Bind(text.columns()).ok());
  Batch work, out;
  work.Reset(transforms->work_columns());
  out.Reset(load);
  CollectingErrors errors;
  StringArena arena;
  ASSERT_TRUE(ConvertBatch(*validator, &*transforms, text, text.columns(), work, out, errors, arena)
                  .has_value());
  ASSERT_EQ(out.rows(), 3u);
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(out.columns()[c].ints, (std::vector<int64_t>{10, 0, 30})) << c;
    EXPECT_EQ(out.columns()[c].nulls, (std::vector<uint8_t>{0, 1, 0})) << c;
  }
  EXPECT_EQ(out.columns()[2].ints, (std::vector<int64_t>{1, 0, 3}));
  EXPECT_EQ(out.lines(), (std::vector<uint64_t>{2, 3, 4}));
}

TEST(RowTransformsTest, ANullLoadsWithAZeroValueWhateverItsWorkColumnHeld) {
  // As Column::AppendNull has it, moved or copied, filtered or not.
  Schema schema;
  schema.columns.resize(3);
  const ColumnType types[] = {ColumnType::kInteger, ColumnType::kFloat, ColumnType::kString};
  const char* names[] = {"i", "f", "s"};
  for (size_t c = 0; c < 3; ++c) {
    schema.columns[c].name = names[c];
    schema.columns[c].type = types[c];
  }
  for (const char* filter : {"", "i is null or i <> 2"}) {
    TablePlan plan;
    plan.filter = filter;
    Result<RowTransforms> transforms = RowTransforms::Compile(plan, schema.Defs());
    ASSERT_TRUE(transforms.has_value());
    std::vector<ColumnDef> load = schema.Defs();
    load.push_back({"i2", ColumnType::kFloat, true});  // none: NULL
    ASSERT_TRUE(transforms->Bind(load, {}).ok());
    for (bool empty : {true, false}) {
      Batch work;
      work.Reset(transforms->work_columns());
      std::vector<Column>& w = work.columns();
      w[0].ints = {2, 9, 3};
      w[1].floats = {2.5, 9.5, 3.5};
      w[2].strings = {"a", "garbage", "c"};
      for (Column& c : w) c.nulls = {0, 1, 0};
      for (uint64_t line : {2, 3, 4}) work.FinishRow(line);
      Batch out;
      out.Reset(load);
      if (!empty) {
        for (Column& c : out.columns()) c.AppendNull();
        out.FinishRow(1);
      }
      const size_t skip = empty ? 0 : 1;
      TextBatch text;
      CollectingErrors errors;
      StringArena arena;
      ASSERT_TRUE(transforms->Apply(work, text, out, errors, arena).has_value());
      const bool filtered = *filter != 0;
      const std::vector<uint8_t> nulls =
          filtered ? std::vector<uint8_t>{1, 0} : std::vector<uint8_t>{0, 1, 0};
      const std::string what = std::string(filter) + (empty ? " empty" : " appended");
      const std::vector<Column>& o = out.columns();
      auto tail = [&](const auto& v) { return std::vector(v.begin() + skip, v.end()); };
      using Ints = std::vector<int64_t>;
      using Floats = std::vector<double>;
      using Strings = std::vector<std::string_view>;
      const Ints ints = filtered ? Ints{0, 3} : Ints{2, 0, 3};
      const Floats floats = filtered ? Floats{0, 3.5} : Floats{2.5, 0, 3.5};
      const Strings strings = filtered ? Strings{"", "c"} : Strings{"a", "", "c"};
      EXPECT_EQ(tail(o[0].ints), ints) << what;
      EXPECT_EQ(tail(o[1].floats), floats) << what;
      EXPECT_EQ(tail(o[2].strings), strings) << what;
      for (size_t c = 0; c < 3; ++c) {
        EXPECT_EQ(tail(o[c].nulls), nulls) << what;
      }
      EXPECT_EQ(o[3].floats.size(), skip + nulls.size()) << what;
      EXPECT_EQ(out.rows(), skip + nulls.size()) << what;
    }
  }
}

}  // namespace
}  // namespace sluice

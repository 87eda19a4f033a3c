#include "pipeline/table_resolver.h"

#include <gtest/gtest.h>

#include "fake_sink.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::FakeCall;
using testing::FakeSink;

TextBatch Sample(const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows) {
  TextBatch batch;
  batch.SetColumns(columns);
  uint64_t line = 2;
  for (const auto& row : rows) {
    batch.StartRow(line++, 0, kNullSpan);
    for (size_t c = 0; c < row.size(); ++c) batch.SetCell(c, batch.Append(row[c]));
    batch.FinishRow();
  }
  return batch;
}

std::vector<std::string> Names(const std::vector<ColumnDef>& columns) {
  std::vector<std::string> names;
  for (const ColumnDef& c : columns) names.push_back(c.name);
  return names;
}

class TableResolverTest : public ::testing::Test {
 protected:
  TableResolverTest() { plan_.table = "orders"; }

  Result<ResolvedTable> Resolve(const std::vector<std::string>& names, const TextBatch& rows,
                                const std::optional<TableDef>& known = std::nullopt) {
    return ResolveTable(sink_, plan_, {names, rows, inferred_}, known);
  }

  FakeSink sink_;
  TablePlan plan_;
  InferredSchema inferred_;
  const std::vector<std::string> names_{"id", "name"};
  const TextBatch rows_ = Sample({"id", "name"}, {{"1", "a"}, {"2", "b"}});
};

TEST_F(TableResolverTest, DeclaredSchemaCreatesTheTableWithItsTypesAndRules) {
  ColumnSpec id{"id", ColumnType::kInteger, false, {}};
  id.rules.min = 1;
  plan_.schema = Schema{{id, {"name", ColumnType::kString, true, {}}}};
  plan_.key = {"id"};
  // Declared types win over what the sample looks like.
  TextBatch rows = Sample({"id", "name"}, {{"1", "2"}});
  auto resolved = Resolve(names_, rows);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  const TableDef expected{
      "orders", {{"id", ColumnType::kInteger, false}, {"name", ColumnType::kString, true}}, {"id"}};
  EXPECT_EQ(sink_.Table("orders")->columns, expected.columns);
  EXPECT_EQ(sink_.Table("orders")->key, expected.key);
  EXPECT_EQ(resolved->load.columns, expected.columns);
  ASSERT_EQ(resolved->schema.columns.size(), 2u);
  EXPECT_EQ(resolved->schema.columns[0].rules.min, 1);
  EXPECT_TRUE(resolved->added.empty());
  EXPECT_FALSE(inferred_.inferred());
  EXPECT_EQ(sink_.CallLog(), "describe ensure describe");
}

TEST_F(TableResolverTest, InferredSchemaCreatesANullableTable) {
  TextBatch rows = Sample({"id", "price", "day"}, {{"1", "1.5", "2026-01-02"}, {"2", "3", ""}});
  auto resolved = Resolve({"id", "price", "day"}, rows);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_EQ(sink_.Table("orders")->columns,
            (std::vector<ColumnDef>{{"id", ColumnType::kInteger, true},
                                    {"price", ColumnType::kFloat, true},
                                    {"day", ColumnType::kDate, true}}));
  EXPECT_TRUE(inferred_.inferred());
}

TEST_F(TableResolverTest, KeyColumnThatIsNotAColumnRefusesTheFile) {
  plan_.key = {"missing"};
  auto resolved = Resolve(names_, rows_);
  ASSERT_FALSE(resolved.has_value());
  EXPECT_EQ(resolved.error().code(), StatusCode::kInvalidData);
  EXPECT_NE(resolved.error().message().find("key column \"missing\""), std::string::npos);
  EXPECT_FALSE(sink_.Table("orders").has_value());
}

TEST_F(TableResolverTest, ExistingTableWinsWhenTheFileFitsWithoutInferring) {
  // The table's float takes the file's integers; its column order is the load's.
  sink_.CreateTable(
      {"orders", {{"name", ColumnType::kString, true}, {"id", ColumnType::kFloat, true}}, {}});
  auto resolved = Resolve(names_, rows_);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_EQ(Names(resolved->load.columns), (std::vector<std::string>{"name", "id"}));
  EXPECT_EQ(resolved->load.columns[1].type, ColumnType::kFloat);
  EXPECT_EQ(resolved->schema.columns[1].type, ColumnType::kFloat);
  EXPECT_FALSE(inferred_.inferred());
  EXPECT_EQ(sink_.CallLog(), "describe");
}

TEST_F(TableResolverTest, KnownTableIsNotDescribedAgain) {
  const TableDef known{
      "orders", {{"id", ColumnType::kInteger, true}, {"name", ColumnType::kString, true}}, {}};
  sink_.CreateTable(known);
  auto resolved = Resolve(names_, rows_, known);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_EQ(resolved->described.columns, known.columns);
  EXPECT_EQ(sink_.Count(FakeCall::kDescribe), 0);
}

TEST_F(TableResolverTest, ExistingTableWithAConflictingTypeRefusesTheFile) {
  sink_.CreateTable(
      {"orders", {{"id", ColumnType::kInteger, true}, {"name", ColumnType::kString, true}}, {}});
  TextBatch rows = Sample({"id", "name"}, {{"a-1", "x"}, {"b-2", "y"}});
  auto resolved = Resolve(names_, rows);
  ASSERT_FALSE(resolved.has_value());
  EXPECT_EQ(resolved.error().code(), StatusCode::kInvalidData);
  EXPECT_EQ(resolved.error().message(),
            "column \"id\" of table \"orders\" is integer but the file's is string (inferred from "
            "its first rows); load it into another table or change the column");
}

TEST_F(TableResolverTest, AStrayBadValueIsABadRowNotAConflict) {
  sink_.CreateTable(
      {"orders", {{"id", ColumnType::kInteger, true}, {"name", ColumnType::kString, true}}, {}});
  TextBatch rows = Sample({"id", "name"}, {{"1", "x"}, {"oops", "y"}});
  auto resolved = Resolve(names_, rows);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_EQ(resolved->schema.columns[0].type, ColumnType::kInteger);
}

TEST_F(TableResolverTest, DeclaredTypeThatDoesNotFitTheTableRefusesTheFile) {
  sink_.CreateTable(
      {"orders", {{"id", ColumnType::kInteger, true}, {"name", ColumnType::kString, true}}, {}});
  plan_.schema =
      Schema{{{"id", ColumnType::kString, true, {}}, {"name", ColumnType::kString, true, {}}}};
  auto resolved = Resolve(names_, rows_);
  ASSERT_FALSE(resolved.has_value());
  EXPECT_NE(resolved.error().message().find("is integer but the file's is string (declared)"),
            std::string::npos)
      << resolved.error().message();
}

TEST_F(TableResolverTest, MissingColumnsRefuseTheFileWithoutAddColumns) {
  sink_.CreateTable({"orders", {{"id", ColumnType::kInteger, true}}, {}});
  auto resolved = Resolve(names_, rows_);
  ASSERT_FALSE(resolved.has_value());
  EXPECT_EQ(resolved.error().code(), StatusCode::kInvalidData);
  EXPECT_NE(resolved.error().message().find("lacks column(s) \"name\""), std::string::npos);
  EXPECT_EQ(sink_.Count(FakeCall::kAddColumns), 0);
}

TEST_F(TableResolverTest, AddColumnsAddsTheFileColumnsWithInferredTypes) {
  plan_.schema_evolution = SchemaEvolution::kAddColumns;
  sink_.CreateTable({"orders", {{"id", ColumnType::kInteger, true}}, {}});
  TextBatch rows = Sample({"id", "amount", "note"}, {{"1", "2.5", "x"}});
  auto resolved = Resolve({"id", "amount", "note"}, rows);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  const std::vector<ColumnDef> added{{"amount", ColumnType::kFloat, true},
                                     {"note", ColumnType::kString, true}};
  EXPECT_EQ(resolved->added, added);
  EXPECT_EQ(Names(resolved->described.columns), (std::vector<std::string>{"id", "amount", "note"}));
  EXPECT_EQ(Names(resolved->load.columns), (std::vector<std::string>{"id", "amount", "note"}));
  EXPECT_EQ(sink_.CallLog(), "describe add_columns describe");
}

TEST_F(TableResolverTest, AddColumnsLoadsIntoColumnsAnotherWorkerAddedFirst) {
  // Another worker adds the column between this file's look at the table and its
  // ALTER TABLE: this file added nothing, and loads into the column as it is.
  plan_.schema_evolution = SchemaEvolution::kAddColumns;
  sink_.CreateTable({"orders", {{"id", ColumnType::kInteger, true}}, {}});
  const TableDef before = *sink_.Table("orders");
  sink_.on_call = [&](FakeCall call) {
    if (call == FakeCall::kAddColumns) {
      sink_.CreateTable({"orders",
                         {{"id", ColumnType::kInteger, true}, {"name", ColumnType::kString, true}},
                         {}});
    }
  };
  auto resolved = Resolve(names_, rows_, before);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_TRUE(resolved->added.empty());
  EXPECT_EQ(Names(resolved->load.columns), (std::vector<std::string>{"id", "name"}));
}

TEST_F(TableResolverTest, RenamedColumnsAreResolvedByTheirNormalisedNames) {
  // The sample keeps the file's own names; the table sees the normalised ones.
  TextBatch rows = Sample({"Order ID", "Customer Name"}, {{"7", "Ada"}});
  const std::vector<std::string> names{"order_id", "customer_name"};
  auto resolved = Resolve(names, rows);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_EQ(sink_.Table("orders")->columns,
            (std::vector<ColumnDef>{{"order_id", ColumnType::kInteger, true},
                                    {"customer_name", ColumnType::kString, true}}));
  // A conflict is found by the normalised name too.
  TextBatch bad = Sample({"Order ID", "Customer Name"}, {{"x", "Ada"}});
  InferredSchema other;
  auto refused = ResolveTable(sink_, plan_, {names, bad, other}, std::nullopt);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("column \"order_id\""), std::string::npos);
}

TEST_F(TableResolverTest, MetadataColumnsComeLastInTheLoadWhereverTheTableHasThem) {
  plan_.metadata.file = true;
  plan_.metadata.line = true;
  auto created = Resolve(names_, rows_);
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_EQ(Names(sink_.Table("orders")->columns),
            (std::vector<std::string>{"id", "name", "_file", "_line"}));
  EXPECT_EQ(created->schema.columns.size(), 2u);  // rows are validated without them

  // Columns added later go after the metadata columns in the table, not in the load.
  plan_.schema_evolution = SchemaEvolution::kAddColumns;
  TextBatch rows = Sample({"id", "name", "extra"}, {{"1", "a", "z"}});
  InferredSchema other;
  auto evolved = ResolveTable(sink_, plan_, {{"id", "name", "extra"}, rows, other}, std::nullopt);
  ASSERT_TRUE(evolved.has_value()) << evolved.error().ToString();
  EXPECT_EQ(Names(evolved->described.columns),
            (std::vector<std::string>{"id", "name", "_file", "_line", "extra"}));
  EXPECT_EQ(Names(evolved->load.columns),
            (std::vector<std::string>{"id", "name", "extra", "_file", "_line"}));
  EXPECT_EQ(Names(std::vector<ColumnDef>(evolved->schema.Defs())),
            (std::vector<std::string>{"id", "name", "extra"}));
}

TEST_F(TableResolverTest, MetadataColumnTheTableLacksRefusesTheFileWithoutAddColumns) {
  sink_.CreateTable(
      {"orders", {{"id", ColumnType::kInteger, true}, {"name", ColumnType::kString, true}}, {}});
  plan_.metadata.loaded_at = true;
  auto resolved = Resolve(names_, rows_);
  ASSERT_FALSE(resolved.has_value());
  EXPECT_NE(resolved.error().message().find("lacks column(s) \"_loaded_at\""), std::string::npos);
}

TEST_F(TableResolverTest, TheSampleIsInferredOncePerFile) {
  // The first resolution infers; a later one for the same file (alone after its
  // group, a retry) reuses that inference, whatever rows it is handed.
  ASSERT_TRUE(Resolve(names_, rows_).has_value());
  ASSERT_TRUE(inferred_.inferred());
  plan_.table = "again";
  TextBatch reread = Sample({"id", "name"}, {{"", "b"}});  // alone: a nullable string
  auto resolved = Resolve(names_, reread);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_EQ(sink_.Table("again")->columns[0].type, ColumnType::kInteger);
}

}  // namespace
}  // namespace sluice

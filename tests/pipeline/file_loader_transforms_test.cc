// FileLoader with the transforms of a table rule (normalize, derive, filter, drop)
// on a FakeSink: what reaches the table, what is filtered, what is a bad row.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "file_loader_fixture.h"
#include "pipeline/file_loader.h"

namespace sluice {
namespace {

using testing::FileLoaderTest;
using Rows = std::vector<std::string>;

class FileLoaderTransformsTest : public FileLoaderTest {
 protected:
  FileLoaderTransformsTest() { config_.defaults.origin = "sluice.yaml: defaults"; }
  // The rejects file's records of `name`.
  std::vector<nlohmann::json> Rejects(const std::string& name) {
    std::vector<nlohmann::json> out;
    std::istringstream in(testing::ReadFile(Quarantined(name + ".rejects.jsonl")));
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
};

TEST_F(FileLoaderTransformsTest, NormalizeRunsBeforeInferenceAndValidation) {
  NormalizeOptions n;
  n.trim = true;
  n.null_values = {"NA", "-"};
  n.letter_case = {{"status", LetterCase::kLower}};
  n.map = {{"status", {{"ok", "good"}}}};
  config_.defaults.normalize = n;
  // Without null_values, "NA" would make temp a string column.
  FileResult r =
      ProcessOne(Land("sensors.csv", "id,temp,status\n 1 , 20.5 ,OK\n2,NA, Fail \n3,-,-\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Table("sensors")->columns[1].type, ColumnType::kFloat);
  EXPECT_EQ(sink_->Rows("sensors"), (Rows{"1|20.500000|good", "2|\\N|fail", "3|\\N|\\N"}));
}

TEST_F(FileLoaderTransformsTest, NormalizeAppliesToEveryBatchOnce) {
  NormalizeOptions n;
  n.letter_case = {{"s", LetterCase::kLower}};
  // a → b → c would show a second application.
  n.map = {{"s", {{"a", "b"}, {"b", "c"}}}};
  config_.defaults.normalize = n;
  std::string csv = "id,s\n";
  for (int i = 0; i < 50000; ++i) csv += std::to_string(i) + ",A\n";
  FileResult r = ProcessOne(Land("big.csv", csv));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  const Rows rows = sink_->Rows("big");
  ASSERT_EQ(rows.size(), 50000u);
  for (const std::string& row : rows) ASSERT_TRUE(row.ends_with("|b")) << row;
}

TEST_F(FileLoaderTransformsTest, DeriveFilterAndDropShapeTheTableAndCountFilteredRows) {
  config_.defaults.derive =
      std::vector<DerivedColumn>{{"temp_k", "temp + 273.15"}, {"hot", "temp_k > 300"}};
  config_.defaults.filter = "status <> 'maintenance'";
  config_.defaults.drop = std::vector<std::string>{"raw", "hot"};
  FileResult r = ProcessOne(
      Land("sensors.csv", "id,temp,status,raw\n1,20,ok,x\n2,30,maintenance,y\n3,,ok,z\n4,40,,w\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  const TableDef table = *sink_->Table("sensors");
  ASSERT_EQ(table.columns.size(), 4u);
  EXPECT_EQ(table.columns[0].name, "id");
  EXPECT_EQ(table.columns[2].name, "status");
  EXPECT_EQ(table.columns[3].name, "temp_k");
  EXPECT_EQ(table.columns[3].type, ColumnType::kFloat);
  // Row 2: maintenance; row 4: status NULL, so the filter is NULL: skipped too.
  EXPECT_EQ(sink_->Rows("sensors"), (Rows{"1|20|ok|293.150000", "3|\\N|ok|\\N"}));
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.filtered, 2u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(Record("sensors.csv")->rows_filtered, 2u);
  EXPECT_EQ(Record("sensors.csv")->rows_loaded, 2u);
}

TEST_F(FileLoaderTransformsTest, AGroupsMembersEachCountTheirFilteredRows) {
  config_.defaults.filter = "id > 1";
  std::vector<FileResult> r = Process({Land("orders_1.csv", "id,name\n1,a\n2,b\n"),
                                       Land("orders_2.csv", "id,name\n0,c\n1,d\n3,e\n")});
  ASSERT_EQ(r[0].outcome, FileOutcome::kLoaded) << r[0].error.ToString();
  ASSERT_EQ(r[1].outcome, FileOutcome::kLoaded) << r[1].error.ToString();
  EXPECT_EQ(sink_->Count(testing::FakeCall::kBegin), 1);  // one group
  EXPECT_EQ(r[0].filtered, 1u);
  EXPECT_EQ(r[1].filtered, 2u);
  EXPECT_EQ(Record("orders_2.csv")->rows_filtered, 2u);
  EXPECT_EQ(sink_->Rows("orders"), (Rows{"2|b", "3|e"}));
}

TEST_F(FileLoaderTransformsTest, AnExpressionFailingOnARowMakesItABadRowWithItsLine) {
  config_.defaults.derive = std::vector<DerivedColumn>{{"ratio", "a / b"}};
  // Line 4 fails although the filter would skip it; line 5 is filtered.
  config_.defaults.filter = "a > 0";
  config_.defaults.max_rejects = 5;
  FileResult r = ProcessOne(Land("t.csv", "a,b\n6,3\n4,0\n-1,0\n-2,1\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Rows("t"), (Rows{"6|3|2"}));
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.filtered, 1u);
  const auto rejects = Rejects("t.csv");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0]["line"], 3);
  EXPECT_EQ(rejects[0]["kind"], "transform");
  EXPECT_EQ(rejects[0]["column"], "ratio");
  EXPECT_EQ(rejects[0]["raw"], "4,0");
  EXPECT_NE(rejects[0]["reason"].get<std::string>().find("derive 'ratio' \"a / b\""),
            std::string::npos)
      << rejects[0]["reason"];
  EXPECT_EQ(rejects[1]["line"], 4);
}

TEST_F(FileLoaderTransformsTest, TransformBadRowsCountAgainstTheThreshold) {
  config_.defaults.derive = std::vector<DerivedColumn>{{"ratio", "a / b"}};
  FileResult r = ProcessOne(Land("t.csv", "a,b\n6,3\n4,0\n"));
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_TRUE(sink_->Rows("t").empty());
  EXPECT_NE(r.error.message().find("line 3, column ratio: sluice.yaml: defaults: derive 'ratio' "
                                   "\"a / b\": division by zero"),
            std::string::npos)
      << r.error.message();
}

TEST_F(FileLoaderTransformsTest, AnExpressionThatDoesNotFitTheFileQuarantinesIt) {
  // Types are known per file without a declared schema: `name` is a string here.
  config_.defaults.derive = std::vector<DerivedColumn>{{"twice", "name * 2"}};
  FileResult r = ProcessOne(Land("orders.csv", testing::kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("sluice.yaml: defaults: derive 'twice' \"name * 2\": at "),
            std::string::npos)
      << r.error.message();
  EXPECT_FALSE(sink_->Table("orders").has_value());
}

TEST_F(FileLoaderTransformsTest, AFileWithTheDerivedColumnsNameIsRefused) {
  config_.defaults.derive = std::vector<DerivedColumn>{{"name", "upper(name)"}};
  FileResult r = ProcessOne(Land("orders.csv", testing::kOrders));
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("the file has a column 'name' already"), std::string::npos)
      << r.error.message();
}

TEST_F(FileLoaderTransformsTest, TheNextFileLoadsIntoTheTableWithItsDerivedColumns) {
  config_.defaults.derive =
      std::vector<DerivedColumn>{{"label", "upper(name) || '-' || cast(id as string)"}};
  config_.defaults.key = std::vector<std::string>{"label"};
  ASSERT_EQ(ProcessOne(Land("orders.csv", testing::kOrders)).outcome, FileOutcome::kLoaded);
  FileResult r = ProcessOne(Land("orders_2.csv", "id,name\n3,c\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Rows("orders"), (Rows{"1|a|A-1", "2|b|B-2", "3|c|C-3"}));
  EXPECT_EQ(sink_->Table("orders")->key, (std::vector<std::string>{"label"}));
}

TEST_F(FileLoaderTransformsTest, ADerivedColumnTheTableLacksIsAddedWithAddColumns) {
  ASSERT_EQ(ProcessOne(Land("orders.csv", testing::kOrders)).outcome, FileOutcome::kLoaded);
  config_.defaults.derive = std::vector<DerivedColumn>{{"id2", "id * 2"}};
  FileResult refused = ProcessOne(Land("orders_2.csv", "id,name\n3,c\n"));
  EXPECT_EQ(refused.outcome, FileOutcome::kQuarantined);
  config_.defaults.schema_evolution = SchemaEvolution::kAddColumns;
  FileResult r = ProcessOne(Land("orders_3.csv", "id,name\n4,d\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Rows("orders"), (Rows{"1|a|\\N", "2|b|\\N", "4|d|8"}));
  EXPECT_EQ(sink_->Table("orders")->columns[2].type, ColumnType::kInteger);
}

TEST_F(FileLoaderTransformsTest, WithADeclaredSchemaExpressionsReadItsTypes) {
  Schema schema;
  schema.columns = {{"id", ColumnType::kInteger, false}, {"code", ColumnType::kString, true}};
  config_.defaults.schema = schema;
  // code is declared a string though its values look like numbers.
  config_.defaults.derive = std::vector<DerivedColumn>{{"code_len", "length(code)"}};
  config_.defaults.drop = std::vector<std::string>{"code"};
  FileResult r = ProcessOne(Land("codes.csv", "id,code\n1,007\n2,12\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Rows("codes"), (Rows{"1|3", "2|2"}));
}

}  // namespace
}  // namespace sluice

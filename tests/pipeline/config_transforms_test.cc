// The transform keys of the configuration (normalize, derive, filter, drop,
// aggregates) and the start-up check of their expressions and aggregates.
#include "pipeline/config_transforms.h"

#include <gtest/gtest.h>

#include <string>

#include "pipeline/config.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::TempDir;
using testing::WriteFile;

class ConfigTransformsTest : public ::testing::Test {
 protected:
  Status Load(const std::string& yaml) {
    path_ = dir_ / "sluice.yaml";
    WriteFile(path_, yaml);
    config_ = Config{};
    return LoadConfigFile(path_, config_);
  }
  // Expects Load to fail with a message containing each of `parts`.
  void ExpectError(const std::string& yaml, const std::vector<std::string>& parts) {
    Status s = Load(yaml);
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    for (const std::string& part : parts) {
      EXPECT_NE(s.message().find(part), std::string::npos) << s.message() << "\nlacks: " << part;
    }
  }
  TempDir dir_;
  std::string path_;
  Config config_;
};

TEST_F(ConfigTransformsTest, ParsesEveryKeyOfTheIssuesExample) {
  ASSERT_TRUE(Load(R"yaml(tables:
  - match: "sensors*"
    table: sensors
    normalize:
      trim: true
      null_values: ["", "NA", "N/A", "null", "-"]
      case: {status: lower}
      map: {status: {OK: ok, Ok: ok, FAIL: fail}}
    derive:
      - name: temperature_k
        expr: "temperature + 273.15"
      - name: day
        expr: "date(ts)"
    filter: "status <> 'maintenance' and temperature is not null"
    drop: [raw_payload]
)yaml")
                  .ok());
  ASSERT_EQ(config_.tables.size(), 1u);
  const TableRule& rule = config_.tables[0];
  ASSERT_TRUE(rule.normalize.has_value());
  EXPECT_TRUE(rule.normalize->trim);
  EXPECT_EQ(rule.normalize->null_values, (std::vector<std::string>{"", "NA", "N/A", "null", "-"}));
  EXPECT_EQ(rule.normalize->letter_case.at("status"), LetterCase::kLower);
  EXPECT_EQ(rule.normalize->map.at("status").at("FAIL"), "fail");
  EXPECT_EQ(*rule.derive, (std::vector<DerivedColumn>{{"temperature_k", "temperature + 273.15"},
                                                      {"day", "date(ts)"}}));
  EXPECT_EQ(*rule.filter, "status <> 'maintenance' and temperature is not null");
  EXPECT_EQ(*rule.drop, (std::vector<std::string>{"raw_payload"}));
  EXPECT_EQ(rule.origin, path_ + ": tables[0] (match \"sensors*\")");

  const TablePlan plan = config_.Resolve("sensors_1.csv");
  EXPECT_TRUE(plan.normalize.trim);
  EXPECT_EQ(plan.derive.size(), 2u);
  EXPECT_EQ(plan.derive_origin, rule.origin);
  EXPECT_EQ(plan.filter_origin, rule.origin);
  EXPECT_TRUE(plan.transforms_rows());
  EXPECT_FALSE(config_.Resolve("other.csv").transforms_rows());
  EXPECT_FALSE(config_.Resolve("other.csv").normalize.any());
}

TEST_F(ConfigTransformsTest, DefaultsApplyWhereARuleSetsNoneAndEachKeyIsTakenWhole) {
  ASSERT_TRUE(Load(R"yaml(defaults:
  normalize: {trim: true}
  derive: [{name: a2, expr: "2"}]
  filter: "true"
  drop: "x, y"
tables:
  - match: "t*"
    derive: [{name: b, expr: "3"}]
)yaml")
                  .ok());
  const TablePlan t = config_.Resolve("t.csv");
  EXPECT_EQ(t.derive, (std::vector<DerivedColumn>{{"b", "3"}}));
  EXPECT_EQ(t.derive_origin, path_ + ": tables[0] (match \"t*\")");
  EXPECT_EQ(t.filter, "true");
  EXPECT_EQ(t.filter_origin, path_ + ": defaults");
  EXPECT_EQ(t.drop, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(t.normalize.trim);
  EXPECT_EQ(config_.Resolve("u.csv").derive, (std::vector<DerivedColumn>{{"a2", "2"}}));
}

TEST_F(ConfigTransformsTest, AggregatesParseAsAMappingOrTrue) {
  ASSERT_TRUE(Load(R"yaml(tables:
  - match: "sensors*"
    table: sensors
    aggregates:
      table: sensors_stats
      columns: [temperature_k, humidity]
      by: "sensor_id, site"
  - match: "other*"
    aggregates: true
)yaml")
                  .ok());
  ASSERT_TRUE(config_.tables[0].aggregates.has_value());
  EXPECT_EQ(*config_.tables[0].aggregates,
            (AggregateSpec{"sensors_stats", {"temperature_k", "humidity"}, {"sensor_id", "site"}}));
  EXPECT_EQ(config_.tables[1].aggregates, AggregateSpec{});
  EXPECT_FALSE(config_.defaults.aggregates.has_value());
  EXPECT_FALSE(config_.Resolve("x.csv").aggregates.has_value());
}

TEST_F(ConfigTransformsTest, ARulesAggregatesReplaceTheDefaults) {
  ASSERT_TRUE(Load(R"yaml(defaults:
  aggregates: {columns: [a]}
tables:
  - match: "t*"
    aggregates: {by: [s]}
  - match: "u*"
    derive: [{name: b, expr: "1"}]
  - match: "w*"
    aggregates: false
)yaml")
                  .ok());
  EXPECT_EQ(config_.Resolve("t.csv").aggregates, (AggregateSpec{"", {}, {"s"}}));
  EXPECT_EQ(config_.Resolve("u.csv").aggregates, (AggregateSpec{"", {"a"}, {}}));
  EXPECT_EQ(config_.Resolve("v.csv").aggregates, (AggregateSpec{"", {"a"}, {}}));
  // false: none for the rule's files, whatever the defaults say.
  EXPECT_FALSE(config_.Resolve("w.csv").aggregates.has_value());
  // Nor are the defaults' aggregates checked against that rule's columns.
  ASSERT_TRUE(Load("defaults:\n  aggregates: {columns: [t]}\ntables:\n  - match: x\n"
                   "    columns: [{name: s, type: string}]\n    aggregates: false\n  - match: y\n")
                  .ok());
}

TEST_F(ConfigTransformsTest, MalformedAggregatesNameTheFileLineRuleAndKey) {
  ExpectError("tables:\n  - match: \"s*\"\n    aggregates:\n      tables: stats\n",
              {"sluice.yaml:4", "tables[0] (match \"s*\")", "key 'aggregates'",
               "unknown key 'tables' (expected table, columns or by)"});
  ExpectError(
      "defaults:\n  aggregates: maybe\n",
      {"sluice.yaml:2", "defaults", "expected true, false or a mapping of table, columns and by"});
  ExpectError("defaults:\n  aggregates: [a]\n",
              {"key 'aggregates'", "expected true, false or a mapping"});
  ExpectError("defaults:\n  aggregates: {table: \"\"}\n", {"aggregates.table: expected a table"});
  ExpectError("defaults:\n  aggregates: {columns: {a: 1}}\n",
              {"aggregates.columns: expected column names"});
  ExpectError("defaults:\n  aggregates: {by: [a, b, a]}\n",
              {"aggregates.by: column 'a' is named twice"});
}

TEST_F(ConfigTransformsTest, AggregatesAreCheckedAgainstADeclaredSchema) {
  const std::string columns = R"(    columns:
      - {name: sensor_id, type: string}
      - {name: temperature, type: float}
      - {name: humidity, type: integer}
      - {name: raw, type: float}
)";
  const std::string rule = "tables:\n  - match: x\n    table: sensors\n" + columns +
                           "    derive: [{name: temperature_k, expr: \"temperature + 273.15\"},"
                           " {name: day, expr: \"date('2024-01-01')\"}]\n    drop: [raw]\n";
  ASSERT_TRUE(
      Load(rule + "    aggregates: {columns: [temperature_k, humidity], by: [sensor_id]}\n").ok());
  ASSERT_TRUE(Load(rule + "    aggregates: true\n    metadata: [line]\n").ok());
  const std::string at = path_ + ": tables[0] (match \"x\"): aggregates: ";
  ExpectError(rule + "    aggregates: {columns: [pressure]}\n",
              {at + "column \"pressure\" is not a column of sensors"});
  ExpectError(rule + "    aggregates: {columns: [day]}\n",
              {at + "column \"day\" is date, not integer or float"});
  ExpectError(rule + "    aggregates: {columns: [sensor_id]}\n", {"\"sensor_id\" is string"});
  ExpectError(rule + "    aggregates: {columns: [raw]}\n", {at + "column \"raw\" is dropped"});
  ExpectError(rule + "    aggregates: {by: [site]}\n",
              {at + "`by` column \"site\" is not a column of sensors"});
  ExpectError(rule + "    aggregates: {columns: [_file]}\n    metadata: [file]\n",
              {"\"_file\" is string"});
  ExpectError(rule + "    aggregates: {table: sensors}\n",
              {at + "the aggregates table must not be the table sensors itself"});
  // The defaults' aggregates are checked for a rule that has none, with its schema.
  ExpectError("defaults:\n  aggregates: {columns: [nope]}\ntables:\n  - match: x\n" + columns,
              {path_ + ": defaults: aggregates: column \"nope\" is not a column"});
}

TEST_F(ConfigTransformsTest, AggregatesWithoutASchemaCheckWhatIsKnown) {
  // The file's columns are known per file: these are checked there.
  ASSERT_TRUE(Load("defaults:\n  aggregates: {columns: [temperature], by: [sensor_id]}\n").ok());
  ASSERT_TRUE(Load("defaults:\n  derive: [{name: k, expr: \"temperature + 1\"}]\n"
                   "  aggregates: {columns: [k]}\n")
                  .ok());
  ExpectError("defaults:\n  derive: [{name: d, expr: \"'x'\"}]\n  aggregates: {columns: [d]}\n",
              {path_ + ": defaults: aggregates: column \"d\" is string, not integer or float"});
  ExpectError("defaults:\n  drop: [t]\n  aggregates: {columns: [t]}\n", {"\"t\" is dropped"});
  ExpectError("defaults:\n  metadata: [loaded_at]\n  aggregates: {columns: [_loaded_at]}\n",
              {"\"_loaded_at\" is timestamp"});
  ExpectError("defaults:\n  aggregates: {by: [count]}\n",
              {"`by` column \"count\" has the name of a column of the aggregates table"});
  ExpectError(
      "tables:\n  - match: x\n    table: s\n    aggregates: {table: s}\n",
      {"tables[0] (match \"x\"): aggregates: the aggregates table must not be the table s"});
  ExpectError("tables:\n  - match: x\n    table: s\n  - match: y\n    aggregates: {table: s}\n",
              {"tables[1] (match \"y\"): aggregates: the aggregates table s is the table of " +
               path_ + ": tables[0] (match \"x\")"});
}

TEST_F(ConfigTransformsTest, MalformedKeysNameTheFileLineRuleAndKey) {
  ExpectError("defaults:\n  normalize: {trim: maybe}\n",
              {"sluice.yaml:2", "defaults", "key 'normalize'", "trim"});
  ExpectError("defaults:\n  normalize: {case: {s: title}}\n", {"expected lower or upper"});
  ExpectError("defaults:\n  normalize: {spaces: true}\n", {"unknown key 'spaces'"});
  ExpectError("defaults:\n  normalize: {null_values: NA}\n", {"null_values: expected a list"});
  ExpectError("defaults:\n  normalize: {map: {s: [a]}}\n", {"normalize.map"});
  ExpectError("tables:\n  - match: x\n    derive: {name: a, expr: b}\n",
              {"tables[0] (match \"x\")", "key 'derive'", "expected a list"});
  ExpectError("tables:\n  - match: x\n    derive: [{expr: \"1\"}]\n", {"needs a name"});
  ExpectError("tables:\n  - match: x\n    derive: [{name: a}]\n", {"'a' needs an expr"});
  ExpectError("tables:\n  - match: x\n    derive: [{name: a, expr: \"1\", type: int}]\n",
              {"unknown key 'type'"});
  ExpectError(
      "tables:\n  - match: x\n    derive: [{name: a, expr: \"1\"}, {name: a, expr: \"2\"}]\n",
      {"'a' is derived twice"});
  ExpectError("defaults:\n  filter: [a]\n", {"key 'filter'", "expected an expression"});
  ExpectError("defaults:\n  drop: {a: 1}\n", {"key 'drop'", "expected a list"});
}

TEST_F(ConfigTransformsTest, ABadExpressionStopsTheLoadNamingFileRuleExpressionAndPosition) {
  ExpectError(R"yaml(tables:
  - match: "s*"
    derive:
      - name: k
        expr: "temperature + * 2"
)yaml",
              {path_ + ": tables[0] (match \"s*\"): derive 'k' \"temperature + * 2\": at 15"});
  ExpectError("defaults:\n  filter: \"lower(\"\n", {path_ + ": defaults: filter \"lower(\": at "});
  ExpectError("defaults:\n  derive: [{name: x, expr: \"sqr(2)\"}]\n", {"unknown function"});
}

TEST_F(ConfigTransformsTest, WithADeclaredSchemaNamesAndTypesAreCheckedAtStartUp) {
  const std::string columns = R"(    columns:
      - {name: id, type: integer}
      - {name: name, type: string}
)";
  ASSERT_TRUE(Load("tables:\n  - match: x\n" + columns +
                   "    derive: [{name: n2, expr: \"id * 2\"}]\n    filter: \"n2 > 2\"\n")
                  .ok());
  ExpectError("tables:\n  - match: x\n" + columns + "    derive: [{name: t, expr: \"tmp + 1\"}]\n",
              {"derive 't' \"tmp + 1\": at 1: unknown column"});
  ExpectError("tables:\n  - match: x\n" + columns + "    derive: [{name: t, expr: \"name * 2\"}]\n",
              {"derive 't' \"name * 2\": at "});
  ExpectError("tables:\n  - match: x\n" + columns + "    filter: \"id + 1\"\n",
              {"filter \"id + 1\": must be true or false for a row, not integer"});
  // The defaults' schema counts for a rule without its own.
  ExpectError("defaults:\n" + columns.substr(2) + "tables:\n  - match: x\n    filter: \"nope\"\n",
              {"tables[0] (match \"x\"): filter \"nope\": at 1: unknown column"});
}

TEST_F(ConfigTransformsTest, WithoutASchemaUnknownColumnsWaitForTheFile) {
  // Columns are known per file: these compile there or quarantine the file.
  ASSERT_TRUE(Load("defaults:\n  derive: [{name: k, expr: \"temperature + 273.15\"},"
                   " {name: d, expr: \"k * 2\"}]\n  filter: \"d > 0\"\n")
                  .ok());
  // Expressions after one that waits are still checked.
  ExpectError(
      "defaults:\n  derive: [{name: k, expr: \"temperature + 1\"}, {name: d, expr: "
      "\"k +\"}]\n",
      {"derive 'd' \"k +\": at "});
  ExpectError("defaults:\n  derive: [{name: k, expr: \"temperature\"}]\n  filter: \"k = = 1\"\n",
              {"filter \"k = = 1\": at "});
  // What needs no file is checked: a derived column's own use of an earlier one.
  ExpectError(
      "defaults:\n  derive: [{name: k, expr: \"1 + 1\"}, {name: d, expr: \"k and true\"}]\n",
      {"derive 'd' \"k and true\": at "});
}

}  // namespace
}  // namespace sluice

#include "pipeline/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "test_util.h"

namespace sluice {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(ConfigTest, LoadsEveryTopLevelKeyAndTableRules) {
  TempDir dir;
  WriteFile(dir / "s.yaml", "columns:\n  - name: id\n    type: integer\n    nullable: false\n");
  WriteFile(dir / "sluice.yaml", R"(source: /in
sink: sqlite:/tmp/x.db
ledger: /tmp/l.db
processed: /done
quarantine: /bad
after_load: keep
workers: 3
settle_ms: 250
rescan_seconds: 2.5
retry_budget_seconds: 4.5
max_crashes: 5
recursive: true
include: ["*.csv"]
exclude: "*_draft*, *.bak"
log_format: json
defaults:
  normalize_names: true
  metadata: [file, line]
  schema_evolution: add_columns
tables:
  - match: "sensors*"
    table: readings
    schema: s.yaml
    key: [id]
    max_reject_ratio: 0.5
    after_load: delete
    delimiter: ";"
    header: false
    schema_evolution: none
)");
  Config c;
  ASSERT_TRUE(LoadConfigFile(dir / "sluice.yaml", c).ok());
  EXPECT_EQ(c.source, "/in");
  EXPECT_EQ(c.sink, "sqlite:/tmp/x.db");
  EXPECT_EQ(c.workers, 3);
  EXPECT_EQ(c.settle.count(), 250);
  EXPECT_EQ(c.rescan.count(), 2500);
  EXPECT_EQ(c.retry_budget.count(), 4500);
  EXPECT_EQ(c.max_crashes, 5);
  EXPECT_EQ(Config{}.max_crashes, 3);
  EXPECT_TRUE(c.recursive);
  EXPECT_EQ(c.exclude, (std::vector<std::string>{"*_draft*", "*.bak"}));
  EXPECT_EQ(c.log_format, LogFormat::kJson);

  TablePlan p = c.Resolve("sensors-2026.csv");
  EXPECT_EQ(p.table, "readings");
  ASSERT_TRUE(p.schema.has_value());
  EXPECT_EQ(p.schema->columns[0].name, "id");
  EXPECT_EQ(p.key, std::vector<std::string>{"id"});
  EXPECT_EQ(p.after_load, AfterLoad::kDelete);
  EXPECT_EQ(p.dialect.delimiter, ';');
  EXPECT_EQ(p.dialect.header, false);
  EXPECT_TRUE(p.normalize_names);
  EXPECT_TRUE(p.metadata.file && p.metadata.line && !p.metadata.loaded_at);
  EXPECT_FALSE(p.max_rejects.has_value());
  EXPECT_EQ(p.max_reject_ratio, 0.5);
  EXPECT_EQ(p.schema_evolution, SchemaEvolution::kNone);  // the rule beats the defaults

  TablePlan other = c.Resolve("Orders_2026-01-01.csv.gz");
  EXPECT_EQ(other.table, "orders");
  EXPECT_EQ(other.after_load, AfterLoad::kKeep);
  EXPECT_FALSE(other.schema.has_value());
  EXPECT_EQ(other.schema_evolution, SchemaEvolution::kAddColumns);
  EXPECT_EQ(Config{}.Resolve("x.csv").schema_evolution, SchemaEvolution::kNone);
}

TEST(ConfigTest, OverridesBeatRulesAndRulesBeatDefaults) {
  Config c;
  c.defaults.after_load = AfterLoad::kKeep;
  c.defaults.max_rejects = 10;
  TableRule rule;
  rule.match = "a/*.csv";
  rule.table = "from_rule";
  rule.max_reject_ratio = 0.1;
  c.tables.push_back(rule);
  EXPECT_EQ(c.Resolve("a/x.csv").table, "from_rule");
  EXPECT_EQ(c.Resolve("b/a/x.csv").table, "x");  // a pattern with '/' matches the whole path
  TablePlan p = c.Resolve("a/x.csv");
  EXPECT_EQ(p.after_load, AfterLoad::kKeep);
  // The rule's ratio replaces the default count: one level decides both thresholds.
  EXPECT_FALSE(p.max_rejects.has_value());
  EXPECT_EQ(p.max_reject_ratio, 0.1);
  c.overrides.table = "forced";
  EXPECT_EQ(c.Resolve("a/x.csv").table, "forced");
}

TEST(ConfigTest, ThresholdRules) {
  TablePlan strict;
  EXPECT_TRUE(strict.WithinThreshold(0, 100));
  EXPECT_FALSE(strict.WithinThreshold(1, 100));
  EXPECT_TRUE(strict.CountExceeded(1));

  TablePlan count;
  count.max_rejects = 2;
  EXPECT_TRUE(count.WithinThreshold(2, 3));
  EXPECT_FALSE(count.WithinThreshold(3, 1000));
  EXPECT_TRUE(count.CountExceeded(3));

  TablePlan ratio;
  ratio.max_reject_ratio = 0.1;
  EXPECT_TRUE(ratio.WithinThreshold(10, 100));
  EXPECT_FALSE(ratio.WithinThreshold(11, 100));
  EXPECT_FALSE(ratio.CountExceeded(1000));

  TablePlan both;
  both.max_rejects = 5;
  both.max_reject_ratio = 0.5;
  EXPECT_FALSE(both.WithinThreshold(6, 100));  // ratio fine, count not
  EXPECT_FALSE(both.WithinThreshold(3, 4));    // count fine, ratio not
  EXPECT_TRUE(both.WithinThreshold(3, 10));
}

struct BadConfig {
  const char* yaml;
  const char* expected;  // must appear in the message
};

TEST(ConfigTest, ErrorsNameFileKeyAndLine) {
  const BadConfig cases[] = {
      {"source: ./d\nbogus: 1\n", ":2: key 'bogus': unknown key"},
      {"workers: many\n", ":1: key 'workers': expected a whole number"},
      {"workers: 0\n", "key 'workers': must be at least 1"},
      {"max_crashes: -1\n", "key 'max_crashes': must not be negative"},
      {"after_load: shred\n", "key 'after_load': expected move, delete, keep or parquet"},
      {"tables:\n  - table: t\n", ":2: key 'match': missing"},
      {"tables:\n  - match: x\n    max_reject_ratio: 2\n", ":3: key 'max_reject_ratio'"},
      {"tables:\n  - match: x\n    schema: missing.yaml\n", "key 'schema'"},
      {"tables:\n  - match: x\n    colour: red\n", ":3: key 'colour': unknown key"},
      {"source: [unclosed\n", "invalid YAML"},
      {"defaults:\n  metadata: [file, nonsense]\n", "key 'metadata'"},
      {"defaults:\n  schema_evolution: drop_columns\n",
       ":2: key 'schema_evolution': expected none or add_columns"},
      {"defaults:\n  max_columns: 0\n", ":2: key 'max_columns': must be at least 1"},
      // Found by fuzz/config_yaml_fuzz.cc: converting these to milliseconds overflowed.
      {"retry_budget_seconds: 3e75\n",
       ":1: key 'retry_budget_seconds': must be at most 1000000000"},
      {"rescan_seconds: 1e10\n", ":1: key 'rescan_seconds': must be at most 1000000000"},
  };
  for (const auto& bad : cases) {
    TempDir dir;
    std::string path = dir / "sluice.yaml";
    WriteFile(path, bad.yaml);
    Config c;
    Status s = LoadConfigFile(path, c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad.yaml;
    EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(bad.expected), std::string::npos)
        << "message: " << s.message() << "\nexpected: " << bad.expected;
  }
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  Config c;
  c.source = "from-file";
  setenv("SLUICE_SOURCE", "/from/env", 1);
  setenv("SLUICE_WORKERS", "7", 1);
  setenv("SLUICE_AFTER_LOAD", "delete", 1);
  setenv("SLUICE_SCHEMA_EVOLUTION", "add_columns", 1);
  ASSERT_TRUE(ApplyEnvironment(c).ok());
  EXPECT_EQ(c.overrides.schema_evolution, SchemaEvolution::kAddColumns);
  setenv("SLUICE_SCHEMA_EVOLUTION", "yes", 1);
  EXPECT_NE(ApplyEnvironment(c).message().find("SLUICE_SCHEMA_EVOLUTION"), std::string::npos);
  unsetenv("SLUICE_SCHEMA_EVOLUTION");
  EXPECT_EQ(c.source, "/from/env");
  EXPECT_EQ(c.workers, 7);
  EXPECT_EQ(c.overrides.after_load, AfterLoad::kDelete);
  setenv("SLUICE_WORKERS", "x", 1);
  Status s = ApplyEnvironment(c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("SLUICE_WORKERS"), std::string::npos);
  unsetenv("SLUICE_SOURCE");
  unsetenv("SLUICE_WORKERS");
  unsetenv("SLUICE_AFTER_LOAD");
}

// Issue 12, item 11: what sluice writes must not be what it watches.
Config PathsIn(const TempDir& dir) {
  Config c;
  c.source = dir / "data";
  c.processed = dir / "processed";
  c.quarantine = dir / "quarantine";
  c.ledger = dir / "ledger.db";
  c.sink = "sqlite:" + (dir / "out.db");
  std::filesystem::create_directories(c.source);
  return c;
}

void ExpectRefused(const Config& c, const std::string& fragment) {
  Status s = CheckOutputsOutsideSource(c);
  ASSERT_FALSE(s.ok()) << "accepted: " << fragment;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.ToString();
}

TEST(ConfigTest, OutputsOutsideTheSourceFolderAreAccepted) {
  TempDir dir;
  Config c = PathsIn(dir);
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
  // Below the source folder the processed and quarantine folders are skipped.
  c.processed = dir / "data/processed";
  c.quarantine = dir / "data/quarantine";
  c.recursive = true;
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok()) << CheckOutputsOutsideSource(c).ToString();
  // A source folder below the processed folder: archived files land outside it.
  c = PathsIn(dir);
  c.processed = dir.path();
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
  // Other sinks have no file to check.
  c.sink = "postgresql://localhost/x";
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
}

TEST(ConfigTest, ProcessedOrQuarantineEqualToSourceIsRefused) {
  TempDir dir;
  Config c = PathsIn(dir);
  c.processed = c.source;
  ExpectRefused(c, "the processed folder " + c.source + " is the source folder");
  c = PathsIn(dir);
  c.quarantine = dir / "data/";  // spelled differently
  ExpectRefused(c, "--quarantine");
  c = PathsIn(dir);
  std::filesystem::create_directory_symlink(dir / "data", dir / "alias");
  c.processed = dir / "alias";
  ExpectRefused(c, "is the source folder");
  c = PathsIn(dir);
  c.source = dir / "alias";  // the source given through the link
  c.quarantine = dir / "data/./";
  ExpectRefused(c, "is the source folder");
}

TEST(ConfigTest, ParquetSinkFolderInsideSourceIsRefused) {
  TempDir dir;
  Config c = PathsIn(dir);
  c.recursive = true;  // the files lie in sub-folders: watched only by a recursive watch
  c.sink = "parquet:" + (dir / "data/lake");
  ExpectRefused(c, "the Parquet sink folder " + (dir / "data/lake") + " is inside the source");
  c.sink = "parquet://" + (dir / "data");
  ExpectRefused(c, "the Parquet sink folder");
  c.exclude = {"*.parquet"};
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
  c = PathsIn(dir);
  c.sink = "parquet:" + (dir / "data/lake");
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());  // not recursive: DIR/TABLE/ is not watched
  c.recursive = true;
  c.sink = "parquet:" + (dir / "lake");
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
}

TEST(ConfigTest, LedgerOrSqliteSinkInsideSourceIsRefused) {
  TempDir dir;
  Config c = PathsIn(dir);
  c.ledger = dir / "data/ledger.db";
  ExpectRefused(c, "the ledger " + c.ledger + " is inside the source folder");
  c = PathsIn(dir);
  c.sink = "sqlite:" + (dir / "data/out.db");
  ExpectRefused(c, "the sink database");
  c.sink = "sqlite://" + (dir / "data/out.db");
  ExpectRefused(c, "the sink database");
  // Only its -wal/-shm/.lock files would be seen: still refused.
  c = PathsIn(dir);
  c.ledger = dir / "data/ledger.db";
  c.include = {"*-wal", "*.lock"};
  ExpectRefused(c, "(its file " + c.ledger + "-wal)");
  // Through a symlinked folder.
  std::filesystem::create_directory_symlink(dir / "data", dir / "alias");
  c = PathsIn(dir);
  c.ledger = dir / "alias/ledger.db";
  ExpectRefused(c, "the ledger");
  // In a sub-folder of a recursive watch.
  c = PathsIn(dir);
  c.recursive = true;
  c.ledger = dir / "data/state/ledger.db";
  ExpectRefused(c, "the ledger");
}

TEST(ConfigTest, LedgerTheWatcherWouldNotPickUpIsAccepted) {
  TempDir dir;
  Config c = PathsIn(dir);
  c.ledger = dir / "data/ledger.db";
  c.exclude = {"ledger.db*"};
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok()) << CheckOutputsOutsideSource(c).ToString();
  c.exclude.clear();
  c.include = {"*.csv"};
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
  c.include.clear();
  c.ledger = dir / "data/.sluice/ledger.db";  // hidden folder
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
  c.ledger = dir / "data/state/ledger.db";  // sub-folder, not recursive
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok());
  c.recursive = true;
  c.ledger = dir / "data/processed/ledger.db";  // inside the skipped processed folder
  c.processed = dir / "data/processed";
  EXPECT_TRUE(CheckOutputsOutsideSource(c).ok()) << CheckOutputsOutsideSource(c).ToString();
}

TEST(ConfigTest, SplitList) {
  EXPECT_EQ(SplitList(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitList("").empty());
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(ConfigTest, MaxColumnsPerTableWithADefault) {
  testing::TempDir dir;
  testing::WriteFile(dir / "sluice.yaml", R"(defaults:
  max_columns: 3000
tables:
  - match: "narrow*"
    max_columns: 10
)");
  Config c;
  ASSERT_TRUE(LoadConfigFile(dir / "sluice.yaml", c).ok());
  EXPECT_EQ(c.Resolve("narrow.csv").max_columns, 10u);
  EXPECT_EQ(c.Resolve("wide.csv").max_columns, 3000u);
  EXPECT_EQ(c.Resolve("wide.csv").Reader().max_columns, 3000u);
  EXPECT_EQ(Config{}.Resolve("x.csv").max_columns, kDefaultMaxColumns);
  c.overrides.max_columns = 7;  // --max-columns beats every rule
  EXPECT_EQ(c.Resolve("narrow.csv").max_columns, 7u);
}

TEST(ConfigTest, AfterLoadNames) {
  EXPECT_EQ(ParseAfterLoad("move"), AfterLoad::kMove);
  EXPECT_EQ(ParseAfterLoad("delete"), AfterLoad::kDelete);
  EXPECT_EQ(ParseAfterLoad("keep"), AfterLoad::kKeep);
  EXPECT_EQ(ParseAfterLoad("parquet"), AfterLoad::kParquet);
  EXPECT_FALSE(ParseAfterLoad("shred").has_value());
}

}  // namespace
}  // namespace sluice

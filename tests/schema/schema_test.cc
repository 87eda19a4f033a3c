#include "schema/schema.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "test_util.h"

namespace sluice {
namespace {

using testing::TempDir;
using testing::WriteFile;

// Writes `yaml` to a file and loads it, as the daemon does at start-up.
Result<Schema> Load(const std::string& yaml) {
  TempDir dir;
  const std::string path = dir / "schema.yaml";
  WriteFile(path, yaml);
  return LoadSchemaFile(path);
}

// Loads `yaml`, expects InvalidArgument, and returns the message.
std::string LoadError(const std::string& yaml) {
  Result<Schema> schema = Load(yaml);
  EXPECT_FALSE(schema.has_value());
  if (schema.has_value()) return "";
  EXPECT_EQ(schema.error().code(), StatusCode::kInvalidArgument) << schema.error().ToString();
  return schema.error().message();
}

TEST(SchemaYamlTest, LoadsEveryKey) {
  Result<Schema> schema = Load(R"(columns:
  - name: sensor_id
    type: integer
    nullable: false
    min: 0
    max: 100000
  - name: status
    type: string
    allowed: [ok, warn, fail]
    regex: "^[a-z]+$"
  - name: day
    type: date
    format: "%d/%m/%Y"
  - name: temp
    type: double
  - name: note
)");
  ASSERT_TRUE(schema.has_value()) << schema.error().ToString();
  ASSERT_EQ(schema->columns.size(), 5u);
  const ColumnSpec& id = schema->columns[0];
  EXPECT_EQ(id.name, "sensor_id");
  EXPECT_EQ(id.type, ColumnType::kInteger);
  EXPECT_FALSE(id.nullable);
  EXPECT_EQ(id.rules.min, 0.0);
  EXPECT_EQ(id.rules.max, 100000.0);
  const ColumnSpec& status = schema->columns[1];
  EXPECT_EQ(status.type, ColumnType::kString);
  EXPECT_TRUE(status.nullable);
  EXPECT_EQ(status.rules.allowed, (std::vector<std::string>{"ok", "warn", "fail"}));
  EXPECT_EQ(status.rules.regex, "^[a-z]+$");
  EXPECT_EQ(schema->columns[2].type, ColumnType::kDate);
  EXPECT_EQ(schema->columns[2].rules.format, "%d/%m/%Y");
  EXPECT_EQ(schema->columns[3].type, ColumnType::kFloat);
  // A column without a type is a string.
  EXPECT_EQ(schema->columns[4].type, ColumnType::kString);
  EXPECT_FALSE(schema->columns[4].rules.min.has_value());
}

TEST(SchemaYamlTest, FindAndDefs) {
  Result<Schema> schema = Load("columns:\n  - {name: a, type: int, nullable: no}\n  - {name: b}\n");
  ASSERT_TRUE(schema.has_value()) << schema.error().ToString();
  EXPECT_EQ(schema->Find("a"), 0);
  EXPECT_EQ(schema->Find("b"), 1);
  EXPECT_EQ(schema->Find("c"), -1);
  EXPECT_EQ(schema->Defs(), (std::vector<ColumnDef>{{"a", ColumnType::kInteger, false},
                                                    {"b", ColumnType::kString, true}}));
}

TEST(SchemaYamlTest, FromDefsHasNoRules) {
  const std::vector<ColumnDef> defs = {{"id", ColumnType::kInteger, false},
                                       {"at", ColumnType::kTimestamp, true}};
  Schema schema = SchemaFromDefs(defs);
  EXPECT_EQ(schema.Defs(), defs);
  EXPECT_FALSE(schema.columns[0].rules.min.has_value());
  EXPECT_TRUE(schema.columns[1].rules.allowed.empty());
}

TEST(SchemaYamlTest, RoundTripsThroughText) {
  Schema schema;
  ColumnSpec id;
  id.name = "sensor_id";
  id.type = ColumnType::kInteger;
  id.nullable = false;
  id.rules.min = -5;
  id.rules.max = 1e20;
  ColumnSpec temp;
  temp.name = "temp: °C";  // needs quoting in YAML
  temp.type = ColumnType::kFloat;
  temp.rules.min = 0.1;
  temp.rules.allowed = {"0.1", "2.5"};
  ColumnSpec status;
  status.name = "true";  // reads as a boolean unless kept a string
  status.rules.allowed = {"ok", "a, b", "#x", "yes", "null", "", "~", "'q'"};
  status.rules.regex = "^\\d+[a-z]*$";
  ColumnSpec at;
  at.name = "#at";
  at.type = ColumnType::kTimestamp;
  at.rules.format = "%d/%m/%Y %H:%M %z";
  ColumnSpec flag;
  flag.name = "- flag";
  flag.type = ColumnType::kBoolean;
  ColumnSpec day;
  day.name = "day";
  day.type = ColumnType::kDate;
  schema.columns = {id, temp, status, at, flag, day};

  const std::string text = SchemaToYaml(schema);
  Result<Schema> back = SchemaFromYaml(YAML::Load(text), "round trip");
  ASSERT_TRUE(back.has_value()) << back.error().ToString() << "\n" << text;
  ASSERT_EQ(back->columns.size(), schema.columns.size()) << text;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ColumnSpec& want = schema.columns[i];
    const ColumnSpec& got = back->columns[i];
    EXPECT_EQ(got.name, want.name) << text;
    EXPECT_EQ(got.type, want.type) << want.name;
    EXPECT_EQ(got.nullable, want.nullable) << want.name;
    EXPECT_EQ(got.rules.min, want.rules.min) << want.name;
    EXPECT_EQ(got.rules.max, want.rules.max) << want.name;
    EXPECT_EQ(got.rules.allowed, want.rules.allowed) << want.name << "\n" << text;
    EXPECT_EQ(got.rules.regex, want.rules.regex) << want.name;
    EXPECT_EQ(got.rules.format, want.rules.format) << want.name;
  }
  // The text of a round-tripped schema is stable.
  EXPECT_EQ(SchemaToYaml(*back), text);
}

// Found by fuzz/schema_yaml_fuzz.cc: a name ending in carriage returns came back
// one CR short (yaml-cpp wrote it unquoted).
TEST(SchemaYamlTest, RoundTripsControlCharacters) {
  Schema schema;
  for (const char* name : {"a\r", "NUL \r\r\r", "tab\there", "line\nbreak", "\x7f", " \r "}) {
    ColumnSpec c;
    c.name = name;
    c.rules.allowed = {name, "ok"};
    c.rules.regex = name;
    schema.columns.push_back(c);
  }
  const std::string text = SchemaToYaml(schema);
  Result<Schema> back = SchemaFromYaml(YAML::Load(text), "round trip");
  ASSERT_TRUE(back.has_value()) << back.error().ToString() << "\n" << text;
  ASSERT_EQ(back->columns.size(), schema.columns.size()) << text;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    EXPECT_EQ(back->columns[i].name, schema.columns[i].name) << text;
    EXPECT_EQ(back->columns[i].rules.allowed, schema.columns[i].rules.allowed) << text;
    EXPECT_EQ(back->columns[i].rules.regex, schema.columns[i].rules.regex) << text;
  }
}

TEST(SchemaYamlTest, DumpIsBlockStyleWithOneColumnPerItem) {
  Schema schema;
  ColumnSpec id;
  id.name = "id";
  id.type = ColumnType::kInteger;
  id.nullable = false;
  id.rules.min = 0;
  ColumnSpec status;
  status.name = "status";
  status.rules.allowed = {"ok", "fail"};
  schema.columns = {id, status};
  EXPECT_EQ(SchemaToYaml(schema),
            "columns:\n"
            "  - name: id\n"
            "    type: integer\n"
            "    nullable: false\n"
            "    min: 0\n"
            "  - name: status\n"
            "    type: string\n"
            "    nullable: true\n"
            "    allowed: [ok, fail]\n");
}

TEST(SchemaYamlErrorTest, UnknownKeyNamesFileLineAndValidKeys) {
  const std::string m = LoadError(R"(columns:
  - name: a
    type: integer
  - name: b
    type: string
    nulable: false
)");
  EXPECT_NE(m.find("schema.yaml:6: "), std::string::npos) << m;
  EXPECT_NE(m.find("column \"b\""), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key \"nulable\""), std::string::npos) << m;
  EXPECT_NE(m.find("nullable"), std::string::npos) << m;
}

TEST(SchemaYamlErrorTest, UnknownTypeListsValidNames) {
  const std::string m = LoadError("columns:\n  - name: a\n    type: integr\n");
  EXPECT_NE(m.find("schema.yaml:3: "), std::string::npos) << m;
  EXPECT_NE(m.find("unknown type \"integr\""), std::string::npos) << m;
  EXPECT_NE(m.find("string, integer, float, boolean, date, timestamp"), std::string::npos) << m;
}

TEST(SchemaYamlErrorTest, MinMaxOnlyOnNumbers) {
  std::string m = LoadError("columns:\n  - name: s\n    type: string\n    min: 1\n");
  EXPECT_NE(m.find("schema.yaml:4: column \"s\": \"min\" applies to integer and float"),
            std::string::npos)
      << m;
  m = LoadError("columns:\n  - name: d\n    type: date\n    max: 1\n");
  EXPECT_NE(m.find(":4: column \"d\": \"max\" applies"), std::string::npos) << m;
  m = LoadError("columns:\n  - name: n\n    type: integer\n    min: 5\n    max: 1\n");
  EXPECT_NE(m.find(":5: column \"n\": \"max\" 1 is below \"min\" 5"), std::string::npos) << m;
  m = LoadError("columns:\n  - name: n\n    type: integer\n    min: lots\n");
  EXPECT_NE(m.find(":4: column \"n\": \"min\" must be a finite number"), std::string::npos) << m;
  m = LoadError("columns:\n  - name: n\n    type: float\n    max: .inf\n");
  EXPECT_NE(m.find(":4: column \"n\": \"max\" must be a finite number"), std::string::npos) << m;
}

TEST(SchemaYamlErrorTest, FormatOnlyOnDatesAndTimestamps) {
  const std::string m = LoadError("columns:\n  - name: n\n    type: integer\n    format: \"%Y\"\n");
  EXPECT_NE(m.find("schema.yaml:4: column \"n\": \"format\" applies to date and timestamp"),
            std::string::npos)
      << m;
  EXPECT_TRUE(Load("columns:\n  - name: t\n    type: timestamp\n    format: \"%s\"\n").has_value());
}

// Found by fuzz/schema_yaml_fuzz.cc: such a name loaded, and SchemaToYaml wrote it
// back with U+FFFD in place of the bad bytes, a different name.
TEST(SchemaYamlErrorTest, NameMustBeUtf8) {
  const std::string m = LoadError("columns:\n  - name: id\n  - name: \"a\x8c\x96\"\n");
  EXPECT_NE(m.find("schema.yaml:3: column 2: \"name\" is not valid UTF-8"), std::string::npos) << m;
  EXPECT_TRUE(Load("columns:\n  - name: \"caf\xc3\xa9\"\n").has_value());
  // Nor any other text: allowed values, regex, format.
  EXPECT_NE(LoadError("columns:\n  - name: a\n    allowed: [ok, \"\xff\"]\n")
                .find(":3: column \"a\": \"allowed\" is not valid UTF-8"),
            std::string::npos);
  EXPECT_NE(LoadError("columns:\n  - name: a\n    regex: \"^\xe0[a-z]\"\n")
                .find(":3: column \"a\": \"regex\" is not valid UTF-8"),
            std::string::npos);
}

TEST(SchemaYamlErrorTest, DuplicateColumnNames) {
  const std::string m = LoadError(R"(columns:
  - name: a
  - name: b
  - name: a
    type: integer
)");
  EXPECT_NE(m.find("schema.yaml:4: column \"a\" is declared twice (first at line 2)"),
            std::string::npos)
      << m;
}

TEST(SchemaYamlErrorTest, BadValues) {
  std::string m = LoadError("columns:\n  - name: a\n    nullable: maybe\n");
  EXPECT_NE(m.find(":3: column \"a\": \"nullable\" must be true or false"), std::string::npos) << m;
  m = LoadError("columns:\n  - name: a\n    allowed: ok\n");
  EXPECT_NE(m.find(":3: column \"a\": \"allowed\" must be a non-empty list"), std::string::npos)
      << m;
  m = LoadError("columns:\n  - name: a\n    regex: \"([a-z\"\n");
  EXPECT_NE(m.find(":3: column \"a\": \"regex\" does not compile"), std::string::npos) << m;
  // RE2 syntax: lookaround (fine for std::regex's ECMAScript) is refused at load.
  m = LoadError("columns:\n  - name: a\n    regex: \"a(?=b)\"\n");
  EXPECT_NE(m.find(":3: column \"a\": \"regex\" does not compile"), std::string::npos) << m;
  m = LoadError("columns:\n  - name: a\n    type: [integer]\n");
  EXPECT_NE(m.find(":3: column \"a\": \"type\" must be a single value"), std::string::npos) << m;
  m = LoadError("columns:\n  - name:\n    type: integer\n");
  EXPECT_NE(m.find(":2: column 1: \"name\" has no value"), std::string::npos) << m;
  m = LoadError("columns:\n  - type: integer\n");
  EXPECT_NE(m.find(":2: column 1: missing key \"name\""), std::string::npos) << m;
  m = LoadError("columns:\n  - name: a\n  - just-a-name\n");
  EXPECT_NE(m.find(":3: column 2: expected a mapping"), std::string::npos) << m;
}

TEST(SchemaYamlErrorTest, BadTopLevel) {
  std::string m = LoadError("");
  EXPECT_NE(m.find("expected a mapping with a \"columns\" list"), std::string::npos) << m;
  m = LoadError("columns: []\n");
  EXPECT_NE(m.find("schema.yaml:1: \"columns\" must be a non-empty list"), std::string::npos) << m;
  m = LoadError("columns:\n  - name: a\ncolumn:\n  - name: b\n");
  EXPECT_NE(m.find("schema.yaml:3: unknown key \"column\" (valid: columns)"), std::string::npos)
      << m;
}

TEST(SchemaYamlErrorTest, SyntaxErrorNamesFileAndLine) {
  const std::string m = LoadError("columns:\n  - name: a\n    type: [integer\n  - name: b\n");
  EXPECT_NE(m.find("schema.yaml:4: "), std::string::npos) << m;
  EXPECT_EQ(m.find("yaml-cpp"), std::string::npos) << m;  // the file's name, not the library's
}

TEST(SchemaYamlErrorTest, MissingFileIsNotFound) {
  TempDir dir;
  Result<Schema> schema = LoadSchemaFile(dir / "absent.yaml");
  ASSERT_FALSE(schema.has_value());
  EXPECT_EQ(schema.error().code(), StatusCode::kNotFound);
  EXPECT_NE(schema.error().message().find("absent.yaml"), std::string::npos);
}

TEST(SchemaYamlErrorTest, ConversionErrorsNeverThrow) {
  // A node built in code (no file) still yields a Status, with the origin named.
  YAML::Node node;
  node["columns"] = "not a list";
  Result<Schema> schema = SchemaFromYaml(node, "config.yaml tables.orders");
  ASSERT_FALSE(schema.has_value());
  EXPECT_EQ(schema.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(schema.error().message().rfind("config.yaml tables.orders", 0), 0u)
      << schema.error().message();
}

}  // namespace
}  // namespace sluice

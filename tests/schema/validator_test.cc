#include "schema/validator.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "text_batch_builder.h"

namespace sluice {
namespace {

using testing::CollectingErrors;
using testing::MakeBatch;
using testing::Row;

ColumnSpec Col(std::string name, ColumnType type, bool nullable = true) {
  ColumnSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.nullable = nullable;
  return spec;
}

Validator MakeValidator(const Schema& schema) {
  Result<Validator> v = Validator::Create(schema);
  EXPECT_TRUE(v.has_value()) << v.error().ToString();
  return std::move(v).value();
}

// Converts rows of a single-column file against a single-column schema.
struct OneColumn {
  explicit OneColumn(ColumnSpec spec) {
    schema.columns = {std::move(spec)};
    out.Reset(schema.Defs());
  }

  // Returns the number of rejected rows.
  size_t Run(const std::vector<Row>& rows) {
    Validator v = MakeValidator(schema);
    EXPECT_TRUE(v.Bind({schema.columns[0].name}).ok());
    // A member: `out`'s strings are views into it (found by make test-sanitize).
    in = MakeBatch({schema.columns[0].name}, rows);
    return v.Convert(in, in.columns(), out, errors);
  }

  // The message of the only error, after converting one cell.
  std::string ErrorFor(const std::string& cell) {
    out.Clear();
    errors.errors.clear();
    EXPECT_EQ(Run({{cell}}), 1u) << cell;
    EXPECT_EQ(out.rows(), 0u);
    return errors.errors.empty() ? "" : errors.errors[0].message;
  }

  // The only error, after converting one cell.
  RowError Only(const std::optional<std::string>& cell) {
    out.Clear();
    errors.errors.clear();
    EXPECT_EQ(Run({{cell}}), 1u);
    return errors.errors.empty() ? RowError{} : errors.errors[0];
  }

  const Column& column() const { return out.columns()[0]; }

  Schema schema;
  TextBatch in;
  Batch out;
  CollectingErrors errors;
};

TEST(ValidatorTest, ConvertsEveryType) {
  Schema schema;
  schema.columns = {Col("id", ColumnType::kInteger, false), Col("temp", ColumnType::kFloat),
                    Col("ok", ColumnType::kBoolean),        Col("day", ColumnType::kDate),
                    Col("at", ColumnType::kTimestamp),      Col("name", ColumnType::kString)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"id", "temp", "ok", "day", "at", "name"}).ok());
  TextBatch in = MakeBatch(
      {"id", "temp", "ok", "day", "at", "name"},
      {
          {"1", "21.5", "yes", "2024-02-29", "2024-02-29T12:34:56.789012Z", "ann"},
          {" -7\t", " 1e3 ", " F", " 1970-01-02 ", "2024-02-29 14:34:56.789012+02:00", " padded "},
          {"9", "", std::nullopt, "", " ", ""},
          {"10", std::nullopt, "1", std::nullopt, std::nullopt, std::nullopt},
      });
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 0u);
  ASSERT_TRUE(errors.errors.empty()) << errors.errors[0].message;
  ASSERT_EQ(out.rows(), 4u);
  EXPECT_EQ(out.Line(0), 2u);
  EXPECT_EQ(out.Line(3), 5u);
  const auto& c = out.columns();
  EXPECT_EQ(c[0].ints, (std::vector<int64_t>{1, -7, 9, 10}));
  EXPECT_EQ(c[1].floats[0], 21.5);
  EXPECT_EQ(c[1].floats[1], 1000.0);
  EXPECT_EQ(c[1].nulls, (std::vector<uint8_t>{0, 0, 1, 1}));
  EXPECT_EQ(c[2].ints[0], 1);
  EXPECT_EQ(c[2].ints[1], 0);
  EXPECT_EQ(c[2].ints[3], 1);
  EXPECT_EQ(c[2].nulls, (std::vector<uint8_t>{0, 0, 1, 0}));
  EXPECT_EQ(c[3].ints[0], 19782);
  EXPECT_EQ(c[3].ints[1], 1);
  EXPECT_EQ(c[3].nulls, (std::vector<uint8_t>{0, 0, 1, 1}));
  EXPECT_EQ(c[4].ints[0], 1709210096789012);
  EXPECT_EQ(c[4].ints[1], 1709210096789012);
  EXPECT_EQ(c[4].nulls, (std::vector<uint8_t>{0, 0, 1, 1}));
  // Strings are not trimmed; an empty cell is the empty string, a null cell NULL.
  EXPECT_EQ(c[5].strings[0], "ann");
  EXPECT_EQ(c[5].strings[1], " padded ");
  EXPECT_EQ(c[5].strings[2], "");
  EXPECT_EQ(c[5].nulls, (std::vector<uint8_t>{0, 0, 0, 1}));
  // String values are views into the TextBatch, not copies.
  EXPECT_GE(c[5].strings[0].data(), in.View(Span{0, 0}).data());
  EXPECT_LT(c[5].strings[0].data(), in.View(Span{0, 0}).data() + in.arena_bytes());
}

TEST(ValidatorTest, RowErrorHasLineOffsetColumnRawAndMessage) {
  Schema schema;
  schema.columns = {Col("id", ColumnType::kInteger, false), Col("temp", ColumnType::kFloat)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"id", "temp"}).ok());
  TextBatch in = MakeBatch({"id", "temp"}, {{"1", "2.5"}, {"2", "abc"}});
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 1u);
  ASSERT_EQ(errors.errors.size(), 1u);
  const RowError& e = errors.errors[0];
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.byte_offset, 14u);  // "id,temp\n1,2.5\n"
  EXPECT_EQ(e.column, "temp");
  EXPECT_EQ(e.raw, "2,abc");
  EXPECT_EQ(e.message, "column \"temp\": \"abc\" is not a float");
  EXPECT_EQ(out.rows(), 1u);
}

TEST(ValidatorTest, RawFallsBackToJoinedCells) {
  Schema schema;
  schema.columns = {Col("a", ColumnType::kString), Col("n", ColumnType::kInteger)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"a", "n"}).ok());
  TextBatch in = MakeBatch({"a", "n"}, {{"x", "1"}, {std::nullopt, "y"}}, /*keep_raw=*/false);
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 1u);
  EXPECT_EQ(errors.errors[0].raw, ",y");
  EXPECT_EQ(errors.errors[0].line, 3u);
}

// Every kind of bad cell the validator reports, with its kind and hint.
TEST(ValidatorTest, EachBadCellHasItsKindAndHint) {
  struct Case {
    ColumnSpec spec;
    std::optional<std::string> cell;
    RowErrorKind kind;
    std::string hint;
  };
  ColumnSpec ranged = Col("qty", ColumnType::kInteger);
  ranged.rules.min = 0;
  ranged.rules.max = 5;
  ColumnSpec allowed = Col("status", ColumnType::kString);
  allowed.rules.allowed = {"ok", "fail"};
  ColumnSpec regex = Col("code", ColumnType::kString);
  regex.rules.regex = "[a-z]+";
  ColumnSpec formatted = Col("day", ColumnType::kDate);
  formatted.rules.format = "%d/%m/%Y";
  const std::vector<Case> cases = {
      {Col("id", ColumnType::kInteger), "x1", RowErrorKind::kType,
       "declare the column as float or string to keep such values"},
      {Col("temp", ColumnType::kFloat), "abc", RowErrorKind::kType,
       "declare the column as string to keep such values"},
      {Col("ok", ColumnType::kBoolean), "2", RowErrorKind::kType,
       "booleans are true/false, t/f, yes/no, y/n or 1/0; declare the column as string to keep "
       "other values"},
      {Col("id", ColumnType::kInteger), "99999999999999999999", RowErrorKind::kRange,
       "beyond 64-bit integers: declare the column as float or string"},
      {Col("temp", ColumnType::kFloat), "1e999", RowErrorKind::kRange,
       "beyond double precision: declare the column as string"},
      {ranged, "7", RowErrorKind::kRange, "the column's max is 5; fix the value or raise max"},
      {ranged, "-1", RowErrorKind::kRange, "the column's min is 0; fix the value or lower min"},
      {Col("day", ColumnType::kDate), "2023-02-29", RowErrorKind::kFormat,
       "expected a date (YYYY-MM-DD); declare the column's format to read other forms"},
      {Col("at", ColumnType::kTimestamp), "yesterday", RowErrorKind::kFormat,
       "expected a timestamp (YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][zone]); declare the column's "
       "format to read other forms"},
      {formatted, "2024-02-29", RowErrorKind::kFormat, "expected a date in format \"%d/%m/%Y\""},
      {Col("id", ColumnType::kInteger, false), std::nullopt, RowErrorKind::kNull,
       "give the column a value, or declare it nullable: true"},
      {allowed, "OK", RowErrorKind::kAllowed,
       "fix the value, or add it to the column's allowed list"},
      {regex, "abc1", RowErrorKind::kRegex,
       "the whole value must match the regex; fix the value or the column's regex"},
      {Col("name", ColumnType::kString), "bad \xff byte", RowErrorKind::kEncoding,
       "convert the file to UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec.name + " " + c.cell.value_or("NULL"));
    OneColumn t(c.spec);
    const RowError e = t.Only(c.cell);
    EXPECT_EQ(e.kind, c.kind) << RowErrorKindName(e.kind) << ": " << e.message;
    EXPECT_EQ(e.hint, c.hint);
  }
}

TEST(ValidatorTest, IntegerFailures) {
  OneColumn t(Col("id", ColumnType::kInteger, false));
  EXPECT_EQ(t.ErrorFor("x1"), "column \"id\": \"x1\" is not an integer");
  EXPECT_EQ(t.ErrorFor("1.0"), "column \"id\": \"1.0\" is not an integer");
  EXPECT_EQ(t.ErrorFor("99999999999999999999"),
            "column \"id\": \"99999999999999999999\" is out of range for an integer");
  EXPECT_EQ(t.ErrorFor(""), "column \"id\": NULL in a non-nullable column");
  EXPECT_EQ(t.ErrorFor("   "), "column \"id\": NULL in a non-nullable column");
  t.out.Clear();
  t.errors.errors.clear();
  EXPECT_EQ(t.Run({{std::nullopt}}), 1u);
  EXPECT_EQ(t.errors.errors[0].message, "column \"id\": NULL in a non-nullable column");
  EXPECT_EQ(t.errors.errors[0].column, "id");
}

TEST(ValidatorTest, FloatFailures) {
  OneColumn t(Col("temp", ColumnType::kFloat));
  EXPECT_EQ(t.ErrorFor("abc"), "column \"temp\": \"abc\" is not a float");
  EXPECT_EQ(t.ErrorFor("inf"), "column \"temp\": \"inf\" is not a float");
  EXPECT_EQ(t.ErrorFor("NaN"), "column \"temp\": \"NaN\" is not a float");
  EXPECT_EQ(t.ErrorFor("0x1p4"), "column \"temp\": \"0x1p4\" is not a float");
  EXPECT_EQ(t.ErrorFor("1e999"), "column \"temp\": \"1e999\" is out of range for a float");
}

TEST(ValidatorTest, BooleanAcceptsDigitsAndWords) {
  OneColumn t(Col("ok", ColumnType::kBoolean));
  EXPECT_EQ(t.Run({{"1"}, {"0"}, {"Yes"}, {"n"}, {"T"}, {"false"}}), 0u);
  EXPECT_EQ(t.column().ints, (std::vector<int64_t>{1, 0, 1, 0, 1, 0}));
  EXPECT_EQ(t.ErrorFor("2"), "column \"ok\": \"2\" is not a boolean");
}

TEST(ValidatorTest, DateAndTimestampFailures) {
  OneColumn d(Col("day", ColumnType::kDate));
  EXPECT_EQ(d.ErrorFor("2023-02-29"), "column \"day\": \"2023-02-29\" is not a date (YYYY-MM-DD)");
  OneColumn ts(Col("at", ColumnType::kTimestamp));
  EXPECT_EQ(ts.ErrorFor("2024-01-01T24:00:00"),
            "column \"at\": \"2024-01-01T24:00:00\" is not a timestamp "
            "(YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][zone])");
  EXPECT_NE(ts.ErrorFor("2024-01-01").find("is not a timestamp"), std::string::npos);
}

TEST(ValidatorTest, DeclaredFormatsReplaceIso) {
  ColumnSpec day = Col("day", ColumnType::kDate);
  day.rules.format = "%d/%m/%Y";
  OneColumn d(day);
  EXPECT_EQ(d.Run({{"29/02/2024"}, {" 01/01/1970 "}}), 0u);
  EXPECT_EQ(d.column().ints, (std::vector<int64_t>{19782, 0}));
  EXPECT_EQ(d.ErrorFor("2024-02-29"),
            "column \"day\": \"2024-02-29\" is not a date in format \"%d/%m/%Y\"");

  ColumnSpec at = Col("at", ColumnType::kTimestamp);
  at.rules.format = "%d/%m/%Y %H:%M %z";
  OneColumn ts(at);
  EXPECT_EQ(ts.Run({{"15/01/2024 08:00 +0200"}}), 0u);
  EXPECT_EQ(ts.column().ints, (std::vector<int64_t>{1705298400000000}));
}

TEST(ValidatorTest, MinMax) {
  ColumnSpec qty = Col("qty", ColumnType::kInteger);
  qty.rules.min = 0;
  qty.rules.max = 5;
  OneColumn t(qty);
  EXPECT_EQ(t.Run({{"0"}, {"5"}, {"+3"}}), 0u);
  EXPECT_EQ(t.ErrorFor("7"), "column \"qty\": 7 is above max 5");
  EXPECT_EQ(t.ErrorFor(" -1 "), "column \"qty\": -1 is below min 0");

  ColumnSpec temp = Col("temp", ColumnType::kFloat);
  temp.rules.min = -0.5;
  temp.rules.max = 99.9;
  OneColumn f(temp);
  EXPECT_EQ(f.Run({{"-0.5"}, {"99.9"}}), 0u);
  EXPECT_EQ(f.ErrorFor("99.91"), "column \"temp\": 99.91 is above max 99.9");
  EXPECT_EQ(f.ErrorFor("-1e3"), "column \"temp\": -1e3 is below min -0.5");
}

TEST(ValidatorTest, AllowedMatchesExactTextTrimmedForNonStrings) {
  ColumnSpec status = Col("status", ColumnType::kString);
  status.rules.allowed = {"ok", "warn", "fail"};
  OneColumn s(status);
  EXPECT_EQ(s.Run({{"ok"}, {"fail"}}), 0u);
  EXPECT_EQ(s.ErrorFor("OK"),
            "column \"status\": \"OK\" is not one of the allowed values: ok, warn, fail");
  EXPECT_EQ(s.ErrorFor(" ok"),
            "column \"status\": \" ok\" is not one of the allowed values: ok, warn, fail");

  ColumnSpec level = Col("level", ColumnType::kInteger);
  level.rules.allowed = {"1", "2", "3"};
  OneColumn i(level);
  EXPECT_EQ(i.Run({{" 2 "}}), 0u);
  EXPECT_EQ(i.column().ints, (std::vector<int64_t>{2}));
  EXPECT_EQ(i.ErrorFor("02"), "column \"level\": \"02\" is not one of the allowed values: 1, 2, 3");
}

// Up to 16 allowed values are scanned, more are searched: both must match the
// exact text, the empty string and prefixes included.
TEST(ValidatorTest, AllowedShortAndLongLists) {
  for (size_t count : {4u, 16u, 17u, 40u}) {
    SCOPED_TRACE(count);
    ColumnSpec status = Col("status", ColumnType::kString);
    for (size_t i = 0; i < count; ++i) status.rules.allowed.push_back("v" + std::to_string(i));
    status.rules.allowed.push_back("");
    OneColumn s(status);
    EXPECT_EQ(s.Run({{"v0"}, {"v3"}, {""}, {"v" + std::to_string(count - 1)}}), 0u);
    for (const char* bad : {"v", "v00", "V0", "v0 ", "w0"}) {
      EXPECT_EQ(s.Run({{bad}}), 1u) << bad;
    }
  }
}

// Short lists are looked up by a hash of length, first and last byte: values
// that share it, and cells that share a value's hash without being it, are
// told apart by their bytes.
TEST(ValidatorTest, AllowedValuesSharingAHash) {
  ColumnSpec status = Col("status", ColumnType::kString);
  // Up to 16 bytes a value is compared as two masked words, longer ones bytewise.
  status.rules.allowed = {"abc",
                          "adc",
                          "warn",
                          "maintenance",
                          "ok",
                          "x",
                          "a1234567",
                          "abcdefghijklmnop",
                          "abcdefghijklmnopq"};
  OneColumn s(status);
  EXPECT_EQ(s.Run({{"abc"},
                   {"adc"},
                   {"warn"},
                   {"maintenance"},
                   {"ok"},
                   {"x"},
                   {"a1234567"},
                   {"abcdefghijklmnop"},
                   {"abcdefghijklmnopq"}}),
            0u);
  for (const char* bad : {"aec", "abd", "worn", "wain", "maintenancf", "mxintenance", "o", "ok ",
                          "y", "xx", "warn\n", "a1234557", "abcdefghijklmnxp", "xbcdefghijklmnop",
                          "abcdefghijklmnoxq", "abcdefghijklmnopp",
                          // Length, first and last byte of an allowed value of 16
                          // bytes: only the first word tells them apart.
                          "aXcdefghijklmnop", "abcdefgXijklmnop"}) {
    EXPECT_EQ(s.Run({{bad}}), 1u) << bad;
  }
}

TEST(ValidatorTest, RegexMustMatchWholeValue) {
  ColumnSpec code = Col("code", ColumnType::kString);
  code.rules.regex = "[a-z]+";
  OneColumn t(code);
  EXPECT_EQ(t.Run({{"abc"}}), 0u);
  EXPECT_EQ(t.ErrorFor("abc1"), "column \"code\": \"abc1\" does not match regex \"[a-z]+\"");
  EXPECT_EQ(t.ErrorFor("1abc"), "column \"code\": \"1abc\" does not match regex \"[a-z]+\"");
}

// std::regex recursed once per character: a 60 KB cell under the README's own
// rule overflowed the stack. RE2 matches in linear time without recursion.
TEST(ValidatorTest, RegexOnAHugeCellNeitherCrashesNorRecurses) {
  ColumnSpec code = Col("code", ColumnType::kString);
  code.rules.regex = "^[a-z]+$";
  OneColumn t(code);
  std::string cell(4 << 20, 'a');
  EXPECT_EQ(t.Run({{cell}}), 0u);
  cell.back() = '1';
  EXPECT_EQ(t.Run({{cell}}), 1u);
}

TEST(ValidatorTest, RegexSyntaxIsRe2s) {
  ColumnSpec code = Col("code", ColumnType::kString);
  code.rules.regex = R"(\d{3}-[[:alpha:]]+|(?i)x)";
  OneColumn t(code);
  EXPECT_EQ(t.Run({{"123-abc"}, {"X"}}), 0u);
  EXPECT_EQ(t.ErrorFor("12-abc"),
            R"(column "code": "12-abc" does not match regex "\\d{3}-[[:alpha:]]+|(?i)x")");
  // Backreferences and lookaround are not RE2: refused when the schema is loaded.
  for (const char* pattern : {R"((a)\1)", "a(?=b)"}) {
    Schema schema;
    code.rules.regex = pattern;
    schema.columns = {code};
    Result<Validator> v = Validator::Create(schema);
    ASSERT_FALSE(v.has_value()) << pattern;
    EXPECT_EQ(v.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ValidatorTest, BadRegexFailsCreate) {
  Schema schema;
  ColumnSpec code = Col("code", ColumnType::kString);
  code.rules.regex = "(unclosed";
  schema.columns = {code};
  Result<Validator> v = Validator::Create(schema);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.error().message().find("column \"code\": regex \"(unclosed\" does not compile"),
            std::string::npos)
      << v.error().message();
}

TEST(ValidatorTest, StringsMustBeValidUtf8) {
  OneColumn t(Col("name", ColumnType::kString));
  EXPECT_EQ(t.Run({{"héllo"}, {"日本語"}, {"emoji 😀"}}), 0u);
  EXPECT_EQ(t.column().strings[1], "日本語");
  EXPECT_EQ(t.ErrorFor("bad \xff byte"), "column \"name\": invalid UTF-8");
  EXPECT_EQ(t.ErrorFor("\xc3"), "column \"name\": invalid UTF-8");          // truncated
  EXPECT_EQ(t.ErrorFor("\xc0\xaf"), "column \"name\": invalid UTF-8");      // overlong
  EXPECT_EQ(t.ErrorFor("\xed\xa0\x80"), "column \"name\": invalid UTF-8");  // surrogate
}

TEST(ValidatorTest, Utf8CellsSplittingACharacterAreCaught) {
  // The arena as a whole is valid UTF-8, but the cell holds half of "é": a
  // reader that cut a cell badly must not slip invalid text through.
  Schema schema;
  schema.columns = {Col("s", ColumnType::kString)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"s"}).ok());
  TextBatch in;
  in.SetColumns({"s"});
  Span whole = in.Append("é");
  in.StartRow(2, 0, whole);
  in.SetCell(0, Span{whole.offset, 1});
  in.FinishRow();
  in.StartRow(3, 3, kNullSpan);
  in.SetCell(0, Span{whole.offset + 1, 1});
  in.FinishRow();
  in.StartRow(4, 6, kNullSpan);
  in.SetCell(0, whole);
  in.FinishRow();
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  EXPECT_EQ(v.Convert(in, in.columns(), out, errors), 2u);
  EXPECT_EQ(out.rows(), 1u);
  EXPECT_EQ(out.columns()[0].strings[0], "é");
}

TEST(ValidatorTest, MessagesEscapeUnprintableValues) {
  OneColumn t(Col("n", ColumnType::kInteger));
  EXPECT_EQ(t.ErrorFor("a\"b\x01\xff"), "column \"n\": \"a\\\"b\\x01\\xff\" is not an integer");
  const std::string m = t.ErrorFor(std::string(100, 'x'));
  EXPECT_EQ(m, "column \"n\": \"" + std::string(64, 'x') + "\"... is not an integer");
}

TEST(ValidatorTest, BadRowIsNotHalfAppended) {
  Schema schema;
  schema.columns = {Col("a", ColumnType::kInteger), Col("b", ColumnType::kString),
                    Col("c", ColumnType::kFloat), Col("d", ColumnType::kInteger, false)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"a", "b", "c", "d"}).ok());
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  // A first batch, so that rejected rows of the second are dropped after existing rows.
  TextBatch first = MakeBatch({"a", "b", "c", "d"}, {{"0", "zero", "0.5", "0"}});
  ASSERT_EQ(v.Convert(first, first.columns(), out, errors), 0u);

  TextBatch in = MakeBatch({"a", "b", "c", "d"}, {
                                                     {"1", "one", "1.5", "10"},
                                                     {"2", "two", "oops", "20"},  // fails at c
                                                     {"3", "three", "3.5", ""},   // fails at d
                                                     {"x", "four", "4.5", "40"},  // fails at a
                                                     {"5", "five", "5.5", "50"},
                                                 });
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 3u);
  ASSERT_EQ(out.rows(), 3u);
  for (const Column& c : out.columns()) EXPECT_EQ(c.nulls.size(), 3u) << c.def.name;
  EXPECT_EQ(out.columns()[0].ints, (std::vector<int64_t>{0, 1, 5}));
  EXPECT_EQ(out.columns()[1].strings, (std::vector<std::string_view>{"zero", "one", "five"}));
  EXPECT_EQ(out.columns()[2].floats, (std::vector<double>{0.5, 1.5, 5.5}));
  EXPECT_EQ(out.columns()[3].ints, (std::vector<int64_t>{0, 10, 50}));
  EXPECT_EQ(out.Line(1), 2u);
  EXPECT_EQ(out.Line(2), 6u);
  // One error per bad row, in row order, naming the first failing column.
  ASSERT_EQ(errors.errors.size(), 3u);
  EXPECT_EQ(errors.errors[0].line, 3u);
  EXPECT_EQ(errors.errors[0].column, "c");
  EXPECT_EQ(errors.errors[1].line, 4u);
  EXPECT_EQ(errors.errors[1].column, "d");
  EXPECT_EQ(errors.errors[2].line, 5u);
  EXPECT_EQ(errors.errors[2].column, "a");
  EXPECT_EQ(errors.errors[2].raw, "x,four,4.5,40");
}

TEST(ValidatorTest, LeavesTrailingColumnsAlone) {
  Schema schema;
  schema.columns = {Col("a", ColumnType::kInteger)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"a"}).ok());
  std::vector<ColumnDef> defs = schema.Defs();
  defs.push_back({"_file", ColumnType::kString, false});
  Batch out;
  out.Reset(defs);
  CollectingErrors errors;
  TextBatch in = MakeBatch({"a"}, {{"1"}, {"2"}});
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 0u);
  EXPECT_EQ(out.rows(), 2u);
  EXPECT_EQ(out.columns()[0].ints.size(), 2u);
  EXPECT_TRUE(out.columns()[1].nulls.empty());
}

TEST(ValidatorBindTest, MissingNullableColumnsLoadAsNull) {
  Schema schema;
  schema.columns = {Col("id", ColumnType::kInteger, false), Col("note", ColumnType::kString)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"id"}).ok());
  TextBatch in = MakeBatch({"id"}, {{"1"}});
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 0u);
  EXPECT_EQ(out.columns()[1].nulls, (std::vector<uint8_t>{1}));
}

TEST(ValidatorBindTest, FileColumnsMapByNameInAnyOrder) {
  Schema schema;
  schema.columns = {Col("a", ColumnType::kInteger), Col("b", ColumnType::kString)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"b", "a"}).ok());
  TextBatch in = MakeBatch({"b", "a"}, {{"bee", "7"}});
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 0u);
  EXPECT_EQ(out.columns()[0].ints, (std::vector<int64_t>{7}));
  EXPECT_EQ(out.columns()[1].strings[0], "bee");
}

TEST(ValidatorBindTest, FileLevelErrors) {
  Schema schema;
  schema.columns = {Col("id", ColumnType::kInteger, false),
                    Col("at", ColumnType::kTimestamp, false), Col("note", ColumnType::kString)};
  Validator v = MakeValidator(schema);
  Status missing = v.Bind({"id", "note"});
  EXPECT_EQ(missing.code(), StatusCode::kInvalidData);
  EXPECT_EQ(missing.message(), "missing non-nullable columns: \"at\"");

  Status unknown = v.Bind({"id", "at", "x", "y"});
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidData);
  EXPECT_EQ(unknown.message(),
            "columns not in the schema: \"x\", \"y\" (schema columns: id, at, note)");

  Status twice = v.Bind({"id", "at", "id"});
  EXPECT_EQ(twice.code(), StatusCode::kInvalidData);
  EXPECT_EQ(twice.message(), "columns given more than once: \"id\"");

  Status both = v.Bind({"at", "zz"});
  EXPECT_NE(both.message().find("missing non-nullable columns: \"id\"; columns not in the schema"),
            std::string::npos)
      << both.message();
  EXPECT_TRUE(v.Bind({"note", "at", "id"}).ok());
}

TEST(ValidatorBindTest, ColumnsAppearingAfterBindAreBoundInConvert) {
  Schema schema;
  schema.columns = {Col("a", ColumnType::kInteger), Col("b", ColumnType::kInteger),
                    Col("c", ColumnType::kString)};
  Validator v = MakeValidator(schema);
  ASSERT_TRUE(v.Bind({"a"}).ok());

  // A JSON reader sees "b" at the second record and "extra" at the third.
  TextBatch in;
  in.SetColumns({"a"});
  auto row = [&in](uint64_t line, std::vector<std::pair<std::string, std::string>> fields) {
    in.StartRow(line, line * 10, in.Append("{...}"));
    for (auto& [key, value] : fields) in.SetCell(in.FindOrAddColumn(key), in.Append(value));
    in.FinishRow();
  };
  row(1, {{"a", "1"}});
  row(2, {{"a", "2"}, {"b", "20"}});
  row(3, {{"a", "3"}, {"extra", "surprise"}});
  row(4, {{"b", "40"}});
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 1u);
  ASSERT_EQ(out.rows(), 3u);
  EXPECT_EQ(out.columns()[0].nulls, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(out.columns()[0].ints[1], 2);
  EXPECT_EQ(out.columns()[1].nulls, (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(out.columns()[1].ints[1], 20);
  EXPECT_EQ(out.columns()[1].ints[2], 40);
  ASSERT_EQ(errors.errors.size(), 1u);
  EXPECT_EQ(errors.errors[0].line, 3u);
  EXPECT_EQ(errors.errors[0].byte_offset, 30u);
  EXPECT_EQ(errors.errors[0].column, "extra");
  EXPECT_EQ(errors.errors[0].message, "column \"extra\" is not in the schema");
  EXPECT_EQ(errors.errors[0].kind, RowErrorKind::kUnknownColumn);
  EXPECT_EQ(errors.errors[0].hint, "declare the column in the table's schema to load it");

  // Next batch: columns persist; "c" shows up; "extra" still unknown but null here.
  in.Clear();
  row(5, {{"c", "see"}, {"a", "5"}});
  out.Clear();
  errors.errors.clear();
  ASSERT_EQ(v.Convert(in, in.columns(), out, errors), 0u);
  ASSERT_EQ(out.rows(), 1u);
  EXPECT_EQ(out.columns()[0].ints, (std::vector<int64_t>{5}));
  EXPECT_EQ(out.columns()[2].strings[0], "see");
}

}  // namespace
}  // namespace sluice

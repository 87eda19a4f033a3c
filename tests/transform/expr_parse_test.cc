// Parsing, precedence, name resolution, typing and compile errors with positions.
#include <gtest/gtest.h>

#include "expr_fixture.h"
#include "transform/expr/parser.h"

namespace sluice::testing {
namespace {

using ExprParseTest = ExprTest;

TEST_F(ExprParseTest, Literals) {
  EXPECT_EQ(Eval("42"), "42");
  EXPECT_EQ(Eval("-42"), "-42");
  EXPECT_EQ(Eval("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(Eval("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(Eval("1.5"), "1.5");
  EXPECT_EQ(Eval(".5"), "0.5");
  EXPECT_EQ(Eval("2."), "2");
  EXPECT_EQ(Eval("1e3"), "1000");
  EXPECT_EQ(Eval("2.5E-1"), "0.25");
  EXPECT_EQ(Eval("'it''s'"), "it's");
  EXPECT_EQ(Eval("''"), "");
  EXPECT_EQ(Eval("TRUE"), "true");
  EXPECT_EQ(Eval("false"), "false");
  EXPECT_EQ(Eval("null"), "NULL");
  EXPECT_EQ(Eval("date '2024-03-01'"), "2024-03-01");
  EXPECT_EQ(Eval("timestamp '2024-03-01T10:00:00+02:00'"), "2024-03-01 08:00:00");
}

TEST_F(ExprParseTest, Precedence) {
  EXPECT_EQ(Eval("1 + 2 * 3"), "7");
  EXPECT_EQ(Eval("(1 + 2) * 3"), "9");
  EXPECT_EQ(Eval("10 - 4 - 3"), "3");  // left to right
  EXPECT_EQ(Eval("100 / 10 / 5"), "2");
  EXPECT_EQ(Eval("2 * 3 % 4"), "2");
  EXPECT_EQ(Eval("-2 * 3"), "-6");
  EXPECT_EQ(Eval("- (2 + 3)"), "-5");
  EXPECT_EQ(Eval("--2"), "2");
  EXPECT_EQ(Eval("+i"), "7");
  EXPECT_EQ(Eval("+ +f"), "2.5");
  EXPECT_EQ(Eval("+s"), "error: at 1: cannot apply unary + to string");
  EXPECT_EQ(Eval("-s"), "error: at 1: cannot negate string");
  EXPECT_EQ(Eval("1 + 2 || 'x'"), "3x");  // || binds looser than +
  EXPECT_EQ(Eval("'a' || 1 + 2"), "a3");
  EXPECT_EQ(Eval("1 + 1 = 2"), "true");
  EXPECT_EQ(Eval("not 1 = 2"), "true");                // not binds looser than =
  EXPECT_EQ(Eval("true or false and false"), "true");  // and before or
  EXPECT_EQ(Eval("(true or false) and false"), "false");
  EXPECT_EQ(Eval("not false and false"), "false");  // not before and
  EXPECT_EQ(Eval("1 = 1 is null"), "false");
  EXPECT_EQ(Eval("1 + 2 in (3, 4)"), "true");
  EXPECT_EQ(Eval("i between 1 + 1 and 10 and true"), "true");
}

TEST_F(ExprParseTest, KeywordsAndFunctionNamesIgnoreCase) {
  EXPECT_EQ(Eval("CASE WHEN I > 1 THEN 'x' ELSE 'y' END"), "x");
  EXPECT_EQ(Eval("ABS(-3)"), "3");
  EXPECT_EQ(Eval("Cast('5' AS Integer)"), "5");
  EXPECT_EQ(Eval("i IS NOT NULL"), "true");
}

TEST_F(ExprParseTest, ColumnNames) {
  EXPECT_EQ(Eval("I + 1"), "8");  // bare names ignore case
  EXPECT_EQ(Eval("\"i\" + 1"), "8");
  EXPECT_EQ(Eval("\"I\" + 1"), "error: at 1: unknown column 'I'");  // quoted: exact
  std::vector<ColumnDef> defs = {
      {"Speed", ColumnType::kInteger}, {"speed", ColumnType::kFloat},
      {"SPEED", ColumnType::kString},  {"wind speed", ColumnType::kInteger},
      {"case", ColumnType::kInteger},  {"a\"b", ColumnType::kInteger}};
  Result<Expression> exact = CompileExpression("speed", defs);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->type(), ColumnType::kFloat);  // an exact match wins
  Result<Expression> ambiguous = CompileExpression("sPeEd", defs);
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_EQ(ambiguous.error().message(),
            "at 1: column 'sPeEd' is ambiguous (several columns differ only in case; quote the "
            "exact name)");
  Result<Expression> spaced = CompileExpression("\"wind speed\" + \"case\" + \"a\"\"b\"", defs);
  ASSERT_TRUE(spaced.has_value()) << spaced.error().message();
  EXPECT_EQ(spaced->columns(), (std::vector<size_t>{3, 4, 5}));
  EXPECT_FALSE(CompileExpression("case + 1", defs).has_value());  // keywords need quotes
}

TEST_F(ExprParseTest, ColumnsListsEachInputOnceInOrder) {
  Result<Expression> e = CompileExpression("t is null or s = 'x' or i > 1 or s = 'y'", defs_);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->columns(), (std::vector<size_t>{0, 2, 5}));
  EXPECT_FALSE(e->constant());
  Result<Expression> c = CompileExpression("1 + 2", defs_);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->constant());
  EXPECT_EQ(c->text(), "1 + 2");
}

TEST_F(ExprParseTest, TypesAndNullability) {
  EXPECT_EQ(TypeOf("i + 1"), "integer");
  EXPECT_EQ(TypeOf("i + 1.0"), "float");
  EXPECT_EQ(TypeOf("ni + 1"), "nullable integer");
  EXPECT_EQ(TypeOf("i / 2"), "integer");
  EXPECT_EQ(TypeOf("i = f"), "boolean");
  EXPECT_EQ(TypeOf("s || i"), "string");
  EXPECT_EQ(TypeOf("null"), "nullable string");
  EXPECT_EQ(TypeOf("null + 1"), "nullable integer");
  EXPECT_EQ(TypeOf("coalesce(ni, 0)"), "integer");
  EXPECT_EQ(TypeOf("coalesce(ni, nf)"), "nullable float");
  EXPECT_EQ(TypeOf("ni is null"), "boolean");
  EXPECT_EQ(TypeOf("case when b then 1 end"), "nullable integer");
  EXPECT_EQ(TypeOf("case when b then 1 else 2.5 end"), "float");
  EXPECT_EQ(TypeOf("case when b then d else t end"), "timestamp");
  EXPECT_EQ(TypeOf("nullif(i, 3)"), "nullable integer");
  EXPECT_EQ(TypeOf("date(t)"), "date");
  EXPECT_EQ(TypeOf("d + 1"), "date");
  EXPECT_EQ(TypeOf("d - d"), "integer");
  EXPECT_EQ(TypeOf("from_epoch_ms(i)"), "timestamp");
  EXPECT_EQ(TypeOf("cast(s as float)"), "float");
  EXPECT_EQ(TypeOf("1 / 0"), "integer");  // folding fails: kept, fails per row
}

TEST_F(ExprParseTest, ErrorsNameThePosition) {
  EXPECT_EQ(Eval("temperature + tmp"), "error: at 1: unknown column 'temperature'");
  EXPECT_EQ(Eval("i + 273.15 + tmp"), "error: at 14: unknown column 'tmp'");
  EXPECT_EQ(Eval("s + i"), "error: at 3: cannot add string and integer");
  EXPECT_EQ(Eval("i - s"), "error: at 3: cannot subtract integer and string");
  EXPECT_EQ(Eval("s * 2"), "error: at 3: cannot multiply string and integer");
  EXPECT_EQ(Eval("s / 2"), "error: at 3: cannot divide string and integer");
  EXPECT_EQ(Eval("i = s"), "error: at 3: cannot compare integer and string");
  EXPECT_EQ(Eval("d < b"), "error: at 3: cannot compare date and boolean");
  EXPECT_EQ(Eval("sqr(i)"), "error: at 1: unknown function 'sqr'");
  EXPECT_EQ(Eval("round(f, 1, 2)"), "error: at 1: round takes 1 or 2 arguments, got 3");
  EXPECT_EQ(Eval("abs()"), "error: at 1: abs takes 1 argument, got 0");
  EXPECT_EQ(Eval("coalesce()"), "error: at 1: coalesce takes at least 1 argument, got 0");
  EXPECT_EQ(Eval("abs(s)"), "error: at 5: abs needs a number, got string");
  EXPECT_EQ(Eval("lower(i)"), "error: at 7: lower needs a string, got integer");
  EXPECT_EQ(Eval("year(s)"), "error: at 6: year needs a date or timestamp, got string");
  EXPECT_EQ(Eval("i and b"), "error: at 1: and needs a boolean, got integer");
  EXPECT_EQ(Eval("not s"), "error: at 5: not needs a boolean, got string");
  EXPECT_EQ(Eval("case when i then 1 end"), "error: at 11: when needs a boolean, got integer");
  EXPECT_EQ(Eval("case when b then 1 else 'x' end"),
            "error: at 1: cannot mix in one case integer and string");
  EXPECT_EQ(Eval("coalesce(i, s)"), "error: at 1: cannot mix in coalesce integer and string");
  EXPECT_EQ(Eval("cast(f as date)"), "error: at 1: cannot cast float to date");
  EXPECT_EQ(Eval("cast(i as money)"),
            "error: at 11: expected a type (string, integer, float, boolean, date, timestamp)");
  EXPECT_EQ(Eval("regexp_matches(s, s)"),
            "error: at 19: the pattern of regexp_matches must be a constant string");
  EXPECT_EQ(Eval("regexp_matches(s, '(')"),
            "error: at 19: invalid regular expression: missing ): (");
  EXPECT_EQ(
      Eval("date_trunc('week', t)"),
      "error: at 12: unknown date_trunc unit 'week' (year, month, day, hour, minute, second)");
  EXPECT_EQ(Eval("date_trunc(s, t)"),
            "error: at 12: the unit of date_trunc must be a constant string");
}

TEST_F(ExprParseTest, SyntaxErrors) {
  EXPECT_EQ(Eval(""), "error: at 1: empty expression");
  EXPECT_EQ(Eval("   "), "error: at 1: empty expression");
  EXPECT_EQ(Eval("1 +"), "error: at 4: expected a value, found the end of the expression");
  EXPECT_EQ(Eval("(1 + 2"), "error: at 7: expected ')', found the end of the expression");
  EXPECT_EQ(Eval("1 2"), "error: at 3: expected an operator or the end, found '2'");
  EXPECT_EQ(Eval("'abc"), "error: at 1: unterminated string");
  EXPECT_EQ(Eval("\"abc"), "error: at 1: unterminated quoted identifier");
  EXPECT_EQ(Eval("\"\""), "error: at 1: empty quoted identifier");
  EXPECT_EQ(Eval("i # 2"), "error: at 3: unexpected character '#'");
  EXPECT_EQ(Eval("12abc"), "error: at 1: malformed number '12a'");
  EXPECT_EQ(Eval("99999999999999999999"),
            "error: at 1: integer literal out of range: 99999999999999999999");
  EXPECT_EQ(Eval("1e999"), "error: at 1: float literal out of range: 1e999");
  EXPECT_EQ(Eval("case i end"), "error: at 8: expected 'when', found 'end'");
  EXPECT_EQ(Eval("case when b 1 end"), "error: at 13: expected 'then', found '1'");
  EXPECT_EQ(Eval("cast(i integer)"), "error: at 8: expected 'as', found 'integer'");
  EXPECT_EQ(Eval("i is 1"), "error: at 6: expected 'null', found '1'");
  EXPECT_EQ(Eval("i in 1"), "error: at 6: expected '(', found '1'");
  EXPECT_EQ(Eval("date 'yesterday'"), "error: at 6: invalid date literal 'yesterday'");
  EXPECT_EQ(Eval("and"), "error: at 1: expected a value, found 'and'");
}

TEST_F(ExprParseTest, PositionsCountCharactersNotBytes) {
  // 'é' is two bytes; the unknown column starts at character 7.
  EXPECT_EQ(Eval("'é' || nope"), "error: at 8: unknown column 'nope'");
}

TEST_F(ExprParseTest, DeepNestingIsRefusedNotACrash) {
  std::string parens(5000, '(');
  EXPECT_EQ(Eval(parens + "1" + std::string(5000, ')')).rfind("error: at ", 0), 0u);
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_NE(Eval(chain).find("expression nested too deeply"), std::string::npos);
  EXPECT_NE(Eval(std::string(5000, '-') + "1").find("nested too deeply"), std::string::npos);
  EXPECT_NE(Eval(std::string(5000, 'n') + "").find("unknown column"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_NE(Eval(nots + "true").find("nested too deeply"), std::string::npos);
}

TEST_F(ExprParseTest, NestingUpToTheLimitIsAccepted) {
  const int levels = expr::kMaxDepth - 4;
  EXPECT_EQ(Eval(std::string(levels, '(') + "1" + std::string(levels, ')')), "1");
  std::string chain = "1";
  for (int i = 0; i < levels; ++i) chain += " + 1";
  EXPECT_EQ(Eval(chain), std::to_string(levels + 1));
}

TEST_F(ExprParseTest, SubjectCopiesCannotGrowTheTreeExponentially) {
  // Each between copies its subject twice: 60 of them would make 2^60 nodes.
  std::string text = "i";
  for (int k = 0; k < 60; ++k) text += " between 1 and 2";
  EXPECT_NE(Eval(text).find("expression too large"), std::string::npos);
  std::string in = "i";
  for (int k = 0; k < 60; ++k) in = "(" + in + ") in (true, false, null)";
  EXPECT_NE(Eval(in).find("expression too large"), std::string::npos);
}

TEST_F(ExprParseTest, LongInListsStayShallow) {
  std::string list = "i in (";
  for (int k = 0; k < 3000; ++k) list += std::to_string(k * 2 + 1) + ", ";
  list += "0)";
  EXPECT_EQ(Eval(list), "true");  // 7 is the 4th item
}

}  // namespace
}  // namespace sluice::testing

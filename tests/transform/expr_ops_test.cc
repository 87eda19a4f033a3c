// Operators: arithmetic with overflow and division by zero, comparisons,
// three-valued logic, is null, in, between, case, || and casts, with nulls.
// Fixture row: i=7 f=2.5 s='Hello' b=true d=2024-02-29 t=2024-02-29 13:45:30.5
// zero=0, and ni nf ns nb nd nt null.
#include <gtest/gtest.h>

#include "expr_fixture.h"

namespace sluice::testing {
namespace {

using ExprOpsTest = ExprTest;

TEST_F(ExprOpsTest, IntegerArithmetic) {
  EXPECT_EQ(Eval("i + 3"), "10");
  EXPECT_EQ(Eval("i - 10"), "-3");
  EXPECT_EQ(Eval("i * -3"), "-21");
  EXPECT_EQ(Eval("i / 2"), "3");    // truncates
  EXPECT_EQ(Eval("-i / 2"), "-3");  // toward zero
  EXPECT_EQ(Eval("i % 3"), "1");
  EXPECT_EQ(Eval("-i % 3"), "-1");  // sign of the dividend
  EXPECT_EQ(Eval("i % -3"), "1");
  EXPECT_EQ(Eval("-i"), "-7");
  EXPECT_EQ(Eval("-9223372036854775808 % -1"), "0");
}

TEST_F(ExprOpsTest, IntegerOverflowFailsTheRow) {
  EXPECT_EQ(Eval("9223372036854775807 + i"), "fail: integer overflow in +");
  EXPECT_EQ(Eval("-9223372036854775807 - i"), "fail: integer overflow in -");
  EXPECT_EQ(Eval("4611686018427387904 * (i - 5)"), "fail: integer overflow in *");
  EXPECT_EQ(Eval("(-9223372036854775807 - zero - 1) / -1"), "fail: integer overflow in /");
  EXPECT_EQ(Eval("-(-9223372036854775807 - 1 + zero)"), "fail: integer overflow in -");
  EXPECT_EQ(Eval("abs(-9223372036854775807 - 1 + zero)"), "fail: integer overflow in abs");
  EXPECT_EQ(Eval("9223372036854775806 + 1"), "9223372036854775807");
}

TEST_F(ExprOpsTest, DivisionByZero) {
  EXPECT_EQ(Eval("i / zero"), "fail: division by zero");
  EXPECT_EQ(Eval("i % zero"), "fail: division by zero");
  EXPECT_EQ(Eval("f / zero"), "fail: division by zero");
  EXPECT_EQ(Eval("f / 0.0"), "fail: division by zero");
  EXPECT_EQ(Eval("1 / 0"), "fail: division by zero");  // a constant that fails is not folded
  EXPECT_EQ(Eval("ni / 0"), "NULL");                   // NULL / 0 is NULL
  EXPECT_EQ(Eval("null / zero"), "NULL");
  EXPECT_EQ(Eval("i / ni"), "NULL");
  EXPECT_EQ(Eval("case when zero = 0 then 0 else i / zero end"), "0");  // not reached
  EXPECT_EQ(Eval("zero <> 0 and i / zero > 1"), "false");
  EXPECT_EQ(Eval("zero = 0 or i / zero > 1"), "true");
}

TEST_F(ExprOpsTest, FloatArithmeticAndPromotion) {
  EXPECT_EQ(Eval("f + 1"), "3.5");
  EXPECT_EQ(Eval("i * f"), "17.5");
  EXPECT_EQ(Eval("i / 2.0"), "3.5");
  EXPECT_EQ(Eval("f - 0.5"), "2");
  EXPECT_EQ(Eval("f % 1"), "0.5");
  EXPECT_EQ(Eval("-f"), "-2.5");
  EXPECT_EQ(Eval("f + 273.15"), "275.65");
  EXPECT_EQ(Eval("1e308 * (f + 8)"), "fail: float result out of range in *");
  EXPECT_EQ(Eval("nf + 1"), "NULL");
}

TEST_F(ExprOpsTest, DateArithmetic) {
  EXPECT_EQ(Eval("d + 1"), "2024-03-01");
  EXPECT_EQ(Eval("1 + d"), "2024-03-01");
  EXPECT_EQ(Eval("d - 60"), "2023-12-31");
  EXPECT_EQ(Eval("d - date '2024-01-01'"), "59");
  EXPECT_EQ(Eval("d + 3000000"), "fail: date out of range");
  EXPECT_EQ(Eval("d + ni"), "NULL");
  EXPECT_EQ(Eval("t + 1"), "error: at 3: cannot add timestamp and integer");
}

TEST_F(ExprOpsTest, Comparisons) {
  EXPECT_EQ(Eval("i = 7"), "true");
  EXPECT_EQ(Eval("i <> 7"), "false");
  EXPECT_EQ(Eval("i != 7"), "false");
  EXPECT_EQ(Eval("i < 8"), "true");
  EXPECT_EQ(Eval("i <= 7"), "true");
  EXPECT_EQ(Eval("i > 7"), "false");
  EXPECT_EQ(Eval("i >= 8"), "false");
  EXPECT_EQ(Eval("i = 7.0"), "true");  // integer promoted to float
  EXPECT_EQ(Eval("f > i"), "false");
  EXPECT_EQ(Eval("s = 'Hello'"), "true");
  EXPECT_EQ(Eval("s = 'hello'"), "false");  // exact, byte order
  EXPECT_EQ(Eval("s < 'Help'"), "true");
  EXPECT_EQ(Eval("'a' < 'b'"), "true");
  EXPECT_EQ(Eval("'Z' < 'a'"), "true");
  EXPECT_EQ(Eval("b = true"), "true");
  EXPECT_EQ(Eval("false < true"), "true");
  EXPECT_EQ(Eval("d = date '2024-02-29'"), "true");
  EXPECT_EQ(Eval("d < t"), "true");  // the date is its midnight UTC
  EXPECT_EQ(Eval("d = timestamp '2024-02-29 00:00:00'"), "true");
  EXPECT_EQ(Eval("date(t) = d"), "true");
  EXPECT_EQ(Eval("ni = 1"), "NULL");
  EXPECT_EQ(Eval("ni = ni"), "NULL");
  EXPECT_EQ(Eval("null = null"), "NULL");
  EXPECT_EQ(Eval("ns <> 'x'"), "NULL");
}

TEST_F(ExprOpsTest, ThreeValuedLogic) {
  // Every combination of true, false and null for and / or / not.
  const char* values[] = {"true", "false", "nb"};
  const char* and_table[3][3] = {
      {"true", "false", "NULL"}, {"false", "false", "false"}, {"NULL", "false", "NULL"}};
  const char* or_table[3][3] = {
      {"true", "true", "true"}, {"true", "false", "NULL"}, {"true", "NULL", "NULL"}};
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      const std::string l = values[a];
      const std::string r = values[b];
      EXPECT_EQ(Eval(l + " and " + r), and_table[a][b]) << l << " and " << r;
      EXPECT_EQ(Eval(l + " or " + r), or_table[a][b]) << l << " or " << r;
    }
  }
  EXPECT_EQ(Eval("not true"), "false");
  EXPECT_EQ(Eval("not false"), "true");
  EXPECT_EQ(Eval("not nb"), "NULL");
  EXPECT_EQ(Eval("not null"), "NULL");
}

TEST_F(ExprOpsTest, IsNull) {
  EXPECT_EQ(Eval("ni is null"), "true");
  EXPECT_EQ(Eval("ni is not null"), "false");
  EXPECT_EQ(Eval("i is null"), "false");
  EXPECT_EQ(Eval("null is null"), "true");
  EXPECT_EQ(Eval("(i / zero) is null"), "fail: division by zero");  // the row still fails
  EXPECT_EQ(Eval("ns is null and nt is null"), "true");
}

TEST_F(ExprOpsTest, InAndBetween) {
  EXPECT_EQ(Eval("i in (1, 7, 9)"), "true");
  EXPECT_EQ(Eval("i in (1, 2)"), "false");
  EXPECT_EQ(Eval("i not in (1, 2)"), "true");
  EXPECT_EQ(Eval("i in (1, null)"), "NULL");  // SQL: unknown when not found and a null is listed
  EXPECT_EQ(Eval("i in (7, null)"), "true");
  EXPECT_EQ(Eval("i not in (1, null)"), "NULL");
  EXPECT_EQ(Eval("ni in (1, 2)"), "NULL");
  EXPECT_EQ(Eval("s in ('a', 'Hello')"), "true");
  EXPECT_EQ(Eval("i in (7.0)"), "true");
  EXPECT_EQ(Eval("i between 7 and 8"), "true");
  EXPECT_EQ(Eval("i between 8 and 9"), "false");
  EXPECT_EQ(Eval("i not between 8 and 9"), "true");
  EXPECT_EQ(Eval("ni between 1 and 2"), "NULL");
  EXPECT_EQ(Eval("s in (1, 2)"), "error: at 7: cannot compare string and integer");
}

TEST_F(ExprOpsTest, Case) {
  EXPECT_EQ(Eval("case when i > 5 then 'big' when i > 1 then 'mid' else 'small' end"), "big");
  EXPECT_EQ(Eval("case when i > 50 then 'big' when i > 1 then 'mid' else 'small' end"), "mid");
  EXPECT_EQ(Eval("case when i > 50 then 'big' end"), "NULL");
  EXPECT_EQ(Eval("case when nb then 1 else 2 end"), "2");  // a null condition is not true
  EXPECT_EQ(Eval("case when true then null else 1 end"), "NULL");
  EXPECT_EQ(Eval("case when b then 1 else 2.5 end"), "1");
  EXPECT_EQ(Eval("case i when 1 then 'one' when 7 then 'seven' end"), "seven");
  EXPECT_EQ(Eval("case ni when 1 then 'one' else 'other' end"), "other");
  EXPECT_EQ(Eval("case when b then d else t end"), "2024-02-29 00:00:00");
}

TEST_F(ExprOpsTest, Concatenation) {
  EXPECT_EQ(Eval("s || ' ' || 'world'"), "Hello world");
  EXPECT_EQ(Eval("s || i"), "Hello7");
  EXPECT_EQ(Eval("f || '/' || b || '/' || d"), "2.5/true/2024-02-29");
  EXPECT_EQ(Eval("'' || ''"), "");
  EXPECT_EQ(Eval("s || ns"), "NULL");
  EXPECT_EQ(Eval("s || null"), "NULL");
}

TEST_F(ExprOpsTest, CastFromString) {
  EXPECT_EQ(Eval("cast(' 42 ' as integer)"), "42");
  EXPECT_EQ(Eval("cast('+42' as int)"), "42");
  EXPECT_EQ(Eval("cast('4.5' as integer)"), "fail: cannot cast '4.5' to integer");
  EXPECT_EQ(Eval("cast('99999999999999999999' as integer)"),
            "fail: cannot cast '99999999999999999999' to integer");
  EXPECT_EQ(Eval("cast('2.5e1' as float)"), "25");
  EXPECT_EQ(Eval("cast('nan' as float)"), "fail: cannot cast 'nan' to float");
  EXPECT_EQ(Eval("cast('yes' as boolean)"), "true");
  EXPECT_EQ(Eval("cast('F' as boolean)"), "false");
  EXPECT_EQ(Eval("cast('maybe' as boolean)"), "fail: cannot cast 'maybe' to boolean");
  EXPECT_EQ(Eval("cast('2024-02-29' as date)"), "2024-02-29");
  EXPECT_EQ(Eval("cast('2023-02-29' as date)"), "fail: cannot cast '2023-02-29' to date");
  EXPECT_EQ(Eval("cast('2024-02-29T10:00:00Z' as timestamp)"), "2024-02-29 10:00:00");
  EXPECT_EQ(Eval("cast('2024-02-29 10:00' as timestamp)"), "2024-02-29 10:00:00");
  EXPECT_EQ(Eval("cast('2024-02-29' as timestamp)"), "fail: cannot cast '2024-02-29' to timestamp");
  EXPECT_EQ(Eval("cast(ns as integer)"), "NULL");
  EXPECT_EQ(Eval("cast(null as date)"), "NULL");
  const std::string long_text(100, 'x');
  EXPECT_EQ(Eval("cast('" + long_text + "' as integer)"),
            "fail: cannot cast '" + std::string(40, 'x') + "...' to integer");
}

TEST_F(ExprOpsTest, CastToString) {
  EXPECT_EQ(Eval("cast(i as string)"), "7");
  EXPECT_EQ(Eval("cast(-9223372036854775808 as text)"), "-9223372036854775808");
  EXPECT_EQ(Eval("cast(f as string)"), "2.5");
  EXPECT_EQ(Eval("cast(0.1 as string)"), "0.1");
  EXPECT_EQ(Eval("cast(b as string)"), "true");
  EXPECT_EQ(Eval("cast(d as string)"), "2024-02-29");
  EXPECT_EQ(Eval("cast(t as string)"), "2024-02-29 13:45:30.500000");
  EXPECT_EQ(Eval("cast(s as string)"), "Hello");
}

TEST_F(ExprOpsTest, CastBetweenOtherTypes) {
  EXPECT_EQ(Eval("cast(i as float)"), "7");
  EXPECT_EQ(Eval("cast(f as integer)"), "3");  // halves away from zero
  EXPECT_EQ(Eval("cast(-f as integer)"), "-3");
  EXPECT_EQ(Eval("cast(2.4 as integer)"), "2");
  EXPECT_EQ(Eval("cast(f * 1e300 as integer)"), "fail: float 2.5e+300 out of range for integer");
  EXPECT_EQ(Eval("cast(i as boolean)"), "true");
  EXPECT_EQ(Eval("cast(zero as boolean)"), "false");
  EXPECT_EQ(Eval("cast(b as integer)"), "1");
  EXPECT_EQ(Eval("cast(b as float)"), "1");
  EXPECT_EQ(Eval("cast(d as timestamp)"), "2024-02-29 00:00:00");
  EXPECT_EQ(Eval("cast(t as date)"), "2024-02-29");
  EXPECT_EQ(Eval("cast(timestamp '1969-12-31 23:00:00' as date)"), "1969-12-31");
  EXPECT_EQ(Eval("cast(i as date)"), "error: at 1: cannot cast integer to date");
  EXPECT_EQ(Eval("cast(f as boolean)"), "error: at 1: cannot cast float to boolean");
  EXPECT_EQ(Eval("cast(t as integer)"), "error: at 1: cannot cast timestamp to integer");
}

}  // namespace
}  // namespace sluice::testing

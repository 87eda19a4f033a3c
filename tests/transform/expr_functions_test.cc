// Every function, with nulls and edge cases. Fixture row: i=7 f=2.5 s='Hello'
// b=true d=2024-02-29 t=2024-02-29 13:45:30.5 zero=0 u='héllo wörld', and
// ni nf ns nb nd nt null.
#include <gtest/gtest.h>

#include "expr_fixture.h"

namespace sluice::testing {
namespace {

using ExprFunctionsTest = ExprTest;

TEST_F(ExprFunctionsTest, Abs) {
  EXPECT_EQ(Eval("abs(-i)"), "7");
  EXPECT_EQ(Eval("abs(i)"), "7");
  EXPECT_EQ(Eval("abs(-f)"), "2.5");
  EXPECT_EQ(Eval("abs(ni)"), "NULL");
  EXPECT_EQ(Eval("abs(null)"), "NULL");
}

TEST_F(ExprFunctionsTest, Round) {
  EXPECT_EQ(Eval("round(f)"), "3");  // halves away from zero
  EXPECT_EQ(Eval("round(-f)"), "-3");
  EXPECT_EQ(Eval("round(2.4)"), "2");
  EXPECT_EQ(Eval("round(3.14159, 2)"), "3.14");
  EXPECT_EQ(Eval("round(1234.5, -2)"), "1200");
  EXPECT_EQ(Eval("round(f, 400)"), "2.5");
  EXPECT_EQ(Eval("round(f, -400)"), "0");
  EXPECT_EQ(Eval("round(i)"), "7");
  EXPECT_EQ(Eval("round(1250, -2)"), "1300");
  EXPECT_EQ(Eval("round(-1250, -2)"), "-1300");
  EXPECT_EQ(Eval("round(1249, -2)"), "1200");
  EXPECT_EQ(Eval("round(i, 3)"), "7");
  EXPECT_EQ(Eval("round(i, -60)"), "0");
  EXPECT_EQ(Eval("round(9223372036854775807, -1)"), "fail: integer overflow in round");
  EXPECT_EQ(Eval("round(nf, 2)"), "NULL");
  EXPECT_EQ(Eval("round(f, ni)"), "NULL");
  EXPECT_EQ(TypeOf("round(i)"), "integer");
  EXPECT_EQ(TypeOf("round(f, 1)"), "float");
}

TEST_F(ExprFunctionsTest, FloorAndCeil) {
  EXPECT_EQ(Eval("floor(f)"), "2");
  EXPECT_EQ(Eval("floor(-f)"), "-3");
  EXPECT_EQ(Eval("ceil(f)"), "3");
  EXPECT_EQ(Eval("ceil(-f)"), "-2");
  EXPECT_EQ(Eval("floor(i)"), "7");
  EXPECT_EQ(TypeOf("ceil(i)"), "integer");
  EXPECT_EQ(TypeOf("ceil(f)"), "float");
  EXPECT_EQ(Eval("ceil(nf)"), "NULL");
}

TEST_F(ExprFunctionsTest, SqrtLnLogExpPow) {
  EXPECT_EQ(Eval("sqrt(16)"), "4");
  EXPECT_EQ(Eval("sqrt(f * 0)"), "0");
  EXPECT_EQ(Eval("sqrt(-f)"), "fail: sqrt of a negative number");
  EXPECT_EQ(Eval("ln(1)"), "0");
  EXPECT_EQ(Eval("ln(zero)"), "fail: ln of zero or a negative number");
  EXPECT_EQ(Eval("log10(1000)"), "3");
  EXPECT_EQ(Eval("log10(-f)"), "fail: log10 of zero or a negative number");
  EXPECT_EQ(Eval("exp(0)"), "1");
  EXPECT_EQ(Eval("exp(1000 + i)"), "fail: float result out of range in exp");
  EXPECT_EQ(Eval("pow(2, 10)"), "1024");
  EXPECT_EQ(Eval("pow(f, 2)"), "6.25");
  EXPECT_EQ(Eval("pow(zero, -1)"), "fail: pow(0.000000, -1.000000) is not a finite number");
  EXPECT_EQ(Eval("pow(-8, 1.0 / 3)").rfind("fail: pow(", 0), 0u);
  EXPECT_EQ(Eval("sqrt(nf)"), "NULL");
  EXPECT_EQ(Eval("pow(2, ni)"), "NULL");
  EXPECT_EQ(TypeOf("sqrt(i)"), "float");
}

TEST_F(ExprFunctionsTest, LeastGreatest) {
  EXPECT_EQ(Eval("least(3, i, 5)"), "3");
  EXPECT_EQ(Eval("greatest(3, i, 5)"), "7");
  EXPECT_EQ(Eval("greatest(i, f)"), "7");
  EXPECT_EQ(TypeOf("greatest(i, f)"), "float");
  EXPECT_EQ(Eval("least(ni, 4)"), "4");  // nulls are ignored
  EXPECT_EQ(Eval("least(ni, null)"), "NULL");
  EXPECT_EQ(Eval("greatest('apple', s, 'Zebra')"), "apple");
  EXPECT_EQ(Eval("least(d, date '2020-01-01')"), "2020-01-01");
  EXPECT_EQ(Eval("greatest(i)"), "7");
}

TEST_F(ExprFunctionsTest, CoalesceAndNullif) {
  EXPECT_EQ(Eval("coalesce(ni, 5)"), "5");
  EXPECT_EQ(Eval("coalesce(i, 5)"), "7");
  EXPECT_EQ(Eval("coalesce(ni, nf, f)"), "2.5");
  EXPECT_EQ(Eval("coalesce(ni, null)"), "NULL");
  EXPECT_EQ(Eval("coalesce(ns, 'none')"), "none");
  EXPECT_EQ(Eval("coalesce(i, i / zero)"), "7");  // later arguments only where needed
  EXPECT_EQ(Eval("nullif(i, 7)"), "NULL");
  EXPECT_EQ(Eval("nullif(i, 8)"), "7");
  EXPECT_EQ(Eval("nullif(i, 7.0)"), "NULL");
  EXPECT_EQ(Eval("nullif(ni, 7)"), "NULL");
  EXPECT_EQ(Eval("nullif(i, ni)"), "7");
  EXPECT_EQ(Eval("nullif(s, '')"), "Hello");
}

TEST_F(ExprFunctionsTest, LowerUpperTrim) {
  EXPECT_EQ(Eval("lower(s)"), "hello");
  EXPECT_EQ(Eval("upper(s)"), "HELLO");
  EXPECT_EQ(Eval("upper(u)"), "H\xC3\xA9LLO W\xC3\xB6RLD");  // ASCII letters only
  EXPECT_EQ(Eval("lower('abc')"), "abc");
  EXPECT_EQ(Eval("trim('  a b \t')"), "a b");
  EXPECT_EQ(Eval("trim('   ')"), "");
  EXPECT_EQ(Eval("lower(ns)"), "NULL");
  EXPECT_EQ(Eval("trim(ns)"), "NULL");
}

TEST_F(ExprFunctionsTest, LengthCountsCharacters) {
  EXPECT_EQ(Eval("length(s)"), "5");
  EXPECT_EQ(Eval("length(u)"), "11");
  EXPECT_EQ(Eval("length('')"), "0");
  EXPECT_EQ(Eval("length(ns)"), "NULL");
}

TEST_F(ExprFunctionsTest, Substr) {
  EXPECT_EQ(Eval("substr(s, 2)"), "ello");
  EXPECT_EQ(Eval("substr(s, 2, 3)"), "ell");
  EXPECT_EQ(Eval("substr(s, 1, 100)"), "Hello");
  EXPECT_EQ(Eval("substr(s, 0, 2)"), "H");  // characters 0 and 1: only 1 exists
  EXPECT_EQ(Eval("substr(s, -5, 7)"), "H");
  EXPECT_EQ(Eval("substr(s, 6)"), "");
  EXPECT_EQ(Eval("substr(s, 2, 0)"), "");
  EXPECT_EQ(Eval("substr(s, 2, -1)"), "fail: negative substring length");
  EXPECT_EQ(Eval("substr(u, 2, 4)"), "\xC3\xA9llo");  // in characters, not bytes
  EXPECT_EQ(Eval("substr(u, 8)"), "\xC3\xB6rld");
  EXPECT_EQ(Eval("substr(s, 9223372036854775807, 9223372036854775807)"), "");
  EXPECT_EQ(Eval("substr(s, -9223372036854775807, 9223372036854775807)"), "");
  EXPECT_EQ(Eval("substr(ns, 1)"), "NULL");
  EXPECT_EQ(Eval("substr(s, ni)"), "NULL");
  EXPECT_EQ(Eval("substr(s, 1, ni)"), "NULL");
}

TEST_F(ExprFunctionsTest, ReplaceAndStartsWith) {
  EXPECT_EQ(Eval("replace(s, 'l', 'L')"), "HeLLo");
  EXPECT_EQ(Eval("replace(s, 'll', '')"), "Heo");
  EXPECT_EQ(Eval("replace(s, 'x', 'y')"), "Hello");
  EXPECT_EQ(Eval("replace(s, '', 'y')"), "Hello");
  EXPECT_EQ(Eval("replace('aaa', 'aa', 'b')"), "ba");
  EXPECT_EQ(Eval("replace(s, ns, 'y')"), "NULL");
  EXPECT_EQ(Eval("starts_with(s, 'He')"), "true");
  EXPECT_EQ(Eval("starts_with(s, 'he')"), "false");
  EXPECT_EQ(Eval("starts_with(s, '')"), "true");
  EXPECT_EQ(Eval("starts_with('a', 'abc')"), "false");
  EXPECT_EQ(Eval("starts_with(ns, 'a')"), "NULL");
}

TEST_F(ExprFunctionsTest, RegexpMatches) {
  EXPECT_EQ(Eval("regexp_matches(s, '^H.*o$')"), "true");
  EXPECT_EQ(Eval("regexp_matches(s, 'ell')"), "true");  // anywhere in the text
  EXPECT_EQ(Eval("regexp_matches(s, '^ell')"), "false");
  EXPECT_EQ(Eval("regexp_matches(u, '^h.llo')"), "true");  // . is one UTF-8 character
  EXPECT_EQ(Eval("regexp_matches(s, '(?i)^hello$')"), "true");
  EXPECT_EQ(Eval("regexp_matches(ns, 'a')"), "NULL");
  EXPECT_EQ(Eval("regexp_matches(s, null)"),
            "error: at 19: the pattern of regexp_matches must be a constant string");
}

TEST_F(ExprFunctionsTest, DateFunctions) {
  EXPECT_EQ(Eval("date(t)"), "2024-02-29");
  EXPECT_EQ(Eval("date(d)"), "2024-02-29");
  EXPECT_EQ(Eval("date('2024-01-05')"), "2024-01-05");
  EXPECT_EQ(Eval("date('soon')"), "fail: cannot cast 'soon' to date");
  EXPECT_EQ(Eval("date(timestamp '1969-12-31 23:59:59.999999')"), "1969-12-31");
  EXPECT_EQ(Eval("date(nt)"), "NULL");
  EXPECT_EQ(Eval("date(i)"), "error: at 6: date needs a timestamp, date or string, got integer");
  EXPECT_EQ(Eval("year(t)"), "2024");
  EXPECT_EQ(Eval("month(t)"), "2");
  EXPECT_EQ(Eval("day(t)"), "29");
  EXPECT_EQ(Eval("hour(t)"), "13");
  EXPECT_EQ(Eval("minute(t)"), "45");
  EXPECT_EQ(Eval("year(d)"), "2024");
  EXPECT_EQ(Eval("month(d)"), "2");
  EXPECT_EQ(Eval("day(d)"), "29");
  EXPECT_EQ(Eval("hour(d)"), "0");
  EXPECT_EQ(Eval("hour(timestamp '1969-12-31 23:30:00')"), "23");
  EXPECT_EQ(Eval("minute(timestamp '1969-12-31 23:30:00')"), "30");
  EXPECT_EQ(Eval("day(date '0000-03-01')"), "1");
  EXPECT_EQ(Eval("year(date '0000-03-01')"), "0");
  EXPECT_EQ(Eval("year(nd)"), "NULL");
  EXPECT_EQ(Eval("hour(nt)"), "NULL");
}

TEST_F(ExprFunctionsTest, DateTrunc) {
  EXPECT_EQ(Eval("date_trunc('year', t)"), "2024-01-01 00:00:00");
  EXPECT_EQ(Eval("date_trunc('MONTH', t)"), "2024-02-01 00:00:00");
  EXPECT_EQ(Eval("date_trunc('day', t)"), "2024-02-29 00:00:00");
  EXPECT_EQ(Eval("date_trunc('hour', t)"), "2024-02-29 13:00:00");
  EXPECT_EQ(Eval("date_trunc('minute', t)"), "2024-02-29 13:45:00");
  EXPECT_EQ(Eval("date_trunc('second', t)"), "2024-02-29 13:45:30");
  EXPECT_EQ(Eval("date_trunc('second', timestamp '1969-12-31 23:59:59.5')"), "1969-12-31 23:59:59");
  EXPECT_EQ(Eval("date_trunc('month', d)"), "2024-02-01");
  EXPECT_EQ(Eval("date_trunc('year', d)"), "2024-01-01");
  EXPECT_EQ(Eval("date_trunc('hour', d)"), "2024-02-29");
  EXPECT_EQ(TypeOf("date_trunc('month', d)"), "date");
  EXPECT_EQ(Eval("date_trunc('day', nt)"), "NULL");
}

TEST_F(ExprFunctionsTest, EpochMilliseconds) {
  EXPECT_EQ(Eval("epoch_ms(timestamp '1970-01-01 00:00:01.5')"), "1500");
  EXPECT_EQ(Eval("epoch_ms(t)"), "1709214330500");
  EXPECT_EQ(Eval("epoch_ms(timestamp '1969-12-31 23:59:59.9995')"), "-1");  // floor
  EXPECT_EQ(Eval("epoch_ms(d)"), "1709164800000");
  EXPECT_EQ(Eval("from_epoch_ms(1709214330500)"), "2024-02-29 13:45:30.500000");
  EXPECT_EQ(Eval("from_epoch_ms(-1)"), "1969-12-31 23:59:59.999000");
  EXPECT_EQ(Eval("date(from_epoch_ms(1709214330500))"), "2024-02-29");
  EXPECT_EQ(Eval("from_epoch_ms(253402300800000 + zero)"),
            "fail: timestamp out of range: 253402300800000 ms");
  EXPECT_EQ(Eval("from_epoch_ms(9223372036854775807 + zero)"),
            "fail: timestamp out of range: 9223372036854775807 ms");
  EXPECT_EQ(Eval("from_epoch_ms(ni)"), "NULL");
  EXPECT_EQ(Eval("epoch_ms(nt)"), "NULL");
  EXPECT_EQ(Eval("from_epoch_ms(f)"), "error: at 15: from_epoch_ms needs an integer, got float");
}

}  // namespace
}  // namespace sluice::testing

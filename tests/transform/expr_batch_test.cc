// Evaluation over whole batches: thousands of rows with nulls, failures reported
// per row with the right indices, rows selected by and / case / coalesce, string
// storage, and what Evaluate refuses.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "expr_fixture.h"

namespace sluice::testing {
namespace {

constexpr size_t kRows = 5000;

// Columns x (integer, null every 7th row), y (float, null every 11th row, zero
// every 13th), name (string "n<row>", null every 17th).
class ExprBatchTest : public ::testing::Test {
 protected:
  ExprBatchTest() {
    defs_ = {{"x", ColumnType::kInteger, true},
             {"y", ColumnType::kFloat, true},
             {"name", ColumnType::kString, true}};
    batch_.Reset(defs_);
    names_.reserve(kRows);
    for (size_t r = 0; r < kRows; ++r) names_.push_back("n" + std::to_string(r));
    auto& c = batch_.columns();
    for (size_t r = 0; r < kRows; ++r) {
      XNull(r) ? c[0].AppendNull() : c[0].AppendInt(X(r));
      YNull(r) ? c[1].AppendNull() : c[1].AppendFloat(Y(r));
      NameNull(r) ? c[2].AppendNull() : c[2].AppendString(names_[r]);
      batch_.FinishRow(r + 2);
    }
  }
  static bool XNull(size_t r) { return r % 7 == 3; }
  static bool YNull(size_t r) { return r % 11 == 5; }
  static bool NameNull(size_t r) { return r % 17 == 0; }
  static int64_t X(size_t r) { return static_cast<int64_t>(r) - 2500; }
  static double Y(size_t r) { return r % 13 == 0 ? 0.0 : static_cast<double>(r) / 4; }

  Expression Compile(const std::string& text) {
    Result<Expression> e = CompileExpression(text, defs_);
    EXPECT_TRUE(e.has_value()) << e.error().message();
    return std::move(e).value();
  }

  std::vector<ColumnDef> defs_;
  std::vector<std::string> names_;
  Batch batch_;
  StringArena arena_;
  Column out_;
  std::vector<RowFailure> failures_;
};

TEST_F(ExprBatchTest, ArithmeticMatchesARowByRowReference) {
  Expression e = Compile("x * 2 + y");
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  EXPECT_TRUE(failures_.empty());
  ASSERT_EQ(out_.nulls.size(), kRows);
  EXPECT_EQ(out_.def.type, ColumnType::kFloat);
  for (size_t r = 0; r < kRows; ++r) {
    if (XNull(r) || YNull(r)) {
      EXPECT_TRUE(out_.IsNull(r)) << r;
    } else {
      ASSERT_FALSE(out_.IsNull(r)) << r;
      EXPECT_EQ(out_.floats[r], static_cast<double>(X(r) * 2) + Y(r)) << r;
    }
  }
}

TEST_F(ExprBatchTest, FailuresNameTheirRowsInOrderAndTheRestIsComputed) {
  Expression e = Compile("x / y");
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  std::vector<size_t> expected;
  for (size_t r = 0; r < kRows; ++r) {
    if (!XNull(r) && !YNull(r) && Y(r) == 0) expected.push_back(r);
  }
  ASSERT_EQ(failures_.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(failures_[k].row, expected[k]);
    EXPECT_EQ(failures_[k].message, "division by zero");
  }
  for (size_t r = 0; r < kRows; ++r) {
    const bool null = XNull(r) || YNull(r) || Y(r) == 0;
    ASSERT_EQ(out_.IsNull(r), null) << r;
    if (!null) EXPECT_DOUBLE_EQ(out_.floats[r], static_cast<double>(X(r)) / Y(r));
  }
}

TEST_F(ExprBatchTest, OneFailurePerRowEvenWhenTwoPartsFail) {
  Expression e = Compile("coalesce(1 / (x - x), 0) + cast(name as integer)");
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  size_t expected = 0;
  for (size_t r = 0; r < kRows; ++r) expected += XNull(r) && NameNull(r) ? 0 : 1;
  ASSERT_EQ(failures_.size(), expected);
  for (size_t k = 1; k < failures_.size(); ++k) EXPECT_LT(failures_[k - 1].row, failures_[k].row);
  EXPECT_EQ(failures_[1].row, 1u);
  EXPECT_EQ(failures_[1].message, "division by zero");
  // Row 3: x null, so the division is null and coalesce gives 0; the cast fails.
  EXPECT_EQ(failures_[3].row, 3u);
  EXPECT_EQ(failures_[3].message, "cannot cast 'n3' to integer");
  for (size_t r = 0; r < kRows; ++r) EXPECT_TRUE(out_.IsNull(r));  // a failed row is null
}

TEST_F(ExprBatchTest, GuardedDivisionFailsNowhere) {
  for (const char* text :
       {"case when y = 0 then null else x / y end", "y <> 0 and x / y > 1", "y = 0 or x / y > 1",
        "coalesce(nullif(y, 0), 1) > 0 and x / coalesce(nullif(y, 0), 1) > 0"}) {
    failures_.clear();
    Expression e = Compile(text);
    ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
    EXPECT_TRUE(failures_.empty()) << text << ": row " << failures_[0].row;
  }
  Expression e = Compile("case when y = 0 then -1.0 when x > 0 then x / y else 0.0 end");
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  for (size_t r = 0; r < kRows; ++r) {
    const bool x_positive = !XNull(r) && X(r) > 0;
    if (!YNull(r) && Y(r) == 0) {
      EXPECT_EQ(out_.floats[r], -1.0) << r;
    } else if (x_positive && YNull(r)) {  // y = 0 is null, not true: x / null
      EXPECT_TRUE(out_.IsNull(r)) << r;
    } else if (x_positive) {
      EXPECT_DOUBLE_EQ(out_.floats[r], static_cast<double>(X(r)) / Y(r)) << r;
    } else {
      ASSERT_FALSE(out_.IsNull(r)) << r;
      EXPECT_EQ(out_.floats[r], 0.0) << r;
    }
  }
}

TEST_F(ExprBatchTest, FilterLikePredicateOverNulls) {
  Expression e = Compile("name <> 'n10' and x is not null");
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  EXPECT_EQ(out_.def.type, ColumnType::kBoolean);
  for (size_t r = 0; r < kRows; ++r) {
    if (XNull(r)) {
      EXPECT_EQ(out_.ints[r], 0) << r;  // false and anything is false, even null
      EXPECT_FALSE(out_.IsNull(r)) << r;
    } else if (NameNull(r)) {
      EXPECT_TRUE(out_.IsNull(r)) << r;
    } else {
      EXPECT_EQ(out_.ints[r], r == 10 ? 0 : 1) << r;
    }
  }
}

TEST_F(ExprBatchTest, StringResultsLiveInTheArena) {
  Expression e = Compile("upper(name) || '-' || cast(x as string)");
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  EXPECT_GT(arena_.bytes(), 0u);
  for (size_t r = 0; r < kRows; ++r) {
    if (XNull(r) || NameNull(r)) {
      EXPECT_TRUE(out_.IsNull(r));
    } else {
      EXPECT_EQ(out_.strings[r], "N" + std::to_string(r) + "-" + std::to_string(X(r)));
    }
  }
  // Evaluating again after Clear reuses the arena; values are recomputed.
  arena_.Clear();
  EXPECT_EQ(arena_.bytes(), 0u);
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  EXPECT_EQ(out_.strings[1], "N1--2499");
}

TEST_F(ExprBatchTest, ColumnAndConstantResultsFillEveryRow) {
  Expression column = Compile("name");
  ASSERT_TRUE(column.Evaluate(batch_, out_, failures_, arena_).ok());
  ASSERT_EQ(out_.strings.size(), kRows);
  EXPECT_EQ(out_.strings[4], "n4");
  EXPECT_TRUE(out_.IsNull(17));
  Expression constant = Compile("upper('a') || 'b'");
  EXPECT_TRUE(constant.constant());
  ASSERT_TRUE(constant.Evaluate(batch_, out_, failures_, arena_).ok());
  ASSERT_EQ(out_.strings.size(), kRows);
  for (size_t r = 0; r < kRows; ++r) EXPECT_EQ(out_.strings[r], "Ab");
  EXPECT_TRUE(failures_.empty());
}

TEST_F(ExprBatchTest, OutputReplacesWhatTheColumnHeld) {
  out_.def.name = "kept";
  out_.AppendInt(99);
  Expression e = Compile("x + 1");
  ASSERT_TRUE(e.Evaluate(batch_, out_, failures_, arena_).ok());
  EXPECT_EQ(out_.def.name, "kept");
  EXPECT_EQ(out_.ints.size(), kRows);
  EXPECT_EQ(out_.ints[0], -2499);
  EXPECT_TRUE(out_.def.nullable);
}

TEST_F(ExprBatchTest, EmptyBatch) {
  Batch empty;
  empty.Reset(defs_);
  Expression e = Compile("x / 0");
  ASSERT_TRUE(e.Evaluate(empty, out_, failures_, arena_).ok());
  EXPECT_TRUE(out_.nulls.empty());
  EXPECT_TRUE(failures_.empty());
}

TEST_F(ExprBatchTest, ABatchThatDoesNotMatchTheInputsIsAnInternalError) {
  Expression e = Compile("name || 'x'");
  Batch wrong;
  wrong.Reset(
      {{"x", ColumnType::kInteger}, {"y", ColumnType::kFloat}, {"name", ColumnType::kInteger}});
  Status s = e.Evaluate(wrong, out_, failures_, arena_);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  Batch short_batch;
  short_batch.Reset({{"x", ColumnType::kInteger}});
  EXPECT_EQ(e.Evaluate(short_batch, out_, failures_, arena_).code(), StatusCode::kInternal);
  EXPECT_EQ(Expression().Evaluate(batch_, out_, failures_, arena_).code(), StatusCode::kInternal);
}

TEST_F(ExprBatchTest, ExtraColumnsAndShortUnreadColumnsAreIgnored) {
  // The pipeline's batches carry metadata columns after the inputs, filled later.
  Batch wider;
  std::vector<ColumnDef> defs = defs_;
  defs.push_back({"_file", ColumnType::kString});
  wider.Reset(defs);
  wider.columns()[0].AppendInt(5);
  wider.columns()[1].AppendFloat(1);
  wider.columns()[2].AppendNull();
  wider.FinishRow(1);
  Expression e = Compile("x + 1");
  ASSERT_TRUE(e.Evaluate(wider, out_, failures_, arena_).ok());
  EXPECT_EQ(out_.ints[0], 6);
}

TEST_F(ExprBatchTest, TimestampsAtTheLimitsOfInt64) {
  // Readers of binary formats may hand over any int64 as a timestamp; the
  // calendar functions stay defined on all of them (run under UBSan).
  const std::vector<ColumnDef> defs = {{"t", ColumnType::kTimestamp}};
  Batch batch;
  batch.Reset(defs);
  batch.columns()[0].AppendInt(INT64_MIN);
  batch.FinishRow(1);
  batch.columns()[0].AppendInt(INT64_MAX);
  batch.FinishRow(2);
  auto eval = [&](const std::string& text) {
    Result<Expression> e = CompileExpression(text, defs);
    EXPECT_TRUE(e.has_value()) << e.error().message();
    failures_.clear();
    EXPECT_TRUE(e->Evaluate(batch, out_, failures_, arena_).ok());
    std::string result;
    for (size_t r = 0; r < 2; ++r) {
      bool failed = false;
      for (const RowFailure& f : failures_) failed = failed || f.row == r;
      result += (r > 0 ? " | " : "") + (failed ? "fail" : Render(out_, r));
    }
    return result;
  };
  EXPECT_EQ(eval("hour(t) || ':' || minute(t)"), "19:59 | 4:0");
  EXPECT_EQ(eval("date_trunc('second', t) is null"), "fail | false");
  EXPECT_EQ(eval("date_trunc('year', t) is null"), "fail | false");
  EXPECT_EQ(eval("epoch_ms(t)"), "-9223372036854776 | 9223372036854775");
  EXPECT_EQ(eval("year(date(t)) > 0"), "false | true");
}

TEST_F(ExprBatchTest, OneExpressionEvaluatesOnSeveralThreadsAtOnce) {
  const Expression e = Compile("case when regexp_matches(name, '7$') then x * 3 else x end");
  const Expression copy = e;  // copies share the compiled tree
  std::vector<std::vector<int64_t>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      StringArena arena;
      Column out;
      std::vector<RowFailure> failures;
      for (int repeat = 0; repeat < 5; ++repeat) {
        if (!(t % 2 == 0 ? e : copy).Evaluate(batch_, out, failures, arena).ok()) return;
      }
      for (size_t r = 0; r < kRows; ++r) results[t].push_back(out.IsNull(r) ? -1 : out.ints[r]);
    });
  }
  for (std::thread& th : threads) th.join();
  for (size_t t = 1; t < results.size(); ++t) EXPECT_EQ(results[t], results[0]);
  ASSERT_EQ(results[0].size(), kRows);
  EXPECT_EQ(results[0][7], 3 * X(7));
  EXPECT_EQ(results[0][8], X(8));
}

}  // namespace
}  // namespace sluice::testing

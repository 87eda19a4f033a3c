// SinkContractTest (see sink_contract_test.cc), values: every column type
// round-tripped with its edge values, and values a sink cannot store refused
// rather than stored altered.
//
// Thread-safety: each test runs on one thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "sink/sink_contract.h"

namespace sluice::contract {
namespace {

TEST_P(SinkContractTest, EveryTypeRoundTripsItsEdgeValues) {
  const TableDef def = EveryType(UniqueName("types"));
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  auto described = sink_->DescribeTable(def.name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->columns, def.columns);

  using Int = std::optional<int64_t>;
  using Float = std::optional<double>;
  const std::vector<Int> ints = {std::nullopt, kMin, kMax, 0, -1};
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Float> floats = {std::nullopt,
                               -0.0,
                               0.1,
                               -2.5,
                               1.7976931348623157e308,
                               -1e300,
                               2.2250738585072014e-308,
                               4.9406564584124654e-324,
                               inf,
                               -inf,
                               std::numeric_limits<double>::quiet_NaN()};
  if (traits().refuses_non_finite_floats) {  // checked in ValuesOutOfRangeAreRefusedNotAltered
    std::erase_if(floats, [](const Float& f) { return f && !std::isfinite(*f); });
  }
  const std::vector<Int> bools = {std::nullopt, 0, 1};
  std::vector<Int> days = {std::nullopt};
  for (int64_t day : {0, -1, 1, -25567, 19724, -719162, 2932896, 65535, 120529}) {
    if (day >= traits().min_day && day <= traits().max_day) days.push_back(day);
  }
  std::vector<Int> times = {std::nullopt};
  for (int64_t t :
       {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{1704153600000007}, int64_t{-2208988800000000},
        int64_t{4294967295000000}, int64_t{253402300799999999}, int64_t{-62135596800000000},
        int64_t{-86399999999}, int64_t{9214646399999999}}) {
    if (t >= traits().min_micros && t <= traits().max_micros) times.push_back(t);
  }
  const std::vector<std::optional<std::string>> strings = {
      std::nullopt,
      "",
      "tab\there",
      "new\nline\r\n",
      "back\\slash\\",
      "\\N",
      "NULL",
      "quote'\"`",
      "\xC3\xBCn\xC3\xAF \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82",  // ünï 日本 🙂
      "\x01\x02\x1b\x7f",
      std::string(70000, 'x') + "\n"};

  const size_t rows =
      std::max({ints.size(), floats.size(), days.size(), times.size(), strings.size()});
  Batch batch;
  batch.Reset(def.columns);
  auto& c = batch.columns();
  auto put = [](Column& column, const auto& values, size_t row) {
    if (row >= values.size() || !values[row]) {
      column.AppendNull();
    } else if constexpr (std::is_same_v<std::decay_t<decltype(*values[row])>, double>) {
      column.AppendFloat(*values[row]);
    } else if constexpr (std::is_same_v<std::decay_t<decltype(*values[row])>, int64_t>) {
      column.AppendInt(*values[row]);
    } else {
      column.AppendString(*values[row]);
    }
  };
  for (size_t row = 0; row < rows; ++row) {
    c[0].AppendInt(static_cast<int64_t>(row));
    put(c[1], ints, row);
    put(c[2], floats, row);
    put(c[3], bools, row);
    put(c[4], days, row);
    put(c[5], times, row);
    put(c[6], strings, row);
    batch.FinishRow(2 + row);
  }
  const LoadId load = NewLoad();
  Status loaded = LoadBatch(*sink_, def, load, batch);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();

  std::string columns;
  for (const ColumnDef& column : def.columns) {
    columns += (columns.empty() ? "" : ", ") + backend_->Render(column.type, column.name);
  }
  const Rows got = backend_->Query("SELECT " + columns + " FROM " + backend_->QuoteId(def.name) +
                                   " ORDER BY id");
  ASSERT_EQ(got.size(), rows);
  auto text = [](const auto& values, size_t row, auto format) -> Cell {
    if (row >= values.size() || !values[row]) return std::nullopt;
    return format(*values[row]);
  };
  for (size_t row = 0; row < rows; ++row) {
    SCOPED_TRACE("row " + std::to_string(row));
    ASSERT_EQ(got[row].size(), 7u);
    EXPECT_EQ(got[row][0], std::to_string(row));
    EXPECT_EQ(got[row][1], text(ints, row, [](int64_t v) { return std::to_string(v); }));
    EXPECT_EQ(got[row][3], text(bools, row, [](int64_t v) { return std::to_string(v); }));
    EXPECT_EQ(backend_->Canonical(ColumnType::kDate, got[row][4]), text(days, row, DayText));
    EXPECT_EQ(
        backend_->Canonical(ColumnType::kTimestamp, got[row][5]), text(times, row, [&](int64_t v) {
          // Truncated to the second, the floor for times before 1970.
          return MicrosText(traits().keeps_micros ? v : v - (v % 1000000 + 1000000) % 1000000);
        }));
    EXPECT_EQ(got[row][6], text(strings, row, [](const std::string& v) { return v; }));
    // Floats: the same double, bit for bit (the sign of zero included).
    const Float want = row < floats.size() ? floats[row] : std::nullopt;
    if (want && std::isnan(*want) && !traits().keeps_nan) {
      EXPECT_EQ(got[row][2], std::nullopt) << "NaN is documented to be stored as NULL";
    } else if (!want) {
      EXPECT_EQ(got[row][2], std::nullopt);
    } else if (!got[row][2]) {
      ADD_FAILURE() << "float " << *want << " came back as NULL";
    } else {
      const double back = std::strtod(got[row][2]->c_str(), nullptr);
      const bool zero_lost = *want == 0 && !traits().keeps_negative_zero;
      EXPECT_TRUE(std::isnan(*want) ? std::isnan(back)
                  : zero_lost       ? back == 0
                                    : std::memcmp(&back, &*want, sizeof back) == 0)
          << "float " << FloatText(*want) << " came back as \"" << *got[row][2] << "\"";
    }
  }
}

// A value the sink cannot store as it is, is refused (InvalidData, the load not
// committed), never stored altered; the int64 edges of dates and timestamps are
// either that or stored.
TEST_P(SinkContractTest, ValuesOutOfRangeAreRefusedNotAltered) {
  const TableDef def = EveryType(UniqueName("range"));
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  auto refused = [](const std::vector<int64_t>& list, int64_t v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  struct Case {
    size_t column;
    int64_t value;
    bool must_refuse;
  };
  std::vector<Case> cases;
  for (int64_t day : traits().refused_days) cases.push_back({4, day, true});
  for (int64_t micros : traits().refused_micros) cases.push_back({5, micros, true});
  for (int64_t edge : {kMin, kMax}) {
    if (!refused(traits().refused_days, edge)) cases.push_back({4, edge, false});
    if (!refused(traits().refused_micros, edge)) cases.push_back({5, edge, false});
  }
  for (const Case& one : cases) {
    SCOPED_TRACE("column " + def.columns[one.column].name + " value " + std::to_string(one.value));
    Batch batch;
    batch.Reset(def.columns);
    batch.columns()[0].AppendInt(1);
    for (size_t i = 1; i < def.columns.size(); ++i) {
      if (i == one.column) {
        batch.columns()[i].AppendInt(one.value);
      } else {
        batch.columns()[i].AppendNull();
      }
    }
    batch.FinishRow(9);
    const LoadId load = NewLoad();
    Status status = LoadBatch(*sink_, def, load, batch);
    if (one.must_refuse) {
      EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
      // Every sink names the row it refuses, so the file can load without it.
      ASSERT_EQ(sink_->refused().size(), 1u) << status.ToString();
      EXPECT_EQ(sink_->refused()[0].line, 9u);
      EXPECT_EQ(sink_->refused()[0].column, def.columns[one.column].name);
      EXPECT_FALSE(Committed(load.id));
    } else {
      EXPECT_TRUE(status.ok()) << status.ToString();
    }
  }
  if (traits().refuses_non_finite_floats) {
    for (double f :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity()}) {
      SCOPED_TRACE("float " + FloatText(f));
      Batch batch;
      batch.Reset(def.columns);
      batch.columns()[0].AppendInt(3);
      for (size_t i = 1; i < def.columns.size(); ++i) {
        if (i == 2) {
          batch.columns()[i].AppendFloat(f);
        } else {
          batch.columns()[i].AppendNull();
        }
      }
      batch.FinishRow(9);
      const LoadId load = NewLoad();
      Status status = LoadBatch(*sink_, def, load, batch);
      EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
      ASSERT_EQ(sink_->refused().size(), 1u) << status.ToString();
      EXPECT_EQ(sink_->refused()[0].line, 9u);
      EXPECT_FALSE(Committed(load.id));
    }
  }
  // Bytes that are not UTF-8.
  Batch batch;
  batch.Reset(def.columns);
  batch.columns()[0].AppendInt(2);
  for (size_t i = 1; i < 6; ++i) batch.columns()[i].AppendNull();
  const std::string bytes = "\xff\xfe\xc3(";
  batch.columns()[6].AppendString(bytes);
  batch.FinishRow(9);
  const LoadId load = NewLoad();
  Status status = LoadBatch(*sink_, def, load, batch);
  const Rows stored =
      backend_->Query("SELECT s FROM " + backend_->QuoteId(def.name) + " WHERE id = 2");
  if (traits().requires_utf8) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
    EXPECT_FALSE(Committed(load.id));
    EXPECT_TRUE(stored.empty());
  } else {
    EXPECT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(stored, (Rows{{bytes}}));
  }
}

}  // namespace
}  // namespace sluice::contract

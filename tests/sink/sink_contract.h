// The fixture of SinkContractTest (sink_contract_test.cc and
// sink_contract_values_test.cc): one Backend per test parameter ("sqlite",
// "postgres", "clickhouse", "mysql", "parquet"), a sink opened with OpenSink on it, and the tables,
// loads and batches the cases share.
//
// Thread-safety: none needed (each test runs on one thread; the crash cases fork).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"
#include "sink/contract_backends.h"
#include "sink/registry.h"
#include "test_util.h"

namespace sluice::contract {

// One row of (id, label) per id, label `prefix` + id; the strings live in
// `storage`, which must outlive the batch.
inline Batch Readings(const TableDef& table, const std::vector<int64_t>& ids,
                      std::vector<std::string>& storage, const std::string& prefix = "l") {
  return testing::IdLabelBatch(table, ids, storage, prefix);
}
inline std::vector<int64_t> Ids(int64_t from, int64_t to) { return testing::IdRange(from, to); }

inline constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

inline TableDef EveryType(const std::string& name) {
  return {name,
          {{"id", ColumnType::kInteger, false},
           {"i", ColumnType::kInteger, true},
           {"f", ColumnType::kFloat, true},
           {"b", ColumnType::kBoolean, true},
           {"d", ColumnType::kDate, true},
           {"t", ColumnType::kTimestamp, true},
           {"s", ColumnType::kString, true}},
          {}};
}

// Begin, Write(batch), Commit of one new load; the first error, after Abort.
inline Status LoadBatch(Sink& sink, const TableDef& def, const LoadId& load, const Batch& batch) {
  RETURN_IF_ERROR(sink.Begin(def, {load}));
  Status status = sink.Write(batch, 0);
  if (status.ok()) status = sink.Commit().status();
  if (!status.ok()) sink.Abort();
  return status;
}

class SinkContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      backend_ = std::make_unique<SqliteBackend>();
    } else if (GetParam() == "postgres") {
      SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
      backend_ = std::make_unique<PostgresBackend>(url);
    } else if (GetParam() == "parquet") {
      auto parquet = std::make_unique<ParquetBackend>();
      const testing::DuckDbRun probe = parquet->Probe();
      if (probe.unavailable) {
        if (testing::DuckDbRequired()) FAIL() << probe.error;
        GTEST_SKIP() << probe.error;
      }
      ASSERT_TRUE(probe.error.empty()) << probe.error;
      backend_ = std::move(parquet);
    } else if (GetParam() == "mysql") {
      SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_MYSQL_URL");
      backend_ = std::make_unique<MysqlBackend>(url);
    } else {
      SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_CLICKHOUSE_URL");
      backend_ = std::make_unique<ClickHouseBackend>(url);
    }
    sink_ = Open();
    ASSERT_NE(sink_, nullptr);
  }

  std::unique_ptr<Sink> Open() const {
    auto sink = OpenSink(backend_->Url());
    EXPECT_TRUE(sink.has_value()) << sink.status().ToString();
    return sink.has_value() ? std::move(*sink) : nullptr;
  }

  const SinkTraits& traits() const { return backend_->traits(); }

  // A new table (id integer NOT NULL, label string) keyed on id if `keyed`.
  TableDef NewReadings(bool keyed = false) {
    TableDef def{UniqueName("rd"),
                 {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
                 {}};
    if (keyed) def.key = {"id"};
    Status created = sink_->EnsureTable(def);
    EXPECT_TRUE(created.ok()) << created.ToString();
    return def;
  }

  // A definition of a table that does not exist.
  static TableDef NewReadingsDef() {
    return {UniqueName("rd"), {{"id", ColumnType::kInteger, false}}, {}};
  }

  // A new side table of the shape of per-file aggregates (a part of it): the
  // load's id, the column aggregated, a count and a mean (nullable).
  TableDef NewSide() {
    TableDef def{UniqueName("side"),
                 {{"_load_id", ColumnType::kString, false},
                  {"column", ColumnType::kString, false},
                  {"count", ColumnType::kInteger, false},
                  {"mean", ColumnType::kFloat, true}},
                 {}};
    Status created = sink_->EnsureTable(def);
    EXPECT_TRUE(created.ok()) << created.ToString();
    return def;
  }

  // One side row per column name of `columns` for `load`: count = its index + 1,
  // mean = count + 0.5 (NULL for the first; not integral: SQLite would store it as
  // an integer). The strings live in `storage`, which
  // must outlive the batch.
  static Batch SideRows(const TableDef& side, const LoadId& load,
                        const std::vector<std::string>& columns,
                        std::vector<std::string>& storage) {
    Batch batch;
    batch.Reset(side.columns);
    storage.clear();
    storage.reserve(columns.size() + 1);
    storage.push_back(load.id);
    for (size_t i = 0; i < columns.size(); ++i) {
      storage.push_back(columns[i]);
      batch.columns()[0].AppendString(storage.front());
      batch.columns()[1].AppendString(storage.back());
      batch.columns()[2].AppendInt(static_cast<int64_t>(i + 1));
      if (i == 0) {
        batch.columns()[3].AppendNull();
      } else {
        batch.columns()[3].AppendFloat(static_cast<double>(i + 1) + 0.5);
      }
      batch.FinishRow(0);
    }
    return batch;
  }

  // The rows SideRows(side, load, columns) stores, as SideRowsIn reads them.
  static Rows ExpectedSide(const LoadId& load, const std::vector<std::string>& columns) {
    Rows rows;
    for (size_t i = 0; i < columns.size(); ++i) {
      const double mean = static_cast<double>(i + 1) + 0.5;
      rows.push_back(
          {load.id, columns[i], std::to_string(i + 1), i == 0 ? Cell() : Cell(FloatText(mean))});
    }
    return rows;
  }

  // Every row of the side table, sorted.
  Rows SideRowsIn(const TableDef& side) {
    std::string columns;
    for (const ColumnDef& c : side.columns) {
      columns += (columns.empty() ? "" : ", ") + backend_->Render(c.type, c.name);
    }
    Rows rows = backend_->Query("SELECT " + columns + " FROM " + backend_->From(side.name, false));
    for (auto& row : rows) {
      for (size_t i = 0; i < row.size() && i < side.columns.size(); ++i) {
        row[i] = backend_->Canonical(side.columns[i].type, row[i]);
      }
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  // After a load of `loads` into `def` with `side` that did not commit: no marker,
  // no side row and, on a transactional sink, no row.
  void ExpectNothingOf(const TableDef& def, const TableDef& side,
                       const std::vector<LoadId>& loads) {
    for (const LoadId& load : loads) {
      EXPECT_FALSE(Committed(load.id));
      EXPECT_TRUE(Marker(load).empty());
    }
    if (traits().transactional) {
      EXPECT_EQ(Count(def), "0");
    }
    EXPECT_EQ(Count(side), "0");
  }

  static Rows Sorted(Rows rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  static LoadId NewLoad() {
    const std::string id = UniqueName("load");
    return {id, "/in/" + id + ".csv"};
  }

  // Begin, one Write per element of `ids_per_load`, Commit.
  Result<std::vector<LoadCounts>> Load(Sink& sink, const TableDef& def,
                                       const std::vector<LoadId>& loads,
                                       const std::vector<std::vector<int64_t>>& ids_per_load) {
    return testing::LoadIdLabels(sink, def, loads, ids_per_load);
  }

  // (id, label) of every row, by id (once keys are applied).
  Rows IdsAndLabels(const TableDef& def) {
    return backend_->Query("SELECT id, label FROM " + backend_->From(def.name, !def.key.empty()) +
                           " ORDER BY id");
  }
  std::string Count(const TableDef& def) {
    Rows rows = backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name));
    return rows.empty() ? "<no row>" : rows[0][0].value_or("NULL");
  }
  // The marker of `load` as (file, rows); empty if none.
  Rows Marker(const LoadId& load) { return backend_->Query(backend_->MarkerSql(load.id)); }

  bool Committed(const std::string& id) {
    Result<bool> committed = sink_->IsCommitted(id);
    EXPECT_TRUE(committed.has_value()) << committed.status().ToString();
    return committed.has_value() && *committed;
  }

  static Rows Expected(const std::vector<int64_t>& ids, const std::string& prefix = "l") {
    Rows rows;
    for (int64_t id : ids) rows.push_back({std::to_string(id), prefix + std::to_string(id)});
    return rows;
  }

  // The crash cases: a child process runs the protocol up to `step` and dies there
  // (_exit: no destructor, no Abort); then this process recovers the load as the
  // pipeline does at start-up.
  // With `side`, each Write is followed by side rows of the load (into a new
  // side table named at Begin), and the recovery checks them too.
  enum class Step { kBegin, kOneWrite, kSeveralWrites, kCommit };
  void CrashAfter(Step step, bool side = false);

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Sink> sink_;
};

}  // namespace sluice::contract

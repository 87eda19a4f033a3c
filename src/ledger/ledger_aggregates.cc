// Ledger, aggregates: the copy of recent per-file aggregates (aggregate_records.h)
// kept with MarkLoaded, the flagging of means that stand out, and the reads the
// status page and `sluice status --file` make. Group values and group column
// names are stored as JSON arrays, so a group of any number of columns, NULLs
// among them, is one comparable text.
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "ledger/ledger.h"
#include "ledger/ledger_impl.h"

namespace sluice {
namespace {

std::string GroupJson(const std::vector<std::optional<std::string>>& group) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& value : group) {
    if (value) {
      out.push_back(*value);
    } else {
      out.push_back(nullptr);
    }
  }
  // Replaced, not refused: a value that is not UTF-8 still groups with itself.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string NamesJson(const std::vector<std::string>& names) {
  return nlohmann::json(names).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The parsed array of a stored text; a text this version did not write (there
// is none) gives an empty group rather than an error.
nlohmann::json ParseArray(const std::string& text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_array() ? parsed : nlohmann::json::array();
}

std::vector<std::optional<std::string>> ParseGroup(const std::string& text) {
  std::vector<std::optional<std::string>> group;
  for (const auto& value : ParseArray(text)) {
    if (value.is_string()) {
      group.emplace_back(value.get<std::string>());
    } else {
      group.emplace_back(std::nullopt);
    }
  }
  return group;
}

std::vector<std::string> ParseNames(const std::string& text) {
  std::vector<std::string> names;
  for (const auto& value : ParseArray(text)) {
    names.push_back(value.is_string() ? value.get<std::string>() : "");
  }
  return names;
}

// The expected band of a mean from the earlier means: [m - k s, m + k s] over at
// least kFlagMinHistory of them with s > 0 (sample standard deviation, by
// Welford's method); nullopt otherwise.
struct Band {
  double low = 0, high = 0;
  size_t history = 0;
};
std::optional<Band> ExpectedBand(const std::vector<double>& means) {
  if (means.size() < kFlagMinHistory) return std::nullopt;
  double mean = 0, m2 = 0;
  size_t n = 0;
  for (double x : means) {
    ++n;
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
  }
  const double s = std::sqrt(m2 / static_cast<double>(n - 1));
  if (!(s > 0) || !std::isfinite(s)) return std::nullopt;
  return Band{mean - kFlagDeviations * s, mean + kFlagDeviations * s, n};
}

// The columns an AggregateRecord is read from (ReadAggregate), in order.
constexpr char kAggregateColumns[] =
    "group_values, column_name, count, nulls, min, max, mean, stddev, flagged, expected_low, "
    "expected_high";

// The record of a row whose columns from `first` on are kAggregateColumns.
AggregateRecord ReadAggregate(const SqliteStatement& row, int first) {
  AggregateRecord out;
  out.group = ParseGroup(row.Text(first));
  out.column = row.Text(first + 1);
  out.count = static_cast<uint64_t>(row.Int(first + 2));
  out.nulls = static_cast<uint64_t>(row.Int(first + 3));
  out.min = row.OptionalDouble(first + 4);
  out.max = row.OptionalDouble(first + 5);
  out.mean = row.OptionalDouble(first + 6);
  out.stddev = row.OptionalDouble(first + 7);
  out.flagged = row.Int(first + 8) != 0;
  out.low = row.OptionalDouble(first + 9);
  out.high = row.OptionalDouble(first + 10);
  return out;
}

}  // namespace

Result<std::vector<FlaggedAggregate>> Ledger::Impl::KeepAggregates(
    int64_t file_id, const FileAggregates& aggregates) {
  constexpr std::string_view kContext = "keep aggregates";
  std::vector<FlaggedAggregate> flagged;
  const int64_t loaded_at = aggregates.loaded_at_us != 0 ? aggregates.loaded_at_us : NowMicros();
  const std::string& table = aggregates.table;
  ASSIGN_OR_RETURN(SqliteStatement file,
                   Prepare("INSERT OR REPLACE INTO aggregate_files(file_id, table_name, "
                           "aggregates_table, loaded_at_us, by_columns) VALUES(?1, ?2, ?3, ?4, ?5)",
                           kContext));
  RETURN_IF_ERROR(
      file.Bind(file_id, table, aggregates.aggregates_table, loaded_at, NamesJson(aggregates.by))
          .Run(kContext));
  ASSIGN_OR_RETURN(SqliteStatement clear,
                   Prepare("DELETE FROM aggregates WHERE file_id = ?1", kContext));
  RETURN_IF_ERROR(clear.Bind(file_id).Run(kContext));

  std::set<std::string> groups;
  for (const AggregateRecord& row : aggregates.rows) {
    std::string group = GroupJson(row.group);
    if (groups.count(group) == 0) {
      if (groups.size() == kAggregateGroupsKept) continue;
      groups.insert(group);
    }
    std::optional<Band> band;
    if (row.mean) {
      // The earlier files' means of this column and group, latest first.
      ASSIGN_OR_RETURN(
          SqliteStatement history,
          Prepare("SELECT mean FROM aggregates WHERE table_name = ?1 AND column_name = ?2 AND "
                  "group_values = ?3 AND file_id <> ?4 AND mean IS NOT NULL "
                  "ORDER BY loaded_at_us DESC, file_id DESC LIMIT ?5",
                  kContext));
      history.Bind(table, row.column, group, file_id, static_cast<int64_t>(kAggregateSeriesFiles));
      std::vector<double> means;
      while (true) {
        ASSIGN_OR_RETURN(bool more, history.Step(kContext));
        if (!more) break;
        if (auto mean = history.OptionalDouble(0)) means.push_back(*mean);
      }
      band = ExpectedBand(means);
    }
    const bool out = band && (*row.mean < band->low || *row.mean > band->high);
    if (out) {
      flagged.push_back({table, row.column, aggregates.by, row.group, *row.mean, band->low,
                         band->high, band->history});
    }
    ASSIGN_OR_RETURN(
        SqliteStatement insert,
        Prepare(
            "INSERT INTO aggregates(file_id, table_name, loaded_at_us, group_values, "
            "column_name, count, nulls, min, max, mean, stddev, flagged, expected_low, "
            "expected_high) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            kContext));
    RETURN_IF_ERROR(insert
                        .Bind(file_id, table, loaded_at, group, row.column, row.count, row.nulls,
                              row.min, row.max, row.mean, row.stddev, out ? 1 : 0,
                              band ? std::optional<double>(band->low) : std::nullopt,
                              band ? std::optional<double>(band->high) : std::nullopt)
                        .Run(kContext));
  }

  // The table's files beyond the latest kAggregateFilesKept: usually none, or
  // the one this file pushed out.
  ASSIGN_OR_RETURN(SqliteStatement older,
                   Prepare("SELECT file_id FROM aggregate_files WHERE table_name = ?1 "
                           "ORDER BY loaded_at_us DESC, file_id DESC LIMIT -1 OFFSET ?2",
                           kContext));
  older.Bind(table, static_cast<int64_t>(kAggregateFilesKept));
  std::vector<int64_t> removed;
  while (true) {
    ASSIGN_OR_RETURN(bool more, older.Step(kContext));
    if (!more) break;
    removed.push_back(older.Int(0));
  }
  for (int64_t id : removed) {
    ASSIGN_OR_RETURN(SqliteStatement rows,
                     Prepare("DELETE FROM aggregates WHERE file_id = ?1", kContext));
    RETURN_IF_ERROR(rows.Bind(id).Run(kContext));
    ASSIGN_OR_RETURN(SqliteStatement files,
                     Prepare("DELETE FROM aggregate_files WHERE file_id = ?1", kContext));
    RETURN_IF_ERROR(files.Bind(id).Run(kContext));
  }
  return flagged;
}

Result<std::optional<FileAggregates>> Ledger::AggregatesOf(int64_t file_id) {
  std::lock_guard lock(impl_->mu);
  constexpr std::string_view kContext = "read aggregates";
  ASSIGN_OR_RETURN(SqliteStatement file,
                   impl_->Prepare("SELECT table_name, aggregates_table, loaded_at_us, by_columns "
                                  "FROM aggregate_files WHERE file_id = ?1",
                                  kContext));
  ASSIGN_OR_RETURN(bool found, file.Bind(file_id).Step(kContext));
  if (!found) return std::optional<FileAggregates>();
  FileAggregates out;
  out.table = file.Text(0);
  out.aggregates_table = file.Text(1);
  out.loaded_at_us = file.Int(2);
  out.by = ParseNames(file.Text(3));
  ASSIGN_OR_RETURN(SqliteStatement rows,
                   impl_->Prepare(std::string("SELECT ") + kAggregateColumns +
                                      " FROM aggregates WHERE file_id = ?1 ORDER BY rowid",
                                  kContext));
  rows.Bind(file_id);
  while (true) {
    ASSIGN_OR_RETURN(bool more, rows.Step(kContext));
    if (!more) break;
    out.rows.push_back(ReadAggregate(rows, 0));
  }
  return std::optional<FileAggregates>(std::move(out));
}

Result<std::vector<AggregatedTable>> Ledger::AggregatedTables() {
  std::lock_guard lock(impl_->mu);
  // The bare columns of an aggregate query with one MAX() come from the row of
  // that maximum in SQLite: the latest file's aggregates table and groups.
  ASSIGN_OR_RETURN(SqliteStatement query,
                   impl_->Prepare("SELECT table_name, aggregates_table, by_columns, COUNT(*), "
                                  "MAX(loaded_at_us) FROM aggregate_files GROUP BY table_name "
                                  "ORDER BY table_name",
                                  "list aggregated tables"));
  std::vector<AggregatedTable> tables;
  while (true) {
    ASSIGN_OR_RETURN(bool more, query.Step("list aggregated tables"));
    if (!more) return tables;
    tables.push_back({query.Text(0), query.Text(1), ParseNames(query.Text(2)),
                      static_cast<uint64_t>(query.Int(3)), query.Int(4)});
  }
}

Result<std::vector<AggregateSeries>> Ledger::AggregateSeriesOf(const std::string& table,
                                                               size_t files) {
  std::lock_guard lock(impl_->mu);
  constexpr std::string_view kContext = "read aggregate series";
  ASSIGN_OR_RETURN(
      SqliteStatement query,
      impl_->Prepare(std::string("SELECT a.file_id, COALESCE(f.path, ''), a.loaded_at_us, ") +
                         kAggregateColumns +
                         " FROM aggregates a LEFT JOIN files f ON f.id = a.file_id "
                         "WHERE a.file_id IN (SELECT file_id FROM aggregate_files WHERE "
                         "table_name = ?1 ORDER BY loaded_at_us DESC, file_id DESC LIMIT ?2) "
                         "ORDER BY a.loaded_at_us, a.file_id, a.rowid",
                     kContext));
  query.Bind(table, static_cast<int64_t>(files));
  std::vector<AggregateSeries> series;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (column, group) → series
  while (true) {
    ASSIGN_OR_RETURN(bool more, query.Step(kContext));
    if (!more) return series;
    AggregatePoint point{query.Int(0), query.Text(1), query.Int(2), ReadAggregate(query, 3)};
    auto [it, added] = index.try_emplace({point.value.column, query.Text(3)}, series.size());
    if (added) series.push_back({point.value.column, point.value.group, {}});
    series[it->second].points.push_back(std::move(point));
  }
}

}  // namespace sluice

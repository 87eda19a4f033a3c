#include "pipeline/status_json.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "core/clock.h"
#include "observe/json_text.h"

namespace sluice {
namespace {

// A gauge's value as Prometheus shows it: whole numbers without a fraction.
nlohmann::ordered_json Number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return static_cast<int64_t>(v);
  }
  return v;
}

// UTC ISO 8601, or "" for a time not yet reached (0).
std::string Time(int64_t us) { return us > 0 ? FormatTimeUtc(us) : ""; }

nlohmann::ordered_json StateCounts(const std::map<FileState, uint64_t>& counts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [state, n] : counts) out[std::string(FileStateName(state))] = n;
  return out;
}

nlohmann::ordered_json Records(const std::vector<FileRecord>& records) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const FileRecord& r : records) out.push_back(FileRecordJson(r));
  return out;
}

nlohmann::ordered_json Optional(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// The group as an object of its columns' values; a value without a name (the
// group columns changed) is named by its position.
nlohmann::ordered_json Group(const std::vector<std::string>& by,
                             const std::vector<std::optional<std::string>>& group) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (size_t i = 0; i < group.size(); ++i) {
    const std::string name = i < by.size() ? by[i] : "by" + std::to_string(i + 1);
    out[name] = group[i] ? nlohmann::ordered_json(*group[i]) : nlohmann::ordered_json(nullptr);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json FileAggregatesJson(const FileAggregates& aggregates) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const AggregateRecord& r : aggregates.rows) {
    rows.push_back({{"group", Group(aggregates.by, r.group)},
                    {"column", r.column},
                    {"count", r.count},
                    {"nulls", r.nulls},
                    {"min", Optional(r.min)},
                    {"max", Optional(r.max)},
                    {"mean", Optional(r.mean)},
                    {"stddev", Optional(r.stddev)},
                    {"flagged", r.flagged},
                    {"expected_low", Optional(r.low)},
                    {"expected_high", Optional(r.high)}});
  }
  return {{"table", aggregates.table},
          {"aggregates_table", aggregates.aggregates_table},
          {"loaded_at", Time(aggregates.loaded_at_us)},
          {"by", aggregates.by},
          {"rows", std::move(rows)}};
}

std::string ApiAggregatesJson(const Result<std::vector<AggregatedTable>>& tables,
                              const std::string& table,
                              const Result<std::vector<AggregateSeries>>& series) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  std::vector<std::string> by;
  if (!tables) {
    out["error"] = tables.error().ToString();
  } else {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const AggregatedTable& t : *tables) {
      if (t.table == table) by = t.by;
      list.push_back({{"table", t.table},
                      {"aggregates_table", t.aggregates_table},
                      {"by", t.by},
                      {"files", t.files},
                      {"latest_loaded_at", Time(t.latest_us)},
                      {"latest_loaded_at_us", t.latest_us}});
    }
    out["tables"] = std::move(list);
  }
  if (table.empty()) return JsonText(out);
  out["table"] = table;
  out["by"] = by;
  if (!series) {
    out["error"] = series.error().ToString();
    return JsonText(out);
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  struct Flag {
    const AggregateSeries* series;
    const AggregatePoint* point;
  };
  std::vector<Flag> flags;
  for (const AggregateSeries& s : *series) {
    nlohmann::ordered_json points = nlohmann::ordered_json::array();
    for (const AggregatePoint& p : s.points) {
      points.push_back({{"file", p.file},
                        {"name", BaseName(p.file)},
                        {"loaded_at", Time(p.loaded_at_us)},
                        {"loaded_at_ms", p.loaded_at_us / 1000},
                        {"count", p.value.count},
                        {"min", Optional(p.value.min)},
                        {"max", Optional(p.value.max)},
                        {"mean", Optional(p.value.mean)},
                        {"flagged", p.value.flagged}});
      if (p.value.flagged) flags.push_back({&s, &p});
    }
    list.push_back(
        {{"column", s.column}, {"group", Group(by, s.group)}, {"points", std::move(points)}});
  }
  std::stable_sort(flags.begin(), flags.end(), [](const Flag& a, const Flag& b) {
    return a.point->loaded_at_us > b.point->loaded_at_us;
  });
  nlohmann::ordered_json flagged = nlohmann::ordered_json::array();
  for (const Flag& f : flags) {
    flagged.push_back({{"file", f.point->file},
                       {"name", BaseName(f.point->file)},
                       {"loaded_at", Time(f.point->loaded_at_us)},
                       {"loaded_at_ms", f.point->loaded_at_us / 1000},
                       {"column", f.series->column},
                       {"group", Group(by, f.series->group)},
                       {"mean", Optional(f.point->value.mean)},
                       {"expected_low", Optional(f.point->value.low)},
                       {"expected_high", Optional(f.point->value.high)}});
  }
  out["series"] = std::move(list);
  out["flagged"] = std::move(flagged);
  return JsonText(out);
}

nlohmann::ordered_json FileRecordJson(const FileRecord& f) {
  const double seconds = f.finished_at_us > f.started_at_us && f.started_at_us > 0
                             ? static_cast<double>(f.finished_at_us - f.started_at_us) / 1e6
                             : 0.0;
  return {{"file", f.identity.path},
          {"name", BaseName(f.identity.path)},
          {"hash", f.identity.hash},
          {"size", f.identity.size},
          {"table", f.table},
          {"state", std::string(FileStateName(f.state))},
          {"rows", f.rows_loaded},
          {"rejected", f.rows_rejected},
          {"skipped", f.rows_skipped},
          {"filtered", f.rows_filtered},
          {"bytes", f.bytes},
          {"attempts", f.attempts},
          {"duration_seconds", Number(seconds)},
          {"seen_at", Time(f.seen_at_us)},
          {"started_at", Time(f.started_at_us)},
          {"finished_at", Time(f.finished_at_us)},
          {"error", f.error},
          {"duplicate_of", f.duplicate_of},
          {"final_path", f.final_path},
          {"rejects_file", f.rejects_file}};
}

nlohmann::ordered_json LedgerReportJson(const LedgerReport& report) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::object();
  for (const auto& [table, counts] : report.files_by_table) tables[table] = StateCounts(counts);
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const ColumnAdded& c : report.columns_added) {
    columns.push_back({{"table", c.table},
                       {"column", c.column},
                       {"type", c.type},
                       {"file", c.file},
                       {"added_at", FormatTimeUtc(c.added_at_us)}});
  }
  return {{"rows_loaded", report.rows_loaded},
          {"rows_rejected", report.rows_rejected},
          {"rows_filtered", report.rows_filtered},
          {"files_by_state", StateCounts(report.files_by_state)},
          {"tables", std::move(tables)},
          {"recent", Records(report.recent)},
          {"recent_errors", Records(report.recent_errors)},
          {"columns_added", std::move(columns)}};
}

std::string ApiStatusJson(const Registry& metrics, const EngineHealth& health,
                          const Result<LedgerReport>& report) {
  nlohmann::ordered_json status = {
      {"backlog_files", Number(metrics.Value("sluice_backlog_files", {}))},
      {"oldest_pending_age_seconds",
       Number(metrics.Value("sluice_oldest_pending_file_age_seconds", {}))},
      {"sink_up", Number(metrics.Value("sluice_sink_up", {}))},
      {"last_success_timestamp_seconds",
       Number(metrics.Value("sluice_last_success_timestamp_seconds", {}))},
      {"sink_down_since", Time(health.sink_down_since_us)},
      {"sink_error", health.sink_error},
      {"source_error", health.source_error}};
  if (!report) {
    status["error"] = report.error().ToString();
  } else {
    nlohmann::ordered_json ledger = LedgerReportJson(*report);
    for (auto& item : ledger.items()) status[item.key()] = std::move(item.value());
  }
  return JsonText(status);
}

}  // namespace sluice

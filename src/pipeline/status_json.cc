#include "pipeline/status_json.h"

#include <cmath>
#include <filesystem>

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

}  // namespace

nlohmann::ordered_json FileRecordJson(const FileRecord& f) {
  const double seconds = f.finished_at_us > f.started_at_us && f.started_at_us > 0
                             ? static_cast<double>(f.finished_at_us - f.started_at_us) / 1e6
                             : 0.0;
  return {{"file", f.identity.path},
          {"name", std::filesystem::path(f.identity.path).filename().string()},
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

// The JSON documents that describe the ledger and a running engine: /api/status,
// /api/aggregates, `sluice status --json` and `sluice status --file NAME --json`. Built as
// nlohmann-json values and written by JsonText (observe/json_text.h).
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"
#include "observe/metrics.h"

namespace sluice {

// What only a running engine knows about its sink and landing folder.
struct EngineHealth {
  int64_t sink_down_since_us = 0;  // 0 while the sink is up
  std::string sink_error;
  std::string source_error;
};

// One ledger record: file, name, hash, size, table, state, rows, rejected,
// skipped, filtered, bytes, attempts, duration_seconds, seen_at, started_at, finished_at
// (UTC, ISO 8601, "" if not yet), error, duplicate_of, final_path, rejects_file.
nlohmann::ordered_json FileRecordJson(const FileRecord& record);

// A ledger report: rows_loaded, rows_rejected, rows_filtered, files_by_state, tables (per
// table, per state), recent, recent_errors, columns_added (table, column, type,
// file, added_at; most recent first).
nlohmann::ordered_json LedgerReportJson(const LedgerReport& report);

// /api/status: backlog_files, oldest_pending_age_seconds, sink_up,
// last_success_timestamp_seconds (from `metrics`), sink_down_since, sink_error,
// source_error, then the members of LedgerReportJson, or `error` when the ledger
// could not be read. One line of JSON text.
std::string ApiStatusJson(const Registry& metrics, const EngineHealth& health,
                          const Result<LedgerReport>& report);

// A file's aggregates kept in the ledger: table, aggregates_table, loaded_at, by
// (the group columns), rows (each: group (by column → value, null for NULL),
// column, count, nulls, min, max, mean, stddev, flagged, expected_low,
// expected_high; a missing statistic is null).
nlohmann::ordered_json FileAggregatesJson(const FileAggregates& aggregates);

// /api/aggregates: `tables` (each: table, aggregates_table, by, files,
// latest_loaded_at, latest_loaded_at_us), and for `table` (when not empty) its
// `series` (each: column, group, points oldest first: file, name, loaded_at,
// loaded_at_ms, count, min, max, mean, flagged) and `flagged` (the flagged
// points, most recent first, with column, group, expected_low and
// expected_high). A read that failed gives `error` instead of what it would
// have filled. One line of JSON text.
std::string ApiAggregatesJson(const Result<std::vector<AggregatedTable>>& tables,
                              const std::string& table,
                              const Result<std::vector<AggregateSeries>>& series);

}  // namespace sluice

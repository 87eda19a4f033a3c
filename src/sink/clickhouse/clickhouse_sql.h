// The ClickHouse sink's shared vocabulary: quoting, the names sluice gives its
// own table and columns, and the small SQL and TabSeparated helpers that the sink, its
// table definitions (clickhouse_tables.cc) and its clean-up
// (clickhouse_cleanup.*) all use. Internal to src/sink/clickhouse/.
//
// Thread-safety: pure functions and constants.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sink/sink.h"

namespace sluice {

// Backtick-quotes a ClickHouse identifier, escaping '\' and '`'.
std::string QuoteClickHouseIdentifier(std::string_view name);
// Single-quotes a ClickHouse string literal, escaping '\' and '\''.
std::string QuoteClickHouseString(std::string_view value);

}  // namespace sluice

namespace sluice::clickhouse {

// The commit marker table, one row per committed load.
inline constexpr char kMarkerTable[] = "sluice_loads";
// One row per load that an insert was started for (Begin writes it before any
// row): only these loads can have rows that no marker commits. A table made in a
// database where sluice_loads already existed has kUnrecordedColumn too: loads
// begun before it was made are not in it.
inline constexpr char kAttemptTable[] = "sluice_attempts";
inline constexpr char kUnrecordedColumn[] = "earlier_attempts_unrecorded";
// Every row's load id.
inline constexpr char kLoadIdColumn[] = "_sluice_load_id";
// A keyed table's ReplacingMergeTree version: the row that was written first has
// the highest value (clickhouse_sink.h).
inline constexpr char kVersionColumn[] = "_sluice_version";
// Every query_id sluice gives an insert starts with this.
inline constexpr char kQueryIdPrefix[] = "sluice-";

// Rows of a TabSeparated response, each split into unescaped fields.
std::vector<std::vector<std::string>> ParseTsv(std::string_view body);
// A response holding one unsigned number. Errors: Internal (anything else).
Result<uint64_t> ParseCount(std::string_view body, std::string_view context);
// "'a', 'b', …" for an IN list.
std::string QuotedList(const std::vector<std::string>& values);
// The ids of `loads`, in order.
std::vector<std::string> Ids(const std::vector<LoadId>& loads);
// "/* sluice loads: ID ID … */ ", put before the SQL of a group's inserts so that
// system.processes shows which loads a running insert belongs to (each id
// percent-encoded between spaces).
std::string LoadsComment(const std::vector<LoadId>& loads);
// Strips "Wrapper(" … ")" from a type name if it is there; returns whether it was.
bool Unwrap(std::string_view& type, std::string_view wrapper);
// A condition on system.processes: a query sluice started for any of `loads`.
std::string RunningInsertsOf(const std::vector<LoadId>& loads);

}  // namespace sluice::clickhouse

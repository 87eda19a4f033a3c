#include "sink/clickhouse/clickhouse_sink.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/hash.h"
#include "sink/clickhouse/clickhouse_sql.h"
#include "sink/clickhouse/native.h"

namespace sluice {
namespace {

using clickhouse::kAttemptTable;
using clickhouse::kLoadIdColumn;
using clickhouse::kMarkerTable;
using clickhouse::kQueryIdPrefix;
using clickhouse::kUnrecordedColumn;
using clickhouse::kVersionColumn;
using clickhouse::LoadsComment;
using clickhouse::ParseCount;
using clickhouse::ParseTsv;

// A load is one streamed insert (one part per min_insert_block_size_rows, so a
// large file cannot run into TOO_MANY_PARTS); serialised rows are handed to the
// connection whenever this much is buffered.
constexpr size_t kSendBytes = 1u << 20;
// The type name of the column Abort ends an open insert with. The server cannot
// read it, so its answer names it: the proof that the insert failed there.
constexpr char kPoisonType[] = "SluiceLoadAborted";

// A group's name in query ids and deduplication tokens: XXH3-128 of its load ids
// (each ended by NUL), as 32 hex digits.
std::string GroupTag(const std::vector<LoadId>& loads) {
  std::string ids;
  for (const LoadId& load : loads) {
    ids += load.id;
    ids += '\0';
  }
  return HashHex(XXH3_128bits(ids.data(), ids.size()));
}

// Numbers for the rows of keyed tables, `n` at a time: a process-wide sequence
// that only grows, starting from the wall clock in microseconds times 1024, so
// that a restarted sluice goes on above the last one's numbers (unless that wrote
// more than 1024 rows a microsecond, or the clock went back). A row's version is
// UINT64_MAX minus its number: the row written first has the highest.
uint64_t ReserveRowNumbers(uint64_t n) {
  static std::atomic<uint64_t> next{0};
  const uint64_t now = static_cast<uint64_t>(NowMicros()) << 10;
  uint64_t current = next.load(std::memory_order_relaxed);
  uint64_t first = 0;
  do {
    first = std::max(current, now);
  } while (!next.compare_exchange_weak(current, first + n, std::memory_order_relaxed));
  return first;
}

// Whether the server may have stored rows of an insert that failed after
// receiving `rows` rows of about `bytes` bytes (in memory): it gathers received
// blocks until min_insert_block_size_rows or _bytes is reached (either; squashing
// is off when both are 0), stores that as a part, and drops what it gathered when
// the insert fails.
bool MayHaveStored(uint64_t rows, uint64_t bytes, uint64_t min_rows, uint64_t min_bytes) {
  if (min_rows == 0 && min_bytes == 0) return rows > 0;
  return (min_rows != 0 && rows >= min_rows) || (min_bytes != 0 && bytes >= min_bytes);
}

// Appends the `_sluice_version` column of `rows` rows written now.
void AppendVersions(std::string& out, uint64_t rows) {
  native::AppendColumnHeader(out, kVersionColumn, "UInt64");
  const uint64_t first = ReserveRowNumbers(rows);
  for (uint64_t i = 0; i < rows; ++i) {
    native::AppendFixed<uint64_t>(out, std::numeric_limits<uint64_t>::max() - (first + i));
  }
}

}  // namespace

ClickHouseSink::ClickHouseSink(ClickHouseEndpoint endpoint, std::unique_ptr<ClickHouseHttp> http)
    : endpoint_(std::move(endpoint)),
      http_(std::move(http)),
      cleanup_(*http_, endpoint_.database) {}

ClickHouseSink::~ClickHouseSink() { Abort(); }

Result<std::unique_ptr<ClickHouseSink>> ClickHouseSink::Open(std::string_view url) {
  ASSIGN_OR_RETURN(ClickHouseEndpoint endpoint, ParseClickHouseUrl(url));
  ASSIGN_OR_RETURN(std::unique_ptr<ClickHouseHttp> http, ClickHouseHttp::Create(endpoint));
  const std::string where = "clickhouse sink " + endpoint.Redacted();
  std::unique_ptr<ClickHouseSink> sink(new ClickHouseSink(std::move(endpoint), std::move(http)));
  const std::string database = QuoteClickHouseString(sink->endpoint_.database);
  ASSIGN_OR_RETURN(
      std::string answer,
      sink->http_->Query(
          "SELECT version(), (SELECT value FROM system.settings WHERE name = "
          "'min_insert_block_size_rows'), (SELECT value FROM system.settings "
          "WHERE name = 'min_insert_block_size_bytes'), (SELECT count() FROM system.tables WHERE "
          "database = " +
              database + " AND name = " + QuoteClickHouseString(kMarkerTable) +
              "), (SELECT count() FROM system.columns WHERE database = " + database +
              " AND table = " + QuoteClickHouseString(kAttemptTable) +
              "), (SELECT count() FROM system.columns WHERE database = " + database +
              " AND table = " + QuoteClickHouseString(kAttemptTable) +
              " AND name = " + QuoteClickHouseString(kUnrecordedColumn) + ") FORMAT TabSeparated",
          where + ": ask the server version"));
  const auto rows = ParseTsv(answer);
  if (rows.size() != 1 || rows[0].size() != 6) {
    return Status::Internal(where + ": unexpected answer \"" + answer.substr(0, 100) + "\"");
  }
  // Unparsable (or absent) stays 0: then any row sent may have been stored.
  for (int i : {1, 2}) {
    const std::string& v = rows[0][i];
    std::from_chars(v.data(), v.data() + v.size(),
                    i == 1 ? sink->min_block_rows_ : sink->min_block_bytes_);
  }
  const std::string& version = rows[0][0];
  // "18.16.1", "24.3.2.23": major.minor decide the features.
  const char* end = version.data() + version.size();
  auto [p, ec] = std::from_chars(version.data(), end, sink->version_.major);
  if (ec == std::errc() && p < end && *p == '.') {
    std::from_chars(p + 1, end, sink->version_.minor);
  }
  if (sink->version_.major == 0) {
    return Status::Internal(where + ": unexpected version \"" + version.substr(0, 50) + "\"");
  }
  const bool had_markers = rows[0][3] != "0";
  const bool had_attempts = rows[0][4] != "0";
  const bool unrecorded = rows[0][5] != "0";
  // The attempts table comes before the marker table: a database that has
  // markers and no attempts table was loaded by an older sluice, whose attempts
  // (crashed ones included) were not recorded.
  if (!had_attempts) RETURN_IF_ERROR(sink->EnsureAttemptTable(where, had_markers));
  sink->attempts_recorded_ = had_attempts ? !unrecorded : !had_markers;
  RETURN_IF_ERROR(sink->EnsureMarkerTable(where));
  return sink;
}

std::string ClickHouseSink::Qualified(std::string_view table) const {
  return QuoteClickHouseIdentifier(endpoint_.database) + "." + QuoteClickHouseIdentifier(table);
}

Result<ClickHouseSink::InsertPlan> ClickHouseSink::PlanInsert(const TableDef& table,
                                                              const Columns& actual) const {
  InsertPlan plan;
  bool has_load_id = false;
  for (const auto& [name, type] : actual) {
    if (name == kLoadIdColumn) {
      has_load_id = true;
      if (type != "String") {
        return Status::InvalidArgument("table \"" + table.name + "\": column " + kLoadIdColumn +
                                       " is " + type + ", not String");
      }
    } else if (name == kVersionColumn) {
      // A keyed table made before versions has none, and keeps ClickHouse's rule
      // (the row inserted last wins; docs/clickhouse.md).
      plan.versioned = true;
      if (type != "UInt64") {
        return Status::InvalidArgument("table \"" + table.name + "\": column " + kVersionColumn +
                                       " is " + type + ", not UInt64");
      }
    }
  }
  if (!has_load_id) {
    return Status::InvalidArgument("table \"" + table.name + "\" has no column " + kLoadIdColumn +
                                   ": it was not created by sluice");
  }
  plan.sql = "INSERT INTO " + Qualified(table.name) + " (";
  for (const ColumnDef& column : table.columns) {
    const std::string* type = nullptr;
    for (const auto& [name, t] : actual) {
      if (name == column.name) type = &t;
    }
    if (type == nullptr) {
      return Status::Internal("table \"" + table.name + "\" has no column \"" + column.name + "\"");
    }
    Result<ClickHouseColumnEncoding> encoding = ClickHouseEncodingFor(*type, column.type);
    if (!encoding) {
      return encoding.error().WithContext("table \"" + table.name + "\", column \"" + column.name +
                                          "\"");
    }
    plan.encodings.push_back(*encoding);
    plan.sql += QuoteClickHouseIdentifier(column.name) + ", ";
  }
  plan.sql += QuoteClickHouseIdentifier(kLoadIdColumn);
  if (plan.versioned) plan.sql += ", " + QuoteClickHouseIdentifier(kVersionColumn);
  plan.sql += ") FORMAT Native";
  return plan;
}

Result<std::pair<ClickHouseSink::InsertPlan, ClickHouseSink::InsertPlan>>
ClickHouseSink::PlanInserts(const TableDef& table, const std::vector<std::string>& names,
                            const std::vector<Columns>& actual) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (actual[i].empty()) return Status::Internal("table \"" + names[i] + "\" does not exist");
  }
  std::pair<InsertPlan, InsertPlan> plans;
  ASSIGN_OR_RETURN(plans.first, PlanInsert(table, actual[0]));
  if (names.size() > 1) {
    ASSIGN_OR_RETURN(plans.second, PlanInsert(*side_table(), actual[1]));
  }
  return plans;
}

Status ClickHouseSink::AppendBlockColumns(const InsertPlan& plan, const Batch& batch,
                                          std::string& out, size_t* bad_row, size_t* bad_column) {
  const auto& columns = batch.columns();
  native::AppendBlockHeader(out, columns.size() + (plan.versioned ? 2 : 1), batch.rows());
  for (size_t i = 0; i < columns.size(); ++i) {
    native::AppendColumnHeader(out, columns[i].def.name, plan.encodings[i].type);
    *bad_column = i;
    RETURN_IF_ERROR(AppendNativeColumn(columns[i], plan.encodings[i], out, bad_row));
  }
  return Status::Ok();
}

Status ClickHouseSink::BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) {
  const TableDef* side = side_table();
  std::vector<std::string> names = {table.name};
  if (side != nullptr) names.push_back(side->name);
  const std::string side_name = side != nullptr ? side->name : std::string();
  // One query asks for the tables' columns and the loads' state together: a
  // group's Begin is one request (the columns are read at the same moment as
  // before, ahead of any insert of the group).
  Result<ClickHouseCleanup::LoadState> read =
      cleanup_.ReadLoadState(table.name, loads, side_name, names, attempts_recorded_);
  if (!read.has_value()) {
    // A missing table, or one without _sluice_load_id, fails that query; the
    // columns alone say which, with the error the caller is owed.
    ASSIGN_OR_RETURN(std::vector<Columns> actual, ColumnTypesOf(names));
    RETURN_IF_ERROR(PlanInserts(table, names, actual).status());
    return read.status();
  }
  ClickHouseCleanup::LoadState state = std::move(*read);
  ASSIGN_OR_RETURN(auto plans, PlanInserts(table, names, ByTable(names, std::move(state.columns))));
  auto& [plan, side_plan] = plans;
  if (side != nullptr) side_plan.sql = LoadsComment(loads) + side_plan.sql;
  if (state.running) {
    // A process that died mid-insert: rows its insert stores after the delete
    // below would stay, and its marker insert may yet commit a load.
    RETURN_IF_ERROR(cleanup_.StopInserts(loads));
    ASSIGN_OR_RETURN(state,
                     cleanup_.ReadLoadState(table.name, loads, side_name, {}, attempts_recorded_));
  }
  for (const LoadId& load : loads) {
    if (std::find(state.committed.begin(), state.committed.end(), load.id) !=
        state.committed.end()) {
      return Status::AlreadyExists("load " + load.id + " (" + load.file + ") is already committed");
    }
  }
  std::vector<LoadId> fresh;  // never begun before: nothing of theirs can be stored
  if (attempts_recorded_) {
    std::vector<LoadId> begun;
    for (const LoadId& load : loads) {
      const bool seen = std::find(state.attempted.begin(), state.attempted.end(), load.id) !=
                        state.attempted.end();
      (seen ? begun : fresh).push_back(load);
    }
    // Only loads begun before (an attempt that crashed or failed) are looked for
    // in the tables, which means reading every row's load id.
    if (!begun.empty()) {
      ASSIGN_OR_RETURN(ClickHouseCleanup::LoadState found,
                       cleanup_.ReadLoadState(table.name, begun, side_name));
      state.with_rows = std::move(found.with_rows);
      state.with_side_rows = std::move(found.with_side_rows);
    }
  }
  if (!state.with_rows.empty()) RETURN_IF_ERROR(cleanup_.RemoveRows(table.name, state.with_rows));
  // An attempt that crashed between its side rows and its markers left both.
  if (!state.with_side_rows.empty()) {
    RETURN_IF_ERROR(cleanup_.RemoveRows(side_name, state.with_side_rows));
  }

  const std::string tag = GroupTag(loads);
  // Recorded before any row of theirs is sent, and only once a load.
  if (!fresh.empty()) RETURN_IF_ERROR(RecordAttempts(fresh, tag));
  std::string settings = "query_id=" + http_->Escape(std::string(kQueryIdPrefix) + tag + "-rows");
  if (version_.AtLeast(22, 2)) settings += "&insert_deduplication_token=" + http_->Escape(tag);

  sent_ = false;
  side_sent_ = false;
  rows_done_ = false;
  plan_ = std::move(plan);
  plan_.sql = LoadsComment(loads) + plan_.sql;
  side_plan_ = std::move(side_plan);
  insert_settings_ = std::move(settings);
  current_ = 0;
  load_id_cells_.clear();
  buffer_.clear();
  rows_ = 0;
  rows_sent_ = 0;
  bytes_sent_ = 0;
  open_ = false;
  return Status::Ok();
}

Status ClickHouseSink::RecordAttempts(const std::vector<LoadId>& loads, const std::string& tag) {
  std::string block;
  native::AppendBlockHeader(block, 1, loads.size());
  native::AppendColumnHeader(block, "load_id", "String");
  for (const LoadId& load : loads) native::AppendString(block, load.id);
  // Led by the loads' comment like their other inserts: a Begin that finds it
  // still running (its process died) waits for it.
  return http_->Insert(
      LoadsComment(loads) + "INSERT INTO " + Qualified(kAttemptTable) + " (load_id) FORMAT Native",
      "query_id=" + http_->Escape(std::string(kQueryIdPrefix) + tag + "-attempt"), block,
      "record the attempt of " + DescribeLoads(loads));
}

Status ClickHouseSink::WriteRows(const Batch& batch, size_t load) {
  if (load != current_) {
    current_ = load;
    load_id_cells_.clear();
  }
  if (batch.rows() == 0) return Status::Ok();
  // One Native block per batch: the server gathers blocks into parts of
  // min_insert_block_size_rows.
  size_t bad_row = 0;
  size_t bad_column = 0;
  Status status = AppendBlockColumns(plan_, batch, buffer_, &bad_row, &bad_column);
  if (!status.ok()) {
    // A value the column's type cannot hold, found before sending; what the
    // server refuses later names no row.
    Refuse({load, batch.Line(bad_row), batch.columns()[bad_column].def.name, status.message()});
    return status.WithContext("insert into \"" + table().name + "\", " + loads()[load].file +
                              ", line " + std::to_string(batch.Line(bad_row)));
  }
  native::AppendColumnHeader(buffer_, kLoadIdColumn, "String");
  std::string cell;
  native::AppendString(cell, loads()[load].id);
  while (load_id_cells_.size() < batch.rows() * cell.size()) load_id_cells_ += cell;
  buffer_.append(load_id_cells_, 0, batch.rows() * cell.size());
  if (plan_.versioned) AppendVersions(buffer_, batch.rows());
  rows_ += batch.rows();
  counts()[load].inserted += batch.rows();
  if (buffer_.size() >= kSendBytes) return Send();
  return Status::Ok();
}

Status ClickHouseSink::Send() {
  if (!open_) {
    RETURN_IF_ERROR(http_->StartInsert(
        plan_.sql, insert_settings_,
        "insert into \"" + table().name + "\" (" + DescribeLoads(loads()) + ")"));
    open_ = true;
    // Set before any row is sent: a request that fails may still have stored some
    // of its blocks (one per min_insert_block_size_rows).
    sent_ = true;
  }
  // What the server may hold in memory for these rows: the bytes sent, plus a
  // String's 8-byte offset and terminating zero for every cell (at most).
  bytes_sent_ += buffer_.size() + (rows_ - rows_sent_) * (plan_.encodings.size() + 2) * 9;
  rows_sent_ = rows_;
  Status status = http_->SendInsert(&buffer_);
  if (!status.ok()) open_ = false;
  return status;
}

Status ClickHouseSink::FinishRows() {
  if (rows_ == 0 || rows_done_) return Status::Ok();
  RETURN_IF_ERROR(Send());
  open_ = false;
  RETURN_IF_ERROR(http_->FinishInsert());
  rows_done_ = true;
  return Status::Ok();
}

Status ClickHouseSink::WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) {
  const TableDef& side = *side_table();
  // Encoded before the rows' insert ends: a value refused here aborts that
  // insert while it is open, when it has most likely stored nothing.
  std::string block;
  size_t bad_row = 0;
  size_t bad_column = 0;
  Status status = AppendBlockColumns(side_plan_, rows, block, &bad_row, &bad_column);
  if (!status.ok()) {
    // A side row is no line of a file: none is refused by name.
    return status.WithContext("insert into side table \"" + side.name + "\", a row of " +
                              this->loads()[loads[bad_row]].file);
  }
  native::AppendColumnHeader(block, kLoadIdColumn, "String");
  for (size_t load : loads) native::AppendString(block, this->loads()[load].id);
  if (side_plan_.versioned) AppendVersions(block, rows.rows());
  // One connection: the rows' insert ends first. The side rows then are
  // committed by the markers like the rows are.
  RETURN_IF_ERROR(FinishRows());
  side_sent_ = true;
  return http_->Insert(
      side_plan_.sql,
      "query_id=" + http_->Escape(std::string(kQueryIdPrefix) + GroupTag(this->loads()) + "-side"),
      block, "insert into side table \"" + side.name + "\" (" + DescribeLoads(this->loads()) + ")");
}

Status ClickHouseSink::CommitLoads() {
  RETURN_IF_ERROR(FinishRows());
  // From here on the markers may be stored without our hearing so, and then the
  // rows and side rows are committed: a failure leaves them (sent_ and
  // side_sent_ false: AbortLoads deletes nothing) for the next Begin of these
  // loads to decide (AlreadyExists, or it removes them).
  sent_ = false;
  side_sent_ = false;
  // One block, so all markers are stored or none. It carries the group's comment
  // and query id like the rows' insert: a Begin that finds it still running waits
  // for it, then sees the loads committed.
  const std::vector<LoadId>& loads = this->loads();
  const size_t n = loads.size();
  const uint32_t now = static_cast<uint32_t>(NowMicros() / 1000000);
  std::string marker;
  native::AppendBlockHeader(marker, 5, n);
  native::AppendColumnHeader(marker, "load_id", "String");
  for (const LoadId& load : loads) native::AppendString(marker, load.id);
  native::AppendColumnHeader(marker, "table", "String");
  for (size_t i = 0; i < n; ++i) native::AppendString(marker, table().name);
  native::AppendColumnHeader(marker, "file", "String");
  for (const LoadId& load : loads) native::AppendString(marker, load.file);
  native::AppendColumnHeader(marker, "rows", "UInt64");
  for (const LoadCounts& tally : counts()) native::AppendFixed(marker, tally.inserted);
  native::AppendColumnHeader(marker, "committed_at", "DateTime");
  for (size_t i = 0; i < n; ++i) native::AppendFixed(marker, now);
  RETURN_IF_ERROR(http_->Insert(
      LoadsComment(loads) + "INSERT INTO " + Qualified(kMarkerTable) +
          " (load_id, table, file, rows, committed_at) FORMAT Native",
      "query_id=" + http_->Escape(std::string(kQueryIdPrefix) + GroupTag(loads) + "-marker"),
      marker, "commit " + DescribeLoads(loads)));
  EndLoad();
  return Status::Ok();
}

void ClickHouseSink::AbortLoads() noexcept {
  bool failed_at_poison = false;
  if (open_) {
    // Ends the insert with a block the server cannot read, and waits for its
    // answer: the server fails the insert and stores nothing more of it (a body
    // that merely stopped would be stored up to its last whole block, possibly
    // after a delete made now).
    std::string poison;
    native::AppendBlockHeader(poison, 1, 1);
    native::AppendColumnHeader(poison, kLoadIdColumn, kPoisonType);
    Status status = http_->SendInsert(poison);
    if (status.ok()) status = http_->FinishInsert();
    failed_at_poison = !status.ok() && status.message().find(kPoisonType) != std::string::npos;
    http_->CancelInsert();
    open_ = false;
  }
  // A delete is a mutation, which rewrites every part of the table: only when rows
  // may be there. The server stores nothing of an insert that fails before it has
  // gathered a part's worth of rows; otherwise (a part's worth sent, or the insert
  // failed some other way: the connection, the server refusing a block) one query
  // tells, and at most one mutation removes them, not awaited: the next Begin of
  // each load is the guarantee.
  if (sent_ && !(failed_at_poison &&
                 !MayHaveStored(rows_sent_, bytes_sent_, min_block_rows_, min_block_bytes_))) {
    cleanup_.DeleteLeftovers(table().name, loads());
  }
  // One block: stored whole or not at all, but a failed answer does not say which.
  if (side_sent_) cleanup_.DeleteLeftovers(side_table()->name, loads());
  EndLoad();
}

void ClickHouseSink::EndLoad() {
  sent_ = false;
  side_sent_ = false;
  rows_done_ = false;
  buffer_.clear();
  rows_ = 0;
  // A buffer that grew for one huge batch is not kept between loads.
  if (buffer_.capacity() > 2 * kSendBytes) buffer_.shrink_to_fit();
}

Result<bool> ClickHouseSink::IsCommitted(std::string_view load_id) {
  const std::string context = "check load " + std::string(load_id);
  ASSIGN_OR_RETURN(std::string body,
                   http_->Query("SELECT count() FROM " + Qualified(kMarkerTable) +
                                    " WHERE load_id = " + QuoteClickHouseString(load_id),
                                context));
  ASSIGN_OR_RETURN(uint64_t count, ParseCount(body, context));
  return count > 0;
}

void ClickHouseSink::DiscardAttempt(const std::string& table, const LoadId& load) noexcept {
  // An insert of a process that died mid-request may still be running; its rows
  // are removed once it is over (DeleteLeftovers leaves loads being inserted).
  if (!cleanup_.StopInserts({load}).ok()) return;
  cleanup_.DeleteLeftovers(table, {load});
}

Status ClickHouseSink::Ping() { return http_->Query("SELECT 1", "ping").status(); }

}  // namespace sluice

#include "sink/postgres/postgres_sink.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "sink/postgres/pg_tables.h"
#include "sink/postgres/pg_url.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

using pg::ColumnInfo;
using pg::ColumnList;
using pg::kLockSpace;
using pg::kLookUpTableSql;
using pg::kMaxIdentifierBytes;
using pg::TableInfo;
using pg::TableInfoOf;
using pg::TypeFromPg;
using pgcopy::Wire;
using ResultPtr = PgConnection::ResultPtr;
using Statement = PgConnection::Statement;

constexpr auto& Quote = QuoteSqlIdentifier;

constexpr char kStageTable[] = "pg_temp.\"sluice_stage\"";
// $1 load ids (a text array, see PostgresArray): those whose commit marker exists.
constexpr char kMarkersSql[] = "SELECT load_id FROM sluice.loads WHERE load_id = ANY($1::text[])";
// Rows in one COPY, at most (plus one batch): see Write. Ending a COPY stalls
// the stream (the server drains it, then waits for the next batch), so a COPY
// is long; the row map's runs bound its memory when lines do not follow.
constexpr uint64_t kCopyRows = 1 << 20;
// A filter that skips rows here and there breaks the lines into runs (a
// quarter of the rows skipped at random: some 190,000 runs per million rows):
// 2^18 runs (4 MiB) keep such a load in one COPY.
constexpr size_t kCopyRuns = 1 << 18;
// Rows encoded at a time (about 100 KB of the benchmark's rows): see WriteRows.
constexpr size_t kEncodeRows = 1024;

// How each column of `table` goes on the wire into the server's table `info`.
// Errors: InvalidData (a column is missing), InvalidArgument (a column of a type
// sluice cannot load its values into).
Result<std::vector<Wire>> WiresFor(const TableDef& table, const TableInfo& info) {
  std::vector<Wire> wires;
  for (const ColumnDef& column : table.columns) {
    const ColumnInfo* found = nullptr;
    for (const ColumnInfo& c : info.columns) {
      if (c.name == column.name) found = &c;
    }
    if (found == nullptr) {
      return Status::InvalidData("table \"" + table.name + "\" has no column \"" + column.name +
                                 "\"");
    }
    static constexpr std::pair<std::string_view, Wire> kWires[] = {
        {"int8", Wire::kInt8},           {"int4", Wire::kInt4},
        {"int2", Wire::kInt2},           {"float8", Wire::kFloat8},
        {"float4", Wire::kFloat4},       {"bool", Wire::kBool},
        {"date", Wire::kDate},           {"timestamptz", Wire::kTimestamp},
        {"timestamp", Wire::kTimestamp}, {"text", Wire::kText},
        {"varchar", Wire::kText},        {"bpchar", Wire::kText},
    };
    std::optional<Wire> wire;
    for (const auto& [name, w] : kWires) {
      if (found->type == name) wire = w;
    }
    if (!wire || TypeFromPg(found->type) != column.type) {
      return Status::InvalidArgument("column \"" + column.name + "\" of table \"" + table.name +
                                     "\" has type " + found->type + ", which sluice cannot load " +
                                     std::string(ColumnTypeName(column.type)) + " values into");
    }
    wires.push_back(*wire);
  }
  return wires;
}

}  // namespace

PostgresSink::PostgresSink(std::string conninfo, std::string display, std::string password)
    : pg_(std::move(conninfo), std::move(display), std::move(password)) {}

PostgresSink::~PostgresSink() { Abort(); }

Result<std::unique_ptr<PostgresSink>> PostgresSink::Open(std::string_view url) {
  ASSIGN_OR_RETURN(PostgresTarget target, ParsePostgresUrl(url));
  std::unique_ptr<PostgresSink> sink(new PostgresSink(
      std::move(target.conninfo), std::move(target.display), std::move(target.password)));
  RETURN_IF_ERROR(sink->Connect());
  ASSIGN_OR_RETURN(sink->schema_name_, pg::FindSchema(sink->pg_));
  // Names are qualified with it: unqualified, a temporary table of the same name
  // (the keyed load's stage) would win over the target.
  sink->schema_ = Quote(sink->schema_name_);
  RETURN_IF_ERROR(pg::EnsureMarkerTable(sink->pg_));
  return sink;
}

Result<std::optional<TableDef>> PostgresSink::DescribeTable(std::string_view name) {
  RETURN_IF_ERROR(EnsureConnected());
  return pg::DescribeTable(pg_, schema_name_, name);
}

Status PostgresSink::EnsureTable(const TableDef& table) {
  if (in_load()) return Status::Internal("EnsureTable during a load");
  RETURN_IF_ERROR(ValidateTableDef(table, /*case_insensitive_names=*/false, kMaxIdentifierBytes));
  RETURN_IF_ERROR(EnsureConnected());
  return pg::CreateTable(pg_, schema_name_, table);
}

Result<std::vector<ColumnDef>> PostgresSink::AddColumns(const std::string& table,
                                                        const std::vector<ColumnDef>& columns) {
  if (in_load()) return Status::Internal("AddColumns during a load");
  RETURN_IF_ERROR(ValidateTableDef(TableDef{table, columns, {}}, /*case_insensitive_names=*/false,
                                   kMaxIdentifierBytes));
  RETURN_IF_ERROR(EnsureConnected());
  return pg::AddColumns(pg_, schema_name_, table, columns);
}

Status PostgresSink::BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) {
  std::vector<std::string> ids;
  for (const LoadId& load : loads) ids.push_back(load.id);
  RETURN_IF_ERROR(EnsureConnected());
  const std::string context = "begin " + DescribeLoads(loads) + " into \"" + table.name + "\"";
  // One round trip. The advisory locks serialise loads of these ids across
  // sluices sharing this database, so the marker check after them (a statement
  // of its own, which sees what committed before the locks were granted) stays
  // true until our COMMIT. Taken in the order of their keys, so two groups that
  // share ids wait for each other instead of deadlocking.
  const std::string id_array = PostgresArray(ids);
  std::vector<Statement> statements = {{"BEGIN", {}},
                                       {std::string("SELECT pg_advisory_xact_lock(") + kLockSpace +
                                            ", h) FROM (SELECT DISTINCT hashtext(id) AS h "
                                            "FROM unnest($1::text[]) AS u(id) ORDER BY h) AS keys",
                                        {id_array}},
                                       {kMarkersSql, {id_array}},
                                       {kLookUpTableSql, {table.name, schema_name_}}};
  const TableDef* side = side_table();
  if (side != nullptr) statements.push_back({kLookUpTableSql, {side->name, schema_name_}});
  ASSIGN_OR_RETURN(std::vector<ResultPtr> begun, ExecAll(statements, context));
  const PGresult* committed = begun[2].get();
  for (const LoadId& load : loads) {
    for (int row = 0; row < PQntuples(committed); ++row) {
      if (load.id == PQgetvalue(committed, row, 0)) {
        return Status::AlreadyExists("load " + load.id + " (" + load.file +
                                     ") is already committed");
      }
    }
  }
  std::optional<TableInfo> info = TableInfoOf(begun[3].get());
  if (!info) return Status::InvalidData("table \"" + table.name + "\" does not exist");
  ASSIGN_OR_RETURN(wire_, WiresFor(table, *info));
  if (side != nullptr) {
    std::optional<TableInfo> side_info = TableInfoOf(begun[4].get());
    if (!side_info) return Status::InvalidData("table \"" + side->name + "\" does not exist");
    ASSIGN_OR_RETURN(side_wire_, WiresFor(*side, *side_info));
    side_copy_sql_ = "COPY " + schema_ + "." + Quote(side->name) + "(" + ColumnList(*side) +
                     ") FROM STDIN (FORMAT binary)";
  }
  target_ = schema_ + "." + Quote(table.name);
  const std::string columns = ColumnList(table);
  if (table.key.empty()) {
    copy_sql_ = "COPY " + target_ + "(" + columns + ") FROM STDIN (FORMAT binary)";
  } else {
    // LIKE copies NOT NULL and CHECK constraints, so bad rows fail at COPY with
    // their line rather than at the INSERT that moves them.
    RETURN_IF_ERROR(Exec(std::string("CREATE TEMP TABLE \"sluice_stage\" (LIKE ") + target_ +
                             " INCLUDING CONSTRAINTS) ON COMMIT DROP",
                         context)
                        .status());
    copy_sql_ = std::string("COPY ") + kStageTable + "(" + columns + ") FROM STDIN (FORMAT binary)";
  }
  return Status::Ok();
}

std::string PostgresSink::InsertContext() const { return "insert into \"" + table().name + "\""; }

std::string PostgresSink::RowContext(size_t load, uint64_t line) const {
  return InsertContext() + ", " + loads()[load].file + ", line " + std::to_string(line);
}

Status PostgresSink::CheckBatch(const Batch& batch, size_t load) {
  if (std::optional<pgcopy::UnfitValue> unfit = pgcopy::FindUnfit(batch, wire_)) {
    Refuse({load, batch.Line(unfit->row), batch.columns()[unfit->column].def.name, unfit->problem});
    return Status::InvalidData(RowContext(load, batch.Line(unfit->row)) + ", column " +
                               batch.columns()[unfit->column].def.name + ": " + unfit->problem);
  }
  return Status::Ok();
}

Status PostgresSink::StartCopy() {
  ResultPtr start(PQexec(conn_, copy_sql_.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    return Error(start.get(), InsertContext());
  }
  copying_ = true;
  buffer_.clear();
  pgcopy::AppendHeader(buffer_);
  if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    return Error(nullptr, InsertContext());
  }
  return Status::Ok();
}

Status PostgresSink::EndCopy() {
  const std::string context = InsertContext();
  copying_ = false;
  buffer_.clear();
  pgcopy::AppendTrailer(buffer_);
  int sent = PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size()));
  if (sent == 1) sent = PQputCopyEnd(conn_, nullptr);
  if (sent != 1) PQputCopyEnd(conn_, "sluice could not send the rows");
  // The COPY's result, then nothing: read to the end so the connection is usable.
  Status status;
  bool first = true;
  while (PGresult* raw = PQgetResult(conn_)) {
    ResultPtr result(raw);
    if (!first || !status.ok()) continue;
    first = false;
    if (PQresultStatus(raw) == PGRES_COMMAND_OK) {
      const uint64_t copied = std::strtoull(PQcmdTuples(raw), nullptr, 10);
      if (copied != copy_rows_.rows()) {
        status = Status::Internal(context + ": the server took " + std::to_string(copied) +
                                  " rows of " + std::to_string(copy_rows_.rows()));
      }
      continue;
    }
    const char* where = PQresultErrorField(raw, PG_DIAG_CONTEXT);
    const uint64_t row = pgcopy::ErrorRow(where);
    std::string at = context;
    if (row >= 1 && row <= copy_rows_.rows()) {
      const pgcopy::RowMap::Source source = copy_rows_.At(row - 1);
      at = RowContext(source.load, source.line);
      const std::string column = pgcopy::ErrorColumn(where);
      if (!column.empty()) at += ", column " + column;
      // COPY stops at the first row it refuses: one row per try of the file.
      const char* reason = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
      Refuse({source.load, source.line, column, reason != nullptr ? reason : "refused"});
    }
    status = Error(raw, at);
  }
  if (status.ok() && sent != 1) status = Error(nullptr, context);
  copy_rows_.Clear();
  return status;
}

Status PostgresSink::MoveStaged(bool reuse) {
  if (copying_) RETURN_IF_ERROR(EndCopy());
  if (staged_ == 0) return Status::Ok();
  const std::string columns = ColumnList(table());
  // In key order the unique index takes its entries left to right, page after
  // page, instead of at random: the move's cost is mostly those index inserts.
  // ctid breaks ties in the order the rows were copied (the stage only grows),
  // so of one key's rows in the file the first is kept, as documented. (More
  // work_mem for the sort measured no faster: the server's setting stays.)
  std::string order;
  for (const std::string& key : table().key) order += Quote(key) + ", ";
  std::vector<Statement> statements = {{"INSERT INTO " + target_ + "(" + columns + ") SELECT " +
                                            columns + " FROM " + kStageTable + " ORDER BY " +
                                            order + "ctid ON CONFLICT DO NOTHING",
                                        {}}};
  // Emptied for the next load in the same round trip; a temporary table made in
  // this transaction is truncated in place, cheaply.
  if (reuse) statements.push_back({std::string("TRUNCATE ") + kStageTable, {}});
  ASSIGN_OR_RETURN(std::vector<ResultPtr> moved,
                   ExecAll(statements, InsertContext() + ", " + loads()[load_].file));
  const uint64_t inserted = std::strtoull(PQcmdTuples(moved[0].get()), nullptr, 10);
  counts()[load_] = {inserted, staged_ - inserted};
  staged_ = 0;
  return Status::Ok();
}

Status PostgresSink::FinishCopy() {
  if (!table().key.empty()) return MoveStaged(/*reuse=*/false);
  return copying_ ? EndCopy() : Status::Ok();
}

Status PostgresSink::WriteRows(const Batch& batch, size_t load) {
  RETURN_IF_ERROR(CheckBatch(batch, load));
  if (batch.rows() == 0) return Status::Ok();
  if (load != load_ && !table().key.empty()) RETURN_IF_ERROR(MoveStaged(/*reuse=*/true));
  load_ = load;
  if (!copying_) RETURN_IF_ERROR(StartCopy());
  // Encoded and handed to libpq a slice at a time: libpq copies what it is given
  // into its own buffer, and a slice still in the cache copies faster than a
  // whole batch's.
  for (size_t begin = 0; begin < batch.rows(); begin += kEncodeRows) {
    buffer_.clear();
    pgcopy::AppendRows(batch, wire_, begin, std::min(batch.rows(), begin + kEncodeRows), buffer_);
    if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
      return Error(nullptr, InsertContext());
    }
  }
  copy_rows_.Add(load, batch.lines());
  // Counted as sent; EndCopy checks the server took them all.
  if (table().key.empty()) {
    counts()[load].inserted += batch.rows();
  } else {
    staged_ += batch.rows();
  }
  // A new COPY now and then bounds the row map and how late a refused row is
  // reported.
  if (copy_rows_.rows() >= kCopyRows || copy_rows_.runs() >= kCopyRuns) return EndCopy();
  return Status::Ok();
}

Status PostgresSink::CommitLoads() {
  const std::string context = "commit " + DescribeLoads(loads());
  Status status = [&]() -> Status {
    RETURN_IF_ERROR(FinishCopy());
    if (PQtransactionStatus(conn_) != PQTRANS_INTRANS) {
      return Status::Internal(context + ": the transaction was rolled back");
    }
    std::vector<std::string> ids, files, rows, skipped;
    for (size_t i = 0; i < loads().size(); ++i) {
      ids.push_back(loads()[i].id);
      files.push_back(loads()[i].file);
      rows.push_back(std::to_string(counts()[i].inserted));
      skipped.push_back(std::to_string(counts()[i].skipped_by_key));
    }
    const std::string id_array = PostgresArray(ids);
    // The markers and COMMIT in one round trip; if the markers fail, the server
    // skips the COMMIT and the transaction is rolled back by Abort.
    Result<std::vector<ResultPtr>> commit = ExecAll(
        {{"INSERT INTO sluice.loads(load_id, table_name, file, rows, skipped) "
          "SELECT id, $2::text, file, n, skipped "
          "FROM unnest($1::text[], $3::text[], $4::bigint[], $5::bigint[]) AS m(id, file, n, "
          "skipped)",
          {id_array, table().name, PostgresArray(files), PostgresArray(rows),
           PostgresArray(skipped)}},
         {"COMMIT", {}}},
        context);
    if (!commit.has_value() && PQstatus(conn_) == CONNECTION_BAD) {
      // Lost while COMMIT was under way: the server may have committed. The
      // markers tell (all or none: one transaction), once a new connection can
      // ask; otherwise the pipeline's retry will.
      if (Connect().ok()) {
        Result<ResultPtr> found = Exec(kMarkersSql, context, {id_array});
        if (found.has_value() && static_cast<size_t>(PQntuples(found->get())) == loads().size()) {
          return Status::Ok();
        }
      }
    }
    if (!commit.has_value()) return commit.error();
    // COMMIT of a failed transaction answers ROLLBACK, not an error.
    if (std::strcmp(PQcmdStatus((*commit)[1].get()), "COMMIT") != 0) {
      return Status::Internal(context + ": the server rolled the transaction back");
    }
    return Status::Ok();
  }();
  if (status.ok()) EndLoad();
  return status;
}

void PostgresSink::AbortLoads() noexcept {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
    if (copying_ && PQputCopyEnd(conn_, "sluice aborted the load") == 1) {
      while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
    }
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  EndLoad();
}

void PostgresSink::EndLoad() {
  load_ = 0;
  staged_ = 0;
  copying_ = false;
  copy_rows_.Clear();
}

Result<bool> PostgresSink::IsCommitted(std::string_view load_id) {
  if (!in_load()) RETURN_IF_ERROR(EnsureConnected());
  ASSIGN_OR_RETURN(ResultPtr found, Exec(kMarkersSql, "check load " + std::string(load_id),
                                         {PostgresArray({std::string(load_id)})}));
  return PQntuples(found.get()) > 0;
}

Status PostgresSink::Ping() {
  RETURN_IF_ERROR(EnsureConnected());
  return Exec("SELECT 1", "ping").status();
}

Status PostgresSink::WriteSideRows(const Batch& rows, const std::vector<size_t>& row_loads) {
  // One COPY at a time on a connection: the loads' own ends first.
  RETURN_IF_ERROR(FinishCopy());
  // Side rows are not lines of the file: a refusal names the load's file, no row.
  const std::string context = "insert into side table \"" + side_table()->name + "\"";
  auto at = [&](size_t row) { return context + ", " + loads()[row_loads[row]].file; };
  if (std::optional<pgcopy::UnfitValue> unfit = pgcopy::FindUnfit(rows, side_wire_)) {
    return Status::InvalidData(at(unfit->row) + ", column " +
                               rows.columns()[unfit->column].def.name + ": " + unfit->problem);
  }
  ResultPtr start(PQexec(conn_, side_copy_sql_.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) return Error(start.get(), context);
  buffer_.clear();
  pgcopy::AppendHeader(buffer_);
  pgcopy::AppendRows(rows, side_wire_, buffer_);
  pgcopy::AppendTrailer(buffer_);
  int sent = PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size()));
  if (sent == 1) sent = PQputCopyEnd(conn_, nullptr);
  if (sent != 1) PQputCopyEnd(conn_, "sluice could not send the rows");
  buffer_.clear();
  // The COPY's result, then nothing: read to the end so the connection is usable.
  Status status;
  while (PGresult* raw = PQgetResult(conn_)) {
    ResultPtr result(raw);
    if (!status.ok() || PQresultStatus(raw) == PGRES_COMMAND_OK) continue;
    const uint64_t row = pgcopy::ErrorRow(PQresultErrorField(raw, PG_DIAG_CONTEXT));
    status = Error(raw, row >= 1 && row <= rows.rows() ? at(row - 1) : context);
  }
  if (status.ok() && sent != 1) status = Error(nullptr, context);
  return status;
}

}  // namespace sluice

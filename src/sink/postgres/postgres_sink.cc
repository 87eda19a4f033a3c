#include "sink/postgres/postgres_sink.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>

#include "sink/postgres/pg_support.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

constexpr size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1
constexpr char kKeyIndexPrefix[] = "sluice_key_";
constexpr char kStageTable[] = "pg_temp.\"sluice_stage\"";
// PostgreSQL's binary date and timestamp count from 2000-01-01.
constexpr int64_t kEpochShiftDays = 10957;
constexpr int64_t kEpochShiftMicros = kEpochShiftDays * 86400LL * 1000000LL;
// First key of the two-key advisory locks sluice takes ("slui").
constexpr char kLockSpace[] = "1936487785";
// $1 a table name, $2 its schema: the table's oid and columns, none if it is missing.
constexpr char kLookUpTableSql[] =
    "SELECT c.oid, a.attname, t.typname, a.attnotnull FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped AND a.attgenerated = '' "
    "LEFT JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE n.nspname = $2 AND c.relname = $1 AND c.relkind IN ('r', 'p') "
    "ORDER BY a.attnum";
// $1 load ids (a text array, see PostgresArray): those whose commit marker exists.
constexpr char kMarkersSql[] = "SELECT load_id FROM sluice.loads WHERE load_id = ANY($1::text[])";
// Rows in one COPY, at most (plus one batch): see Write.
constexpr size_t kCopyRows = 65536;

constexpr auto& Quote = QuoteSqlIdentifier;

std::string ColumnList(const TableDef& table) {
  std::string out;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += Quote(table.columns[i].name);
  }
  return out;
}

const char* SqlType(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
      return "bigint";
    case ColumnType::kFloat:
      return "double precision";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kDate:
      return "date";
    case ColumnType::kTimestamp:
      return "timestamptz";
    case ColumnType::kString:
      return "text";
  }
  return "text";
}

ColumnType TypeFromPg(std::string_view typname) {
  if (typname == "int8" || typname == "int4" || typname == "int2") return ColumnType::kInteger;
  if (typname == "float8" || typname == "float4") return ColumnType::kFloat;
  if (typname == "bool") return ColumnType::kBoolean;
  if (typname == "date") return ColumnType::kDate;
  if (typname == "timestamptz" || typname == "timestamp") return ColumnType::kTimestamp;
  return ColumnType::kString;
}

// FNV-1a: a stable name for the key index of a table whose name is too long.
std::string KeyIndexName(const std::string& table) {
  if (table.size() + sizeof(kKeyIndexPrefix) - 1 <= kMaxIdentifierBytes) {
    return kKeyIndexPrefix + table;
  }
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : table) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return kKeyIndexPrefix + std::string(hex);
}

void PutInt16(std::string& out, int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  const char b[2] = {static_cast<char>(u >> 8), static_cast<char>(u)};
  out.append(b, 2);
}

void PutInt32(std::string& out, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  const char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                     static_cast<char>(u >> 8), static_cast<char>(u)};
  out.append(b, 4);
}

void PutInt64(std::string& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (56 - 8 * i));
  out.append(b, 8);
}

// "COPY t, line 3, column x: ..." → 3 (the row of the COPY, from 1), or 0.
uint64_t CopyLine(const char* context) {
  if (context == nullptr) return 0;
  const char* p = std::strstr(context, ", line ");
  if (p == nullptr) return 0;
  return std::strtoull(p + 7, nullptr, 10);
}

std::string CopyColumn(const char* context) {
  if (context == nullptr) return "";
  const char* p = std::strstr(context, ", column ");
  if (p == nullptr) return "";
  p += 9;
  const char* end = std::strchr(p, ':');
  return end != nullptr ? std::string(p, end) : std::string(p);
}

}  // namespace

PostgresSink::PostgresSink(std::string conninfo, std::string display, std::string password)
    : conninfo_(std::move(conninfo)),
      display_(std::move(display)),
      password_(std::move(password)) {}

PostgresSink::~PostgresSink() {
  Abort();
  if (conn_ != nullptr) PQfinish(conn_);
}

Result<std::unique_ptr<PostgresSink>> PostgresSink::Open(std::string_view url) {
  ASSIGN_OR_RETURN(PostgresTarget target, ParsePostgresUrl(url));
  const std::string display = target.display;
  std::unique_ptr<PostgresSink> sink(
      new PostgresSink(std::move(target.conninfo), display, std::move(target.password)));
  RETURN_IF_ERROR(sink->Connect());
  // The first existing schema of the search_path, except "sluice": with a role
  // named sluice, "$user" (first in the default search_path) would otherwise turn
  // into the marker's schema once that exists, and tables would move between runs.
  ASSIGN_OR_RETURN(ResultPtr schema,
                   sink->Exec("SELECT s FROM unnest(current_schemas(false)) WITH ORDINALITY "
                              "AS t(s, i) WHERE s <> 'sluice' ORDER BY i LIMIT 1",
                              "find schema"));
  if (PQntuples(schema.get()) == 0) {
    return Status::InvalidArgument("postgres sink " + display +
                                   ": no schema of the search_path exists");
  }
  sink->schema_name_ = PQgetvalue(schema.get(), 0, 0);
  // Names are qualified with it: unqualified, a temporary table of the same name
  // (the keyed load's stage) would win over the target.
  sink->schema_ = Quote(sink->schema_name_);
  // Made once, perhaps by an administrator: a loading role then needs no right to
  // create schemas (CREATE SCHEMA IF NOT EXISTS checks that right first).
  const std::string context = "create \"sluice\".\"loads\"";
  ASSIGN_OR_RETURN(ResultPtr marker,
                   sink->Exec("SELECT to_regclass('sluice.loads') IS NOT NULL", context));
  if (PQgetvalue(marker.get(), 0, 0)[0] == 't') return sink;
  // Several workers open their sinks at once; CREATE ... IF NOT EXISTS is not safe
  // against concurrent creation, so they take turns.
  RETURN_IF_ERROR(sink->Exec("BEGIN", context).status());
  Status status = [&]() -> Status {
    RETURN_IF_ERROR(
        sink->Exec(std::string("SELECT pg_advisory_xact_lock(") + kLockSpace + ", 0)", context)
            .status());
    RETURN_IF_ERROR(sink->Exec("CREATE SCHEMA IF NOT EXISTS sluice", context).status());
    RETURN_IF_ERROR(sink->Exec("CREATE TABLE IF NOT EXISTS sluice.loads(load_id text PRIMARY KEY, "
                               "table_name text NOT NULL, file text, rows bigint, skipped bigint, "
                               "committed_at timestamptz NOT NULL DEFAULT now())",
                               context)
                        .status());
    return sink->Exec("COMMIT", context).status();
  }();
  if (!status.ok()) return status;
  return sink;
}

Status PostgresSink::Connect() {
  // Later keywords win: the URL's own connect_timeout overrides this default.
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "sluice", conninfo_.c_str(), nullptr};
  if (conn_ != nullptr) PQfinish(conn_);
  prepared_.clear();
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
    // libpq prints NOTICEs ("relation already exists, skipping") on stderr, where
    // they would break sluice's log format; nothing the sink does needs them.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return Status::Ok();
  }
  return Error(nullptr, "postgres sink " + display_ + ": connect");
}

Status PostgresSink::EnsureConnected() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  return Connect();
}

std::string PostgresSink::Scrub(std::string message) const {
  return ScrubPassword(std::move(message), password_);
}

Status PostgresSink::Error(const PGresult* result, std::string_view context) const {
  const bool lost = conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD;
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* message =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (message == nullptr) {
    message = result != nullptr ? PQresultErrorMessage(result) : nullptr;
    if (message == nullptr || *message == '\0') {
      message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
    }
  }
  if (*message == '\0') message = "unknown error";
  Status status = PostgresStatus(sqlstate != nullptr ? sqlstate : "", message, lost, context);
  return Status(status.code(), Scrub(status.message()));
}

Result<PostgresSink::ResultPtr> PostgresSink::Exec(const std::string& sql, std::string_view context,
                                                   const std::vector<std::string>& params) {
  ASSIGN_OR_RETURN(std::vector<ResultPtr> results, ExecAll({{sql, params}}, context));
  return std::move(results[0]);
}

Result<std::vector<PostgresSink::ResultPtr>> PostgresSink::ExecAll(
    const std::vector<Statement>& statements, std::string_view context) {
  // A connection that sat idle while the server restarted is found dead only by
  // the next statement. Outside a transaction every statement of this sink only
  // reads, or opens a transaction (writes happen between BEGIN and COMMIT), so it
  // is safe to send again on a new connection, which spares the pipeline a retry
  // with backoff.
  const bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  for (int attempt = 0;; ++attempt) {
    // What was sent, in order: the name of a statement being prepared, or "" for
    // the execution of a statement.
    std::vector<std::string> sent;
    std::vector<std::pair<std::string, std::string>> preparing;  // sql, name
    bool ok = PQenterPipelineMode(conn_) == 1;
    for (const Statement& statement : statements) {
      if (!ok) break;
      std::vector<const char*> values;
      values.reserve(statement.params.size());
      for (const std::string& p : statement.params) values.push_back(p.c_str());
      const int count = static_cast<int>(values.size());
      if (statement.params.empty()) {
        ok = PQsendQueryParams(conn_, statement.sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                               0) == 1;
        sent.emplace_back();
        continue;
      }
      // Statements with parameters have fixed texts: each is parsed once per
      // connection, as a named prepared statement, and its plan reused.
      std::string name;
      if (auto it = prepared_.find(statement.sql); it != prepared_.end()) name = it->second;
      for (const auto& [sql, pending] : preparing) {
        if (sql == statement.sql) name = pending;
      }
      if (name.empty()) {
        name = "sluice_" + std::to_string(next_statement_++);
        ok = PQsendPrepare(conn_, name.c_str(), statement.sql.c_str(), count, nullptr) == 1;
        sent.push_back(name);
        preparing.emplace_back(statement.sql, name);
      }
      ok = ok &&
           PQsendQueryPrepared(conn_, name.c_str(), count, values.data(), nullptr, nullptr, 0) == 1;
      sent.emplace_back();
    }
    std::vector<ResultPtr> results;
    ResultPtr failed;  // the first error; the server skips the statements after it
    if (ok && PQpipelineSync(conn_) == 1) {
      // Each result and the null that ends it, then the sync's result.
      size_t done = 0;
      for (; done < sent.size(); ++done) {
        ResultPtr result(PQgetResult(conn_));
        if (!result) break;  // the connection is gone
        while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
        const ExecStatusType status = PQresultStatus(result.get());
        const bool good = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
        if (!good && !failed && status != PGRES_PIPELINE_ABORTED) failed = std::move(result);
        if (!sent[done].empty()) {
          for (const auto& [sql, name] : preparing) {
            if (good && name == sent[done]) prepared_.emplace(sql, name);
          }
        } else {
          results.push_back(std::move(result));
        }
      }
      if (done == sent.size()) {
        ResultPtr sync(PQgetResult(conn_));
        if (sync && PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC && !failed) {
          failed = std::move(sync);
        }
      }
    }
    PQexitPipelineMode(conn_);
    if (!failed && results.size() == statements.size() && PQstatus(conn_) == CONNECTION_OK) {
      return results;
    }
    if (attempt > 0 || !idle || PQstatus(conn_) != CONNECTION_BAD || !Connect().ok()) {
      return Error(failed.get(), context);
    }
  }
}

Result<std::optional<PostgresSink::TableInfo>> PostgresSink::LookUpTable(std::string_view name) {
  const std::string context = "look up table \"" + std::string(name) + "\"";
  ASSIGN_OR_RETURN(ResultPtr columns,
                   Exec(kLookUpTableSql, context, {std::string(name), schema_name_}));
  return TableInfoOf(columns.get());
}

std::optional<PostgresSink::TableInfo> PostgresSink::TableInfoOf(const PGresult* columns) {
  if (PQntuples(columns) == 0) return std::nullopt;
  TableInfo info;
  info.oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(columns, 0, 0), nullptr, 10));
  for (int row = 0; row < PQntuples(columns); ++row) {
    if (PQgetisnull(columns, row, 1)) continue;
    info.columns.push_back({PQgetvalue(columns, row, 1), PQgetvalue(columns, row, 2),
                            PQgetvalue(columns, row, 3)[0] == 't'});
  }
  return info;
}

Result<std::optional<TableDef>> PostgresSink::DescribeTable(std::string_view name) {
  RETURN_IF_ERROR(EnsureConnected());
  ASSIGN_OR_RETURN(std::optional<TableInfo> info, LookUpTable(name));
  if (!info) return std::optional<TableDef>();
  TableDef table;
  table.name = std::string(name);
  for (const ColumnInfo& column : info->columns) {
    table.columns.push_back({column.name, TypeFromPg(column.type), !column.not_null});
  }
  ASSIGN_OR_RETURN(
      ResultPtr key,
      Exec("SELECT a.attname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
           "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
           "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
           "WHERE i.indrelid = $1::oid AND ic.relname = $2 ORDER BY k.ord",
           "describe the key of \"" + table.name + "\"",
           {std::to_string(info->oid), KeyIndexName(table.name)}));
  for (int row = 0; row < PQntuples(key.get()); ++row) {
    table.key.emplace_back(PQgetvalue(key.get(), row, 0));
  }
  return std::optional<TableDef>(std::move(table));
}

Status PostgresSink::EnsureTable(const TableDef& table) {
  if (in_load()) return Status::Internal("EnsureTable during a load");
  RETURN_IF_ERROR(ValidateTableDef(table, /*case_insensitive_names=*/false, kMaxIdentifierBytes));
  RETURN_IF_ERROR(EnsureConnected());
  const std::string context = "create table \"" + table.name + "\"";
  ASSIGN_OR_RETURN(std::optional<TableInfo> existing, LookUpTable(table.name));
  if (existing) return Status::Ok();

  std::string create = "CREATE TABLE " + schema_ + "." + Quote(table.name) + "(";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnDef& column = table.columns[i];
    if (i > 0) create += ", ";
    create += Quote(column.name) + " " + SqlType(column.type);
    if (!column.nullable) create += " NOT NULL";
  }
  create += ")";
  // Workers that find the table missing at once take turns; the one that comes
  // second finds it made. An existing table stays unaltered.
  RETURN_IF_ERROR(Exec("BEGIN", context).status());
  Status status = [&]() -> Status {
    RETURN_IF_ERROR(LockTableName(table.name, context));
    ASSIGN_OR_RETURN(std::optional<TableInfo> made_meanwhile, LookUpTable(table.name));
    if (made_meanwhile) return Status::Ok();
    RETURN_IF_ERROR(Exec(create, context).status());
    if (!table.key.empty()) {
      std::string index = "CREATE UNIQUE INDEX " + Quote(KeyIndexName(table.name)) + " ON " +
                          schema_ + "." + Quote(table.name) + "(";
      for (size_t i = 0; i < table.key.size(); ++i) {
        if (i > 0) index += ", ";
        index += Quote(table.key[i]);
      }
      RETURN_IF_ERROR(Exec(index + ")", context).status());
    }
    return Status::Ok();
  }();
  if (status.ok()) return Exec("COMMIT", context).status();
  if (PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
  return status;
}

Status PostgresSink::LockTableName(const std::string& table, const std::string& context) {
  return Exec(std::string("SELECT pg_advisory_xact_lock(") + kLockSpace +
                  ", hashtext($2 || '.' || $1))",
              context, {table, schema_name_})
      .status();
}

Result<std::vector<ColumnDef>> PostgresSink::AddColumns(const std::string& table,
                                                        const std::vector<ColumnDef>& columns) {
  if (in_load()) return Status::Internal("AddColumns during a load");
  RETURN_IF_ERROR(ValidateTableDef(TableDef{table, columns, {}}, /*case_insensitive_names=*/false,
                                   kMaxIdentifierBytes));
  RETURN_IF_ERROR(EnsureConnected());
  const std::string context = "add columns to table \"" + table + "\"";
  std::vector<ColumnDef> added;
  RETURN_IF_ERROR(Exec("BEGIN", context).status());
  Status status = [&]() -> Status {
    RETURN_IF_ERROR(LockTableName(table, context));
    ASSIGN_OR_RETURN(std::optional<TableInfo> info, LookUpTable(table));
    if (!info) return Status::NotFound("table \"" + table + "\" does not exist");
    std::string alter;
    for (const ColumnDef& column : columns) {
      bool present = false;
      for (const ColumnInfo& have : info->columns) present = present || have.name == column.name;
      if (present) continue;
      alter += alter.empty() ? "ALTER TABLE " + schema_ + "." + Quote(table) + " " : ", ";
      alter += "ADD COLUMN IF NOT EXISTS " + Quote(column.name) + " " + SqlType(column.type);
      added.push_back({column.name, column.type, true});
    }
    if (!alter.empty()) RETURN_IF_ERROR(Exec(alter, context).status());
    return Status::Ok();
  }();
  if (status.ok()) status = Exec("COMMIT", context).status();
  if (!status.ok()) {
    if (PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
    return status;
  }
  return added;
}

Status PostgresSink::BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) {
  std::vector<std::string> ids;
  for (const LoadId& load : loads) ids.push_back(load.id);
  RETURN_IF_ERROR(EnsureConnected());
  const std::string context = "begin " + DescribeLoads(loads) + " into \"" + table.name + "\"";
  {
    // One round trip. The advisory locks serialise loads of these ids across
    // sluices sharing this database, so the marker check after them (a statement
    // of its own, which sees what committed before the locks were granted) stays
    // true until our COMMIT. Taken in the order of their keys, so two groups that
    // share ids wait for each other instead of deadlocking.
    const std::string id_array = PostgresArray(ids);
    ASSIGN_OR_RETURN(std::vector<ResultPtr> begun,
                     ExecAll({{"BEGIN", {}},
                              {std::string("SELECT pg_advisory_xact_lock(") + kLockSpace +
                                   ", h) FROM (SELECT DISTINCT hashtext(id) AS h "
                                   "FROM unnest($1::text[]) AS u(id) ORDER BY h) AS keys",
                               {id_array}},
                              {kMarkersSql, {id_array}},
                              {kLookUpTableSql, {table.name, schema_name_}}},
                             context));
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
    wire_.clear();
    for (const ColumnDef& column : table.columns) {
      const ColumnInfo* found = nullptr;
      for (const ColumnInfo& c : info->columns) {
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
                                       "\" has type " + found->type +
                                       ", which sluice cannot load " +
                                       std::string(ColumnTypeName(column.type)) + " values into");
      }
      wire_.push_back(*wire);
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
      copy_sql_ =
          std::string("COPY ") + kStageTable + "(" + columns + ") FROM STDIN (FORMAT binary)";
    }
    return Status::Ok();
  }
}

std::string PostgresSink::InsertContext() const { return "insert into \"" + table().name + "\""; }

std::string PostgresSink::RowContext(size_t load, uint64_t line) const {
  return InsertContext() + ", " + loads()[load].file + ", line " + std::to_string(line);
}

Status PostgresSink::CheckBatch(const Batch& batch, size_t load) const {
  const auto& columns = batch.columns();
  const size_t rows = batch.rows();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = columns[i];
    // Narrow server columns: an out-of-range value is the row's fault, reported
    // with its line as the server would. Dates and timestamps are sent shifted to
    // the server's epoch (2000): a value the shift overflows would arrive as
    // another, valid one (INT64_MIN µs as a date in the year 294247).
    const Wire wire = wire_[i];
    if (wire == Wire::kInt4 || wire == Wire::kInt2 || wire == Wire::kDate ||
        wire == Wire::kTimestamp) {
      int64_t lo = std::numeric_limits<int32_t>::min();
      int64_t hi = std::numeric_limits<int32_t>::max();
      if (wire == Wire::kInt2) {
        lo = std::numeric_limits<int16_t>::min();
        hi = std::numeric_limits<int16_t>::max();
      } else if (wire == Wire::kTimestamp) {
        lo = std::numeric_limits<int64_t>::min();
        hi = std::numeric_limits<int64_t>::max();
      }
      const int64_t shift = wire == Wire::kDate        ? kEpochShiftDays
                            : wire == Wire::kTimestamp ? kEpochShiftMicros
                                                       : 0;
      for (size_t row = 0; row < rows; ++row) {
        const int64_t v = column.ints[row];
        int64_t sent = 0;
        if (column.nulls[row] == 0 &&
            (__builtin_sub_overflow(v, shift, &sent) || sent < lo || sent > hi)) {
          return Status::InvalidData(RowContext(load, batch.Line(row)) + ", column " +
                                     column.def.name + ": value " + std::to_string(v) +
                                     " is out of range for the column's type");
        }
      }
    }
    if (wire == Wire::kText) {
      for (size_t row = 0; row < rows; ++row) {
        if (column.strings[row].size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
          return Status::InvalidData(RowContext(load, batch.Line(row)) + ", column " +
                                     column.def.name + ": value longer than 2 GiB");
        }
      }
    }
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
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n\0";
  buffer_.append(kSignature, 11);
  PutInt32(buffer_, 0);  // flags
  PutInt32(buffer_, 0);  // header extension length
  if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    return Error(nullptr, InsertContext());
  }
  return Status::Ok();
}

void PostgresSink::EncodeBatch(const Batch& batch) {
  buffer_.clear();
  const auto& columns = batch.columns();
  const auto field_count = static_cast<int16_t>(columns.size());
  for (size_t row = 0; row < batch.rows(); ++row) {
    PutInt16(buffer_, field_count);
    for (size_t i = 0; i < columns.size(); ++i) {
      const Column& column = columns[i];
      if (column.nulls[row] != 0) {
        PutInt32(buffer_, -1);
        continue;
      }
      switch (wire_[i]) {
        case Wire::kInt8:
          PutInt32(buffer_, 8);
          PutInt64(buffer_, column.ints[row]);
          break;
        case Wire::kInt4:
          PutInt32(buffer_, 4);
          PutInt32(buffer_, static_cast<int32_t>(column.ints[row]));
          break;
        case Wire::kInt2:
          PutInt32(buffer_, 2);
          PutInt16(buffer_, static_cast<int16_t>(column.ints[row]));
          break;
        case Wire::kFloat8: {
          uint64_t bits;
          std::memcpy(&bits, &column.floats[row], 8);
          PutInt32(buffer_, 8);
          PutInt64(buffer_, static_cast<int64_t>(bits));
          break;
        }
        case Wire::kFloat4: {
          const auto f = static_cast<float>(column.floats[row]);
          uint32_t bits;
          std::memcpy(&bits, &f, 4);
          PutInt32(buffer_, 4);
          PutInt32(buffer_, static_cast<int32_t>(bits));
          break;
        }
        case Wire::kBool:
          PutInt32(buffer_, 1);
          buffer_ += column.ints[row] != 0 ? '\1' : '\0';
          break;
        case Wire::kDate:
          PutInt32(buffer_, 4);
          PutInt32(buffer_, static_cast<int32_t>(column.ints[row] - kEpochShiftDays));
          break;
        case Wire::kTimestamp:
          PutInt32(buffer_, 8);
          PutInt64(buffer_, column.ints[row] - kEpochShiftMicros);
          break;
        case Wire::kText: {
          const std::string_view s = column.strings[row];
          PutInt32(buffer_, static_cast<int32_t>(s.size()));
          buffer_.append(s.data() != nullptr ? s.data() : "", s.size());
          break;
        }
      }
    }
  }
}

Status PostgresSink::EndCopy() {
  const std::string context = InsertContext();
  copying_ = false;
  buffer_.clear();
  PutInt16(buffer_, -1);  // trailer
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
      if (copied != copy_lines_.size()) {
        status = Status::Internal(context + ": the server took " + std::to_string(copied) +
                                  " rows of " + std::to_string(copy_lines_.size()));
      }
      continue;
    }
    const char* where = PQresultErrorField(raw, PG_DIAG_CONTEXT);
    const uint64_t row = CopyLine(where);
    std::string at = context;
    if (row >= 1 && row <= copy_lines_.size()) {
      // The last load whose rows start at or before this one.
      auto load = std::upper_bound(copy_loads_.begin(), copy_loads_.end(), row - 1,
                                   [](uint64_t r, const auto& start) { return r < start.first; });
      at = RowContext(std::prev(load)->second, copy_lines_[row - 1]);
      const std::string column = CopyColumn(where);
      if (!column.empty()) at += ", column " + column;
    }
    status = Error(raw, at);
  }
  if (status.ok() && sent != 1) status = Error(nullptr, context);
  copy_lines_.clear();
  copy_loads_.clear();
  return status;
}

Status PostgresSink::MoveStaged(bool reuse) {
  if (copying_) RETURN_IF_ERROR(EndCopy());
  if (staged_ == 0) return Status::Ok();
  const std::string columns = ColumnList(table());
  std::vector<Statement> statements = {{"INSERT INTO " + target_ + "(" + columns + ") SELECT " +
                                            columns + " FROM " + kStageTable +
                                            " ON CONFLICT DO NOTHING",
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

Status PostgresSink::WriteRows(const Batch& batch, size_t load) {
  {
    RETURN_IF_ERROR(CheckBatch(batch, load));
    if (batch.rows() == 0) return Status::Ok();
    if (load != load_ && !table().key.empty()) RETURN_IF_ERROR(MoveStaged(/*reuse=*/true));
    load_ = load;
    if (!copying_) RETURN_IF_ERROR(StartCopy());
    if (copy_loads_.empty() || copy_loads_.back().second != load) {
      copy_loads_.emplace_back(copy_lines_.size(), load);
    }
    EncodeBatch(batch);
    if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
      return Error(nullptr, InsertContext());
    }
    copy_lines_.insert(copy_lines_.end(), batch.lines().begin(), batch.lines().end());
    // Counted as sent; EndCopy checks the server took them all.
    if (table().key.empty()) {
      counts()[load].inserted += batch.rows();
    } else {
      staged_ += batch.rows();
    }
    // A new COPY now and then bounds the row map and how late a refused row is
    // reported.
    if (copy_lines_.size() >= kCopyRows) return EndCopy();
    return Status::Ok();
  }
}

Status PostgresSink::CommitLoads() {
  const std::string context = "commit " + DescribeLoads(loads());
  Status status = [&]() -> Status {
    if (!table().key.empty()) {
      RETURN_IF_ERROR(MoveStaged(/*reuse=*/false));
    } else if (copying_) {
      RETURN_IF_ERROR(EndCopy());
    }
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
  copy_lines_.clear();
  copy_loads_.clear();
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

}  // namespace sluice

#include "sink/postgres/pg_connection.h"

#include <algorithm>
#include <utility>

#include "sink/sink_text.h"

namespace sluice {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

std::string PostgresArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Status PostgresStatus(std::string_view sqlstate, std::string_view message, bool connection_lost,
                      std::string_view context) {
  std::string text(context);
  text += ": ";
  text.append(message);
  text.erase(text.find_last_not_of(" \t\n\r\f") + 1);

  const std::string_view cls = sqlstate.substr(0, std::min<size_t>(2, sqlstate.size()));
  if (sqlstate.empty()) {
    // Failed connection attempts carry no SQLSTATE; libpq only has the server's
    // FATAL message text.
    if (Contains(message, "authentication failed") || Contains(message, "no password supplied") ||
        Contains(message, "permission denied") || Contains(message, "pg_hba.conf") ||
        Contains(message, "is not permitted to log in") ||
        (Contains(message, "database \"") && Contains(message, "does not exist")) ||
        (Contains(message, "role \"") && Contains(message, "does not exist"))) {
      return Status::PermissionDenied(std::move(text));
    }
    return connection_lost ? Status::Unavailable(std::move(text))
                           : Status::Internal(std::move(text));
  }
  if (sqlstate == "57014") return Status::Timeout(std::move(text));
  if (cls == "08" || cls == "53" || cls == "58" || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Status::Unavailable(std::move(text));
  }
  if (cls == "22" || cls == "23" || cls == "54" || sqlstate == "42804" || sqlstate == "42703" ||
      sqlstate == "42P01") {
    return Status::InvalidData(std::move(text));
  }
  if (cls == "28" || sqlstate == "3D000" || sqlstate == "42501") {
    return Status::PermissionDenied(std::move(text));
  }
  if (connection_lost) return Status::Unavailable(std::move(text));
  return Status::Internal(std::move(text));
}

PgConnection::PgConnection(std::string conninfo, std::string display, std::string password)
    : conninfo_(std::move(conninfo)),
      display_(std::move(display)),
      password_(std::move(password)) {}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConnection::Connect() {
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

Status PgConnection::EnsureConnected() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  return Connect();
}

Status PgConnection::Error(const PGresult* result, std::string_view context) const {
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
  return Status(status.code(), ScrubPassword(status.message(), password_));
}

Result<PgConnection::ResultPtr> PgConnection::Exec(const std::string& sql, std::string_view context,
                                                   const std::vector<std::string>& params) {
  ASSIGN_OR_RETURN(std::vector<ResultPtr> results, ExecAll({{sql, params}}, context));
  return std::move(results[0]);
}

Result<std::vector<PgConnection::ResultPtr>> PgConnection::ExecAll(
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

void PgConnection::RollBack() noexcept {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
}

}  // namespace sluice

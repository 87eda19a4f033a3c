#include "sink/mysql/mysql_connection.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "sink/sink_text.h"

namespace sluice {
namespace {

bool OneOf(unsigned code, std::initializer_list<unsigned> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// The session every connection gets: UTC for CURRENT_TIMESTAMP and TIMESTAMP
// columns; strict, so what strictness can refuse is refused (LOAD DATA LOCAL and
// INSERT IGNORE still turn data errors into warnings, which the sink reads); and
// room for a warning per row of a statement (see MysqlConnection).
constexpr char kSessionSql[] =
    "SET SESSION time_zone = '+00:00', "
    "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO', "
    "max_error_count = 65535";
// Whether the server takes LOAD DATA LOCAL, and a binary collation without
// padding ('a' and 'a ' differ, as on every other sink), newest name first.
constexpr char kProbeSql[] =
    "SELECT @@local_infile, (SELECT COLLATION_NAME FROM information_schema.COLLATIONS "
    "WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin') "
    "ORDER BY COLLATION_NAME DESC LIMIT 1)";

}  // namespace

bool MysqlConnectionLost(unsigned code) {
  return OneOf(code,
               {CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST, CR_SERVER_GONE_ERROR,
                CR_SERVER_LOST, 2055 /* CR_SERVER_LOST_EXTENDED */, ER_CON_COUNT_ERROR,
                ER_SERVER_SHUTDOWN, ER_NET_READ_ERROR_FROM_PIPE, ER_NET_FCNTL_ERROR,
                ER_NET_PACKETS_OUT_OF_ORDER, ER_NET_UNCOMPRESS_ERROR, ER_NET_READ_ERROR,
                ER_NET_READ_INTERRUPTED, ER_NET_ERROR_ON_WRITE, ER_NET_WRITE_INTERRUPTED,
                1927 /* ER_CONNECTION_KILLED */, 4031 /* MySQL 8: disconnected for inactivity */});
}

Status MysqlStatus(unsigned code, std::string_view message, std::string_view context) {
  std::string text(context);
  text += ": ";
  text.append(message);
  text.erase(text.find_last_not_of(" \t\n\r\f") + 1);
  if (MysqlConnectionLost(code) ||
      OneOf(code, {ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, ER_DISK_FULL, ER_OUTOFMEMORY,
                   ER_OUT_OF_SORTMEMORY, ER_RECORD_FILE_FULL, ER_NOT_ALLOWED_COMMAND,
                   2068 /* CR_LOAD_DATA_LOCAL_INFILE_REJECTED */,
                   3948 /* MySQL 8: loading local data is disabled */})) {
    return Status::Unavailable(std::move(text));
  }
  if (OneOf(code, {1969 /* MariaDB max_statement_time */, 3024 /* MySQL max_execution_time */})) {
    return Status::Timeout(std::move(text));
  }
  if (code == ER_DUP_ENTRY) return Status::AlreadyExists(std::move(text));
  if (OneOf(code, {ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR, ER_BAD_DB_ERROR,
                   ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR,
                   ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_NOT_SUPPORTED_AUTH_MODE,
                   1698 /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */, CR_AUTH_PLUGIN_CANNOT_LOAD,
                   CR_SSL_CONNECTION_ERROR})) {
    return Status::PermissionDenied(std::move(text));
  }
  if (OneOf(code, {ER_TOO_LONG_IDENT, ER_WRONG_TABLE_NAME, ER_WRONG_COLUMN_NAME})) {
    return Status::InvalidArgument(std::move(text));
  }
  if (OneOf(code, {ER_BAD_NULL_ERROR, ER_BAD_FIELD_ERROR, ER_NO_SUCH_TABLE, ER_WARN_TOO_FEW_RECORDS,
                   ER_WARN_TOO_MANY_RECORDS, ER_WARN_NULL_TO_NOTNULL, ER_WARN_DATA_OUT_OF_RANGE,
                   WARN_DATA_TRUNCATED, ER_TRUNCATED_WRONG_VALUE, ER_INVALID_CHARACTER_STRING,
                   ER_TRUNCATED_WRONG_VALUE_FOR_FIELD, ER_ILLEGAL_VALUE_FOR_TYPE, ER_DATA_TOO_LONG,
                   ER_WRONG_VALUE_FOR_TYPE, ER_DATA_OUT_OF_RANGE, 3819 /* MySQL CHECK failed */,
                   4025 /* MariaDB CONSTRAINT failed */})) {
    return Status::InvalidData(std::move(text));
  }
  return Status::Internal(std::move(text));
}

MysqlConnection::MysqlConnection(MysqlTarget target) : target_(std::move(target)) {}

MysqlConnection::~MysqlConnection() { Close(); }

void MysqlConnection::Close() noexcept {
  for (auto& [sql, stmt] : prepared_) mysql_stmt_close(stmt);
  prepared_.clear();
  if (conn_ != nullptr) mysql_close(conn_);
  conn_ = nullptr;
  lost_ = false;
}

Status MysqlConnection::RefuseWhileLoading(std::string_view context) const {
  return loading_.load(std::memory_order_acquire) ? Busy(context) : Status::Ok();
}

Status MysqlConnection::Busy(std::string_view context) const {
  // Another packet now would land inside the file the server is reading: the
  // statement and the connection would be garbled, not refused.
  return Status::Internal("mysql sink " + target_.display + ": " + std::string(context) +
                          ": the connection is running a LOAD DATA LOCAL statement; nothing "
                          "else may use it before that ends");
}

Status MysqlConnection::Connect() {
  RETURN_IF_ERROR(RefuseWhileLoading("connect"));
  Close();
  conn_ = mysql_init(nullptr);
  if (conn_ == nullptr) return Status::Unavailable("mysql sink: out of memory");
  const unsigned timeout = target_.connect_timeout;
  const unsigned local_infile = 1;
  mysql_options(conn_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(conn_, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(conn_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const MysqlSslMode mode = target_.ssl_mode;
  if (mode != MysqlSslMode::kDisabled) {
    auto c = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    // Marks the connection for TLS: used if the server offers it (PREFERRED),
    // required from REQUIRED on, with the server's certificate checked against
    // ssl-ca / ssl-capath for the VERIFY modes.
    mysql_ssl_set(conn_, c(target_.ssl_key), c(target_.ssl_cert), c(target_.ssl_ca),
                  c(target_.ssl_capath), c(target_.ssl_cipher));
    if (!target_.ssl_crl.empty()) mysql_options(conn_, MYSQL_OPT_SSL_CRL, target_.ssl_crl.c_str());
    const my_bool enforce = mode != MysqlSslMode::kPreferred;
    const my_bool verify = mode == MysqlSslMode::kVerifyCa || mode == MysqlSslMode::kVerifyIdentity;
    mysql_options(conn_, MYSQL_OPT_SSL_ENFORCE, &enforce);
    mysql_options(conn_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  // The only "file" LOAD DATA LOCAL can read is what LoadDataLocal feeds it: a
  // server asking for a file at any other time (a known attack on LOCAL) gets none.
  mysql_set_local_infile_handler(
      conn_,
      [](void** ptr, const char*, void* self) {
        *ptr = self;
        return static_cast<MysqlConnection*>(self)->infile_ != nullptr ? 0 : 1;
      },
      [](void* ptr, char* buf, unsigned int len) -> int {
        const InfileRead* read = static_cast<MysqlConnection*>(ptr)->infile_;
        return read != nullptr ? (*read)(buf, len) : -1;
      },
      [](void*) {},
      [](void* ptr, char* message, unsigned int len) {
        std::snprintf(message, len, "%s",
                      static_cast<MysqlConnection*>(ptr)->infile_ != nullptr
                          ? "the load stopped sending its rows"
                          : "sluice sends no file");
        return 2000;
      },
      this);
  const char* socket = target_.socket.empty() ? nullptr : target_.socket.c_str();
  if (mysql_real_connect(conn_, target_.host.c_str(), target_.user.c_str(),
                         target_.password.c_str(), target_.database.c_str(), target_.port, socket,
                         0) == nullptr) {
    Status status = Error("mysql sink " + target_.display + ": connect");
    Close();
    return status;
  }
  // Connector/C 3.3 enforces TLS only when it also verifies the certificate: a
  // server without TLS is refused here for REQUIRED.
  if (mode != MysqlSslMode::kDisabled && mode != MysqlSslMode::kPreferred &&
      mysql_get_ssl_cipher(conn_) == nullptr) {
    Close();
    return Status::PermissionDenied("mysql sink " + target_.display +
                                    ": connect: ssl-mode requires TLS, which the server does not "
                                    "offer");
  }
  RETURN_IF_ERROR(Exec(kSessionSql, "mysql sink " + target_.display + ": set up the session"));
  ASSIGN_OR_RETURN(std::vector<Row> probe,
                   Query(kProbeSql, "mysql sink " + target_.display + ": ask for local_infile"));
  local_infile_ = target_.local_infile && !probe.empty() && probe[0][0].value_or("0") == "1";
  binary_collation_ = !probe.empty() && probe[0][1] ? *probe[0][1] : "utf8mb4_bin";
  return Status::Ok();
}

Status MysqlConnection::EnsureConnected() {
  RETURN_IF_ERROR(RefuseWhileLoading("connect"));
  if (up()) return Status::Ok();
  return Connect();
}

Status MysqlConnection::Error(std::string_view context) {
  const unsigned code = conn_ != nullptr ? mysql_errno(conn_) : CR_SERVER_LOST;
  const char* message = conn_ != nullptr ? mysql_error(conn_) : "not connected";
  if (MysqlConnectionLost(code)) lost_ = true;
  Status status = MysqlStatus(code, *message != '\0' ? message : "unknown error", context);
  return Status(status.code(), ScrubPassword(status.message(), target_.password));
}

bool MysqlConnection::InTransaction() const {
  unsigned int status = 0;
  if (conn_ == nullptr || mariadb_get_infov(conn_, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
    return false;
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

Status MysqlConnection::Send(const std::string& sql, std::string_view context) {
  // A connection that sat idle while the server restarted is found dead only by
  // the next statement; outside a transaction it is safe to send that again.
  const bool idle = up() && !InTransaction();
  RETURN_IF_ERROR(EnsureConnected());
  if (mysql_real_query(conn_, sql.data(), sql.size()) == 0) return Status::Ok();
  Status status = Error(context);
  if (!idle || !lost_ || !Connect().ok()) return status;
  if (mysql_real_query(conn_, sql.data(), sql.size()) == 0) return Status::Ok();
  return Error(context);
}

Status MysqlConnection::Exec(const std::string& sql, std::string_view context) {
  RETURN_IF_ERROR(RefuseWhileLoading(context));
  RETURN_IF_ERROR(Send(sql, context));
  if (MYSQL_RES* result = mysql_store_result(conn_)) mysql_free_result(result);
  if (mysql_errno(conn_) != 0) return Error(context);
  return Status::Ok();
}

Result<std::vector<MysqlConnection::Row>> MysqlConnection::Query(const std::string& sql,
                                                                 std::string_view context) {
  RETURN_IF_ERROR(RefuseWhileLoading(context));
  RETURN_IF_ERROR(Send(sql, context));
  MYSQL_RES* result = mysql_store_result(conn_);
  std::vector<Row> rows;
  if (result == nullptr) {
    if (mysql_errno(conn_) != 0) return Error(context);
    return rows;
  }
  const unsigned fields = mysql_num_fields(result);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    Row& out = rows.emplace_back();
    for (unsigned i = 0; i < fields; ++i) {
      if (row[i] == nullptr) {
        out.emplace_back();
      } else {
        out.emplace_back(std::string(row[i], lengths[i]));
      }
    }
  }
  mysql_free_result(result);
  return rows;
}

std::string MysqlConnection::Literal(std::string_view value) const {
  std::string out(value.size() * 2 + 3, '\0');
  out[0] = '\'';
  const unsigned long n = mysql_real_escape_string(conn_, out.data() + 1, value.data(),
                                                   static_cast<unsigned long>(value.size()));
  out.resize(n + 1);
  out += '\'';
  return out;
}

Result<uint64_t> MysqlConnection::LoadDataLocal(const std::string& sql, const InfileRead& read,
                                                std::string_view context) {
  // Claimed at once, so that of two loads only one runs.
  if (loading_.exchange(true, std::memory_order_acq_rel)) return Busy(context);
  infile_ = &read;
  Status error;
  uint64_t stored = 0;
  // Never resent: it runs inside the load's transaction.
  if (mysql_real_query(conn_, sql.data(), sql.size()) != 0) {
    // The server (or its configuration, changed since Connect) refuses LOAD DATA
    // LOCAL: the next load on this connection uses INSERT; this one is retried.
    if (OneOf(mysql_errno(conn_), {ER_NOT_ALLOWED_COMMAND, 2068, 3948})) local_infile_ = false;
    error = Error(context);
  } else {
    stored = static_cast<uint64_t>(mysql_affected_rows(conn_));
  }
  // Released only once the statement's outcome is read off the connection.
  infile_ = nullptr;
  loading_.store(false, std::memory_order_release);
  if (!error.ok()) return error;
  return stored;
}

Result<uint64_t> MysqlConnection::LoadDataLocal(const std::string& sql, std::string_view data,
                                                std::string_view context) {
  size_t sent = 0;
  const InfileRead read = [&](char* buf, unsigned len) {
    const size_t n = std::min<size_t>(len, data.size() - sent);
    std::memcpy(buf, data.data() + sent, n);
    sent += n;
    return static_cast<int>(n);
  };
  return LoadDataLocal(sql, read, context);
}

Result<uint64_t> MysqlConnection::ExecPrepared(const std::string& sql, MYSQL_BIND* binds,
                                               std::string_view context) {
  RETURN_IF_ERROR(RefuseWhileLoading(context));
  MYSQL_STMT* stmt = nullptr;
  if (auto it = prepared_.find(sql); it != prepared_.end()) {
    stmt = it->second;
  } else {
    stmt = mysql_stmt_init(conn_);
    if (stmt == nullptr) return Error(context);
    if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
      mysql_stmt_close(stmt);
      return Error(context);
    }
    prepared_.emplace(sql, stmt);
  }
  if (mysql_stmt_bind_param(stmt, binds) != 0 || mysql_stmt_execute(stmt) != 0) {
    const unsigned code = mysql_stmt_errno(stmt);
    if (MysqlConnectionLost(code)) lost_ = true;
    Status status = MysqlStatus(code, mysql_stmt_error(stmt), context);
    return Status(status.code(), ScrubPassword(status.message(), target_.password));
  }
  return static_cast<uint64_t>(mysql_stmt_affected_rows(stmt));
}

unsigned MysqlConnection::WarningCount() const {
  return conn_ != nullptr ? mysql_warning_count(conn_) : 0;
}

Result<std::vector<MysqlWarning>> MysqlConnection::Warnings(std::string_view context) {
  ASSIGN_OR_RETURN(std::vector<Row> rows, Query("SHOW WARNINGS", context));
  std::vector<MysqlWarning> warnings;
  for (const Row& row : rows) {
    if (row.size() < 3) continue;
    warnings.push_back(
        {static_cast<unsigned>(std::strtoul(row[1].value_or("0").c_str(), nullptr, 10)),
         row[2].value_or("")});
  }
  return warnings;
}

void MysqlConnection::RollBack() noexcept {
  if (up() && !loading_.load(std::memory_order_acquire)) mysql_real_query(conn_, "ROLLBACK", 8);
}

}  // namespace sluice

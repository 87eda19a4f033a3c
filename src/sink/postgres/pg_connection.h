// PgConnection: the PostgreSQL sink's connection to its server, through libpq:
// connecting and reconnecting, statements sent in pipeline mode (several in one
// round trip), prepared statements, and the one place where PostgreSQL errors
// become Status codes (PostgresStatus). Messages never hold the password.
//
// A connection that is lost (server restarted, network) is re-established by
// EnsureConnected; a statement outside a transaction that finds it dead is sent
// again on a new one (see ExecAll).
//
// Thread-safety: none; one thread at a time per PgConnection.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace sluice {

// `values` in the text form of a PostgreSQL array, every element quoted
// ({"a","b\"c"}), for one text parameter cast to text[] or bigint[]: a statement
// then takes any number of values with one fixed text, so it is prepared once.
std::string PostgresArray(const std::vector<std::string>& values);

// Classifies an error of libpq or of the server. `sqlstate` is the error's
// SQLSTATE (PG_DIAG_SQLSTATE), empty when the server sent none (libpq's own
// errors, failed connection attempts); `connection_lost` tells that the connection
// is gone (PQstatus is CONNECTION_BAD). `message` becomes the Status message,
// after `context` and ": ".
//
// Unavailable: a lost or refused connection, class 08, 57P01-57P03 (shutdown,
// crash, starting up), 40001 and 40P01 (serialization failure, deadlock), 55P03
// (lock not available), class 53 (disk full, out of memory, too many connections),
// class 58 (I/O). Timeout: 57014 (statement timeout, cancelled). InvalidData: class
// 22 (data exception), class 23 (integrity: not-null, check, unique), class 54
// (row or value too large), 42804 datatype mismatch, 42703 undefined column, 42P01
// undefined table. PermissionDenied (the server refuses sluice: fatal at
// start-up, the sink is down at run time): class 28 (authentication), 3D000 (no
// such database), 42501 (insufficient privilege), and failed connection attempts
// whose message says authentication failed, permission was denied, pg_hba.conf
// has no entry, the role may not log in, or the database or role does not exist.
// Everything else: Internal.
Status PostgresStatus(std::string_view sqlstate, std::string_view message, bool connection_lost,
                      std::string_view context);

class PgConnection {
 public:
  struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;
  struct Statement {
    std::string sql;
    std::vector<std::string> params;  // text values of $1, $2, ...
  };

  // Keeps what to connect to (`conninfo` for PQconnectdbParams' dbname; `display`
  // for messages; `password`, scrubbed out of messages); does not connect.
  PgConnection(std::string conninfo, std::string display, std::string password);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Opens a new connection (closing the current one). connect_timeout defaults to
  // 10 s. Errors: as PostgresStatus (PermissionDenied, Unavailable).
  Status Connect();
  // Reconnects if the connection was lost.
  Status EnsureConnected();
  // The error of `result` (or of the connection when `result` is null), classified
  // by PostgresStatus, with `context` before it and the password scrubbed.
  Status Error(const PGresult* result, std::string_view context) const;
  // Runs `sql` with text parameters; OK results only, others become errors.
  Result<ResultPtr> Exec(const std::string& sql, std::string_view context,
                         const std::vector<std::string>& params = {});
  // Runs `statements` in order in one round trip (libpq pipeline mode) and
  // returns their results, one each. The first error is returned; the server
  // skips the statements after it. Statements with parameters are prepared on
  // first use and reused for the connection's life. Outside a transaction, a
  // connection found dead is replaced and the statements sent once more.
  Result<std::vector<ResultPtr>> ExecAll(const std::vector<Statement>& statements,
                                         std::string_view context);
  // Rolls back the open transaction, if the connection is up; errors are ignored.
  void RollBack() noexcept;

  // The libpq connection (null before Connect); the reference follows reconnects.
  PGconn* const& handle() const { return conn_; }
  // The URL with the password masked, for messages.
  const std::string& display() const { return display_; }

 private:
  const std::string conninfo_;  // as given (with the password): never shown
  const std::string display_;   // conninfo_ with the password masked
  const std::string password_;  // from the URL, scrubbed out of messages
  PGconn* conn_ = nullptr;
  // Statements prepared on conn_ (see ExecAll): SQL text to name.
  std::unordered_map<std::string, std::string> prepared_;
  uint64_t next_statement_ = 0;
};

}  // namespace sluice

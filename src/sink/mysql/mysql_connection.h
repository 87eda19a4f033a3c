// MysqlConnection: the MySQL/MariaDB sink's connection to its server, through
// MariaDB Connector/C: connecting (TLS as the URL asks) and reconnecting, the
// session's settings, statements, LOAD DATA LOCAL fed from memory, prepared
// statements, the server's warnings, and the one place where MySQL errors become
// Status codes (MysqlStatus). Messages never hold the password.
//
// Every new connection sets time_zone '+00:00', a strict sql_mode, utf8mb4 and
// max_error_count 65535 (so the warnings of a statement of up to kMaxChunkRows
// rows keep the first one that is not a duplicate key), and asks once whether the
// server accepts LOAD DATA LOCAL (local_infile).
//
// While LoadDataLocal runs, the protocol is in the middle of its statement (the
// server is reading the file): every other call that would use the connection
// (Connect, EnsureConnected, Exec, Query, Warnings, ExecPrepared, LoadDataLocal
// itself) is refused with Internal, and RollBack does nothing, whether it comes
// from the load's read or from another thread.
//
// Thread-safety: none; one thread at a time per MysqlConnection, but for that
// refusal, which holds across threads.
#pragma once

#include <mysql.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "sink/mysql/mysql_url.h"

namespace sluice {

// Classifies an error of the connector or of the server: `code` is mysql_errno
// (server errors 1000-1999 and 3000+, client errors 2000-2999). `message` becomes
// the Status message, after `context` and ": ".
//
// Unavailable: connections refused or lost (2002, 2003, 2005, 2006, 2013, 2055,
// 1040 too many connections, 1053 shutdown, 1152-1161 network, 1927 killed, 4031
// idle timeout), 1213 deadlock and 1205 lock wait timeout (retried), resources
// (1021 disk full, 1037/1041 out of memory, 1114 table full), LOAD DATA LOCAL
// refused (1148, 2068, 3948: the sink then falls back to INSERT). Timeout: 1969
// and 3024 (statement time exceeded). AlreadyExists: 1062 duplicate key (the
// commit marker; rows are loaded with IGNORE, so theirs are warnings).
// PermissionDenied (the server refuses sluice: fatal at start-up, the sink is
// down at run time): 1044, 1045, 1698 (access denied), 1049 (no such database),
// 1142, 1143, 1227 (privileges), 1251 (authentication protocol), 2059 (plugin
// cannot load), 2026 (TLS refused: no TLS where ssl-mode requires it, a
// certificate that does not verify). InvalidArgument: 1059, 1103, 1166 (a name the server refuses).
// InvalidData: value and row errors (1048, 1054, 1146, 1261-1265, 1292, 1300,
// 1366, 1367, 1406, 1411, 1690, 3819, 4025). Everything else: Internal.
Status MysqlStatus(unsigned code, std::string_view message, std::string_view context);

// True for the codes MysqlStatus reads as a lost or refused connection.
bool MysqlConnectionLost(unsigned code);

// One row of SHOW WARNINGS.
struct MysqlWarning {
  unsigned code = 0;
  std::string message;
};

class MysqlConnection {
 public:
  using Row = std::vector<std::optional<std::string>>;

  explicit MysqlConnection(MysqlTarget target);
  ~MysqlConnection();
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  // Opens a new connection (closing the current one) and sets the session up.
  // Errors: as MysqlStatus (PermissionDenied, Unavailable).
  Status Connect();
  // Reconnects if no connection is open or the last error lost it.
  Status EnsureConnected();
  // The connection's last error, classified, with `context` and the password
  // scrubbed; marks the connection lost when the code says so.
  Status Error(std::string_view context);

  // Runs `sql`, discarding any result. Outside a transaction a connection found
  // dead is replaced and `sql` sent once more (this sink's statements outside a
  // transaction only read, or are idempotent DDL).
  Status Exec(const std::string& sql, std::string_view context);
  // Runs `sql` and returns its rows, cells as text (nullopt for NULL); retried
  // as Exec.
  Result<std::vector<Row>> Query(const std::string& sql, std::string_view context);
  // `value` as a quoted string literal for this connection's character set.
  std::string Literal(std::string_view value) const;

  // Fills `buf` (at most `len` bytes) with the next bytes of the file LOAD DATA
  // LOCAL reads; returns how many, 0 at its end, or -1 to end the statement with
  // an error (what was sent before stays in the transaction: roll it back).
  using InfileRead = std::function<int(char* buf, unsigned len)>;
  // Runs `sql`, a LOAD DATA LOCAL INFILE statement, feeding it what `read` gives
  // as the file (from memory, no file is read). Returns the rows the server
  // stored. May run on another thread than the other calls, never at the same time:
  // a call while it runs is refused (see above), this one too.
  Result<uint64_t> LoadDataLocal(const std::string& sql, const InfileRead& read,
                                 std::string_view context);
  // The same, `data` being the whole file.
  Result<uint64_t> LoadDataLocal(const std::string& sql, std::string_view data,
                                 std::string_view context);
  // Runs the prepared statement of `sql` (prepared once per connection) with
  // `binds`; returns the rows it stored.
  Result<uint64_t> ExecPrepared(const std::string& sql, MYSQL_BIND* binds,
                                std::string_view context);
  // The warnings of the last statement (at most max_error_count, in order), and
  // their total count (mysql_warning_count), which may be larger.
  Result<std::vector<MysqlWarning>> Warnings(std::string_view context);
  unsigned WarningCount() const;

  // Rolls back the open transaction if the connection is up and runs no LOAD DATA
  // LOCAL; errors are ignored.
  void RollBack() noexcept;
  // Whether the server accepts LOAD DATA LOCAL on this connection (asked at
  // Connect; cleared when the server refuses it anyway).
  bool local_infile() const { return local_infile_; }
  // Whether the URL lets the sink use LOAD DATA LOCAL (?local-infile=0 does not).
  bool local_infile_wanted() const { return target_.local_infile; }
  // The collation for text that must compare byte for byte without padding
  // ("utf8mb4_nopad_bin" on MariaDB, "utf8mb4_0900_bin" on MySQL 8).
  const std::string& binary_collation() const { return binary_collation_; }
  // Whether the connection was open and is not known to be lost.
  bool up() const { return conn_ != nullptr && !lost_; }
  const std::string& display() const { return target_.display; }
  const std::string& database() const { return target_.database; }

 private:
  void Close() noexcept;
  bool InTransaction() const;
  // Runs `sql` once; a dead idle connection is replaced and `sql` sent again.
  Status Send(const std::string& sql, std::string_view context);
  // Busy(context) if LoadDataLocal is running; else Ok.
  Status RefuseWhileLoading(std::string_view context) const;
  // Internal, naming `context`: the connection runs a LOAD DATA LOCAL.
  Status Busy(std::string_view context) const;

  const MysqlTarget target_;
  MYSQL* conn_ = nullptr;
  bool lost_ = false;
  bool local_infile_ = false;
  std::string binary_collation_;
  const InfileRead* infile_ = nullptr;                     // what the running LOAD DATA LOCAL reads
  std::atomic<bool> loading_{false};                       // LoadDataLocal is running
  std::unordered_map<std::string, MYSQL_STMT*> prepared_;  // SQL text to statement
};

}  // namespace sluice

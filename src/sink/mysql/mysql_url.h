// MySQL and MariaDB sink URLs: "mysql://[user[:password]@]host[:port]/database
// [?ssl-mode=...&ssl-ca=...]" (also "mariadb://") read into what the connection
// needs, shown with the password hidden, and given a password kept out of the URL.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "sink/sink_scheme.h"

namespace sluice {

// TLS as the MySQL client's --ssl-mode names it.
enum class MysqlSslMode { kDisabled, kPreferred, kRequired, kVerifyCa, kVerifyIdentity };

struct MysqlTarget {
  std::string host;  // name or address; "localhost" connects through the socket
  unsigned port = 3306;
  std::string user = "root";
  std::string password;
  std::string database;
  std::string socket;  // ?socket=PATH: the Unix socket for host "localhost"
  MysqlSslMode ssl_mode = MysqlSslMode::kPreferred;
  std::string ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_cipher, ssl_crl;
  unsigned connect_timeout = 10;  // seconds
  bool local_infile = true;       // ?local-infile=0: INSERT even where LOAD DATA LOCAL works
  std::string display;            // RedactMysqlUrl(url)
};

// Parses "mysql://" or "mariadb://" URLs. The user info runs to the URL's LAST
// '@' and the user name to its first ':', so a password may hold any byte; user,
// password and database may be percent-encoded. Port 3306 unless given; user
// "root" unless given; the database is required. Parameters: ssl-mode
// (DISABLED, PREFERRED (default), REQUIRED, VERIFY_CA, VERIFY_IDENTITY),
// ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher, ssl-crl (paths and values
// percent-decoded), socket, connect-timeout (seconds), local-infile (1, the
// default: LOAD DATA LOCAL where the server allows it; 0: always INSERT). Errors: InvalidArgument
// (another scheme, no host or database, a bad port, an unknown parameter or
// ssl-mode, a NUL byte; the message never repeats the password).
Result<MysqlTarget> ParseMysqlUrl(std::string_view url);

// `url` with the password of its user info replaced by "***", the rest as
// written; text that is not a mysql:// or mariadb:// URL through RedactUserInfo.
std::string RedactMysqlUrl(std::string_view url);

// The sink's registry entry: mysql:// and mariadb://. A password kept out of the
// URL goes into its user info, percent-encoded (user "root" if none is named).
extern const SinkScheme kMysqlScheme;

}  // namespace sluice

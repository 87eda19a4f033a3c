// Helpers of the PostgreSQL sink that need no server: hiding passwords in
// connection strings, array parameters, and the one place where PostgreSQL
// errors become Status codes.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sluice {

// `url` (a postgresql:// or postgres:// URI, or a key=value conninfo string, with or
// without a "postgresql:" prefix) with every password replaced by "***": the
// password of the URI's user info, and the value of any `password` parameter
// (its name percent-decoded as libpq decodes it; every item after a '?' or '&'),
// found where libpq finds them (a URI's user info ends at the first '@' unless a
// '/' comes first). Everything else is kept as written, so the result still says
// where sluice connects. For a URI ParsePostgresUrl refuses as ambiguous, the
// mask runs from the user info's first ':' to the URI's last '@'. Where libpq
// parses the text, the result is read back with libpq: if its password is not the
// mask, all after the scheme is hidden. Where libpq cannot parse key=value text,
// all after its first "password" is hidden. All after a NUL byte is hidden.
std::string RedactPostgresUrl(std::string_view url);

// A sink URL as libpq reads it.
struct PostgresTarget {
  std::string conninfo;  // for PQconnectdbParams' dbname (URI or key=value text)
  std::string password;  // as libpq decoded it; empty if none
  std::string display;   // RedactPostgresUrl(url)
};

// Parses `url` (as RedactPostgresUrl) with libpq's PQconninfoParse, the parser the
// connection uses. Errors: InvalidArgument for text libpq refuses, a NUL byte, and for a URI
// with a raw '/' or '@' in its user info, which libpq would read as a host, port
// or database and then repeat in its errors. No message holds a password.
Result<PostgresTarget> ParsePostgresUrl(std::string_view url);

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

}  // namespace sluice

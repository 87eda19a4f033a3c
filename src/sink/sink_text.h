// Text rules shared by the sinks and the sink registry: percent-encoding, hiding
// a password in driver messages, and quoting SQL identifiers. Not a sink: any
// sink may include it.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/table.h"

namespace sluice {

// Every byte but RFC 3986's unreserved characters ([A-Za-z0-9-._~]) as %XX.
std::string PercentEncode(std::string_view text);
// Each %XX (two hex digits) as its byte; any other '%' stays as written.
std::string PercentDecode(std::string_view text);

// A URI's user info as the ClickHouse and MySQL sinks read it, in the text after
// "scheme://": up to its LAST '@' (a password may then hold any byte; hosts,
// database names (percent-encoded) and those sinks' parameters hold none), the
// user name up to the first ':'. Parts as written (percent-encoded).
struct UriUserInfo {
  std::string_view user, password;
  bool has_user_info = false;  // an '@' was found
  bool has_password = false;   // the user info has a ':'
  std::string_view rest;       // what follows the user info: host[:port][/path][?query]

  // `scheme` ("mysql://"), the user info with its password as "***", the rest.
  std::string Redacted(std::string_view scheme) const;
  // `scheme`, the user (`default_user` if none), ':', `password` percent-encoded,
  // '@', the rest.
  std::string WithPassword(std::string_view scheme, std::string_view default_user,
                           std::string_view password) const;
};
UriUserInfo SplitUriUserInfo(std::string_view after_scheme);

// `message` with `password` (as is, and percent-encoded with upper- or lower-case
// hex digits) replaced by "***": for driver messages, which may repeat what they
// were given. An empty password changes nothing.
std::string ScrubPassword(std::string message, std::string_view password);

// `identifier` in double quotes, each '"' doubled: the SQL standard's quoting,
// which SQLite and PostgreSQL share; any name (hostile ones included) is then
// just a name.
std::string QuoteSqlIdentifier(std::string_view identifier);
// The same with backticks, each '`' doubled: MySQL's and MariaDB's quoting.
std::string QuoteBacktickIdentifier(std::string_view identifier);
// The names of `columns`, each quoted by `quote`, separated by ", ".
std::string QuotedColumnList(const std::vector<ColumnDef>& columns,
                             std::string (*quote)(std::string_view));

}  // namespace sluice

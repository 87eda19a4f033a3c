// Text rules shared by the sinks and the sink registry: percent-encoding, hiding
// a password in driver messages, and quoting SQL identifiers. Not a sink: any
// sink may include it.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

// Every byte but RFC 3986's unreserved characters ([A-Za-z0-9-._~]) as %XX.
std::string PercentEncode(std::string_view text);
// Each %XX (two hex digits) as its byte; any other '%' stays as written.
std::string PercentDecode(std::string_view text);

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

}  // namespace sluice

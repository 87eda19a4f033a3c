// PostgreSQL sink URLs: how sluice reads a postgresql:// URI or key=value
// conninfo text (with libpq's own parser) and shows it with every password hidden.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "sink/sink_scheme.h"

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

// The PostgreSQL sink's registry entry: postgresql:// and postgres:// (also
// "postgresql:key=value ..."). A password kept out of the URL becomes its last
// `password` parameter, which libpq prefers to one in the user info or earlier.
extern const SinkScheme kPostgresScheme;

}  // namespace sluice

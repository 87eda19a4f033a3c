// ClickHouse sink URLs: "clickhouse[s]://[user[:password]@]host[:port][/database]
// [?compression=gzip]" read into an endpoint, shown with the password hidden, and
// given a password.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "sink/sink_scheme.h"

namespace sluice {

struct ClickHouseEndpoint {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string user = "default";
  std::string password;
  std::string database = "default";
  bool gzip = false;  // compress request bodies (Content-Encoding: gzip)

  // "clickhouse[s]://host:port/database" without the credentials, for messages.
  std::string Redacted() const;
};

// Parses "clickhouse://[user[:password]@]host[:port][/database][?compression=gzip]"
// ("clickhouses://" for HTTPS). The user info runs to the URL's LAST '@' and the
// user name to its first ':', so a password may hold any byte, raw '/', '?', '#',
// ':' and '@' included; an '@' elsewhere (a database name) must be
// percent-encoded. User, password and database may be percent-encoded ("%zz", not
// a code, stays as written). Default port 8123 (8443 with TLS), user "default",
// database "default". Errors: InvalidArgument (a '#' after the user info, a line
// break in user or password, a bad port, no host, an unknown parameter; the
// message never repeats the password).
Result<ClickHouseEndpoint> ParseClickHouseUrl(std::string_view url);

// `url` with the password that ParseClickHouseUrl finds replaced by "***" (the
// rest as written); a URL without the scheme is returned as is.
std::string RedactClickHouseUrl(std::string_view url);

// `url` with its user info's password replaced by `password` (percent-encoded; the
// user is "default" if the URL names none), read as ParseClickHouseUrl reads it.
std::string ClickHouseUrlWithPassword(std::string_view url, std::string_view password);

// As RedactClickHouseUrl for "clickhouse[s]://…"; any other text (a URL it does
// not read, such as "clickhouse:h") through RedactUserInfo.
std::string RedactClickHouseUrlOrUserInfo(std::string_view url);

// The ClickHouse sink's registry entry: clickhouse:// and clickhouses://. A
// password kept out of the URL goes into its user info.
extern const SinkScheme kClickHouseScheme;

}  // namespace sluice

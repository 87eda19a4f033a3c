// The sink registry: which sink a URL names, and everything sluice does with a
// sink URL before a sink exists (open it, add a password kept out of the URL,
// show it without the password). Each sink folder defines its SinkScheme
// (sink_scheme.h) beside its URL parser, and one table in registry.cc lists
// them: a new sink is its folder plus one line there.
// Sinks never include this file; the pipeline, the CLI, tests and fuzz targets do.
//
// Thread-safety: pure functions; OpenSink returns a new, unshared sink.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sink/sink.h"

namespace sluice {

// Opens a sink for a URL: "sqlite:PATH" (also "sqlite://PATH"),
// "postgresql://…" / "postgres://…" / "postgresql:key=value …",
// "clickhouse://…" / "clickhouses://…", "mysql://…" / "mariadb://…". Errors: InvalidArgument
// (unknown scheme, bad URL), Unavailable (cannot connect), the sink's own.
Result<std::unique_ptr<Sink>> OpenSink(std::string_view url);

// `url` with its password replaced by `password` (any byte but NUL), for a password
// kept out of the URL (a password file): PostgreSQL URLs get a last `password`
// parameter, which libpq prefers to one in the user info or earlier; ClickHouse
// URLs get it in the user info (user "default" unless the URL names one). The
// result holds the password: show it only through RedactSinkUrl. Errors:
// InvalidArgument (an SQLite URL, as SQLite takes no password; unknown scheme; a
// URL the scheme's parser would not read back with exactly this password).
Result<std::string> SinkUrlWithPassword(std::string_view url, std::string_view password);

// `url` fit for logs and messages: any password replaced by "***", found by the
// parser that connects (RedactPostgresUrl, RedactClickHouseUrl); for another
// scheme, a URI's user info after its first ':' up to the last '@' and any
// password parameter.
std::string RedactSinkUrl(std::string_view url);

}  // namespace sluice

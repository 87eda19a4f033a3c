#include "sink/registry.h"

#include <utility>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/clickhouse/clickhouse_url.h"
#include "sink/postgres/pg_url.h"
#include "sink/postgres/postgres_sink.h"
#include "sink/sink_text.h"
#include "sink/sqlite/sqlite_sink.h"

namespace sluice {
namespace {

// Each function of an entry receives the whole URL, whose scheme it has.
struct SinkScheme {
  std::string_view schemes[2];  // the second may be empty
  Result<std::unique_ptr<Sink>> (*open)(std::string_view url);
  // See SinkUrlWithPassword.
  Result<std::string> (*with_password)(std::string_view url, std::string_view password);
  // See RedactSinkUrl.
  std::string (*redact)(std::string_view url);
};

// A sink's static Open(url), returning its own type, as an entry's `open`.
template <auto kOpen>
Result<std::unique_ptr<Sink>> OpenAs(std::string_view url) {
  auto sink = kOpen(url);
  if (!sink.has_value()) return std::move(sink).error();
  return std::unique_ptr<Sink>(std::move(*sink));
}

// A URL of no known scheme: all a password could be is hidden.
std::string RedactUnknown(std::string_view url) {
  std::string out(url);
  const size_t authority = url.find("://");
  const size_t at = url.rfind('@');
  if (authority != std::string_view::npos && at != std::string_view::npos && at > authority) {
    const size_t colon = url.find(':', authority + 3);
    if (colon < at)
      out = std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
  }
  const size_t param = out.find("password=");
  if (param != std::string::npos) out = out.substr(0, param + 9) + "***";
  return out;
}

// "sqlite:PATH" or "sqlite://PATH"; PATH is relative or absolute
// ("sqlite:///var/db.sqlite" is the absolute /var/db.sqlite).
Result<std::unique_ptr<Sink>> OpenSqlite(std::string_view url) {
  std::optional<std::string> path = SqliteSinkPath(url);
  if (!path) {
    return Status::InvalidArgument("sink URL \"" + std::string(url) + "\" has no database path");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteSink> sink, SqliteSink::Open(*path));
  return std::unique_ptr<Sink>(std::move(sink));
}

Result<std::string> SqliteWithPassword(std::string_view, std::string_view) {
  return Status::InvalidArgument("sqlite sinks take no password");
}

// An SQLite URL holds a path and no password.
std::string SqliteRedacted(std::string_view url) { return std::string(url); }

// `with` (`url` given `password`) if `parsed`, what the sink's URL parser read
// back from it, holds exactly that password; else InvalidArgument (never showing
// the password). `misread` says why when the parser read another password.
template <typename Parsed>
Result<std::string> ReadBack(std::string_view sink, std::string_view url, std::string with,
                             const Result<Parsed>& parsed, std::string_view password,
                             const char* misread) {
  if (parsed.has_value() && parsed->password == password) return with;
  std::string why =
      parsed.has_value() ? misread : ScrubPassword(parsed.error().message(), password);
  return Status::InvalidArgument(std::string(sink) + " sink " + RedactSinkUrl(url) +
                                 ": cannot take a password: " + why);
}

// libpq keeps the last value given for a keyword, and reads a URI's query
// parameters after its user info, so a password appended last wins over any
// the URL already has.
Result<std::string> PostgresWithPassword(std::string_view url, std::string_view password) {
  std::string out(url);
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    if (url.find('?') == std::string_view::npos) {
      out += '?';
    } else if (!url.ends_with('?') && !url.ends_with('&')) {
      out += '&';
    }
    out += "password=" + PercentEncode(password);  // may hold '@', '&', '%'
  } else {
    // Key=value text: a single-quoted value, with ' and \ escaped by a backslash.
    out += " password='";
    for (const char c : password) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
  }
  // Text libpq reads otherwise (an unterminated quote swallowing the password, a
  // NUL byte cutting it off) would connect without it or show it: refused.
  Result<PostgresTarget> target = ParsePostgresUrl(out);
  return ReadBack("postgres", url, std::move(out), target, password,
                  "libpq would not read the password added to it");
}

Result<std::string> ClickHouseWithPassword(std::string_view url, std::string_view password) {
  std::string out = ClickHouseUrlWithPassword(url, password);
  // Only a URL ParseClickHouseUrl reads, with this password, takes it: else
  // ("clickhouse:h", one slash) the password would land where no redaction looks.
  Result<ClickHouseEndpoint> endpoint = ParseClickHouseUrl(out);
  return ReadBack("clickhouse", url, std::move(out), endpoint, password,
                  "the password added to it would be misread");
}

// Only "clickhouse[s]://…" is a URL ParseClickHouseUrl reads.
std::string ClickHouseRedacted(std::string_view url) {
  return url.substr(url.find(':')).starts_with("://") ? RedactClickHouseUrl(url)
                                                      : RedactUnknown(url);
}

constexpr SinkScheme kSinks[] = {
    {{"sqlite"}, &OpenSqlite, &SqliteWithPassword, &SqliteRedacted},
    {{"clickhouse", "clickhouses"},
     &OpenAs<&ClickHouseSink::Open>,
     &ClickHouseWithPassword,
     &ClickHouseRedacted},
    {{"postgresql", "postgres"},
     &OpenAs<&PostgresSink::Open>,
     &PostgresWithPassword,
     &RedactPostgresUrl},
};

// The entry of `url`'s scheme (the text before its first ':'), or null.
const SinkScheme* Lookup(std::string_view url) {
  const size_t colon = url.find(':');
  if (colon == std::string_view::npos) return nullptr;
  const std::string_view scheme = url.substr(0, colon);
  for (const SinkScheme& sink : kSinks) {
    for (std::string_view known : sink.schemes) {
      if (!known.empty() && known == scheme) return &sink;
    }
  }
  return nullptr;
}

// The entry of `url`'s scheme, or InvalidArgument naming the supported ones.
Result<const SinkScheme*> FindScheme(std::string_view url) {
  if (const SinkScheme* sink = Lookup(url)) return sink;
  std::string supported;
  for (const SinkScheme& sink : kSinks) {
    for (std::string_view known : sink.schemes) {
      if (known.empty()) continue;
      if (!supported.empty()) supported += ", ";
      supported += known;
    }
  }
  return Status::InvalidArgument("unsupported sink \"" + RedactSinkUrl(url) +
                                 "\" (supported schemes: " + supported + ")");
}

}  // namespace

Result<std::unique_ptr<Sink>> OpenSink(std::string_view url) {
  ASSIGN_OR_RETURN(const SinkScheme* sink, FindScheme(url));
  return sink->open(url);
}

std::optional<std::string> SqliteSinkPath(std::string_view url) {
  if (!url.starts_with("sqlite:")) return std::nullopt;
  std::string_view path = url.substr(url.find(':') + 1);
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) return std::nullopt;
  return std::string(path);
}

Result<std::string> SinkUrlWithPassword(std::string_view url, std::string_view password) {
  ASSIGN_OR_RETURN(const SinkScheme* sink, FindScheme(url));
  return sink->with_password(url, password);
}

std::string RedactSinkUrl(std::string_view url) {
  const SinkScheme* sink = Lookup(url);
  return sink != nullptr ? sink->redact(url) : RedactUnknown(url);
}

}  // namespace sluice

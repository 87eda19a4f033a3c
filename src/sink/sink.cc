#include "sink/sink.h"

#include <string>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/postgres/pg_support.h"
#include "sink/postgres/postgres_sink.h"
#include "sink/sqlite/sqlite_sink.h"

namespace sluice {
namespace {

// Each opener receives the whole URL; its scheme has already been matched.
using SinkOpener = Result<std::unique_ptr<Sink>> (*)(std::string_view url);

// "sqlite:PATH" or "sqlite://PATH"; PATH is relative or absolute
// ("sqlite:///var/db.sqlite" is the absolute /var/db.sqlite).
Result<std::unique_ptr<Sink>> OpenSqlite(std::string_view url) {
  std::string_view path = url.substr(url.find(':') + 1);
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) {
    return Status::InvalidArgument("sink URL \"" + std::string(url) + "\" has no database path");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteSink> sink, SqliteSink::Open(std::string(path)));
  return std::unique_ptr<Sink>(std::move(sink));
}

// "postgresql://..." / "postgres://..." (libpq URI) or "postgresql:key=value ...".
Result<std::unique_ptr<Sink>> OpenPostgres(std::string_view url) {
  ASSIGN_OR_RETURN(std::unique_ptr<PostgresSink> sink, PostgresSink::Open(url));
  return std::unique_ptr<Sink>(std::move(sink));
}

// "clickhouse://user:password@host:port/database" (HTTP; "clickhouses://" for
// HTTPS); see ParseClickHouseUrl.
Result<std::unique_ptr<Sink>> OpenClickHouse(std::string_view url) {
  ASSIGN_OR_RETURN(std::unique_ptr<ClickHouseSink> sink, ClickHouseSink::Open(url));
  return std::unique_ptr<Sink>(std::move(sink));
}

struct SinkScheme {
  std::string_view scheme;
  SinkOpener open;
};

constexpr SinkScheme kSchemes[] = {
    {"sqlite", &OpenSqlite},          {"clickhouse", &OpenClickHouse},
    {"clickhouses", &OpenClickHouse}, {"postgresql", &OpenPostgres},
    {"postgres", &OpenPostgres},
};

}  // namespace

std::string RedactSinkUrl(std::string_view url) {
  // RedactPostgresUrl's URI rules (user info, password= parameter) fit any URI.
  if (url.find("://") != std::string_view::npos || url.starts_with("postgresql:") ||
      url.starts_with("postgres:")) {
    return RedactPostgresUrl(url);
  }
  return std::string(url);
}

Result<std::unique_ptr<Sink>> OpenSink(std::string_view url) {
  const size_t colon = url.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view scheme = url.substr(0, colon);
    for (const SinkScheme& known : kSchemes) {
      if (known.scheme == scheme) return known.open(url);
    }
  }
  std::string supported;
  for (const SinkScheme& known : kSchemes) {
    if (!supported.empty()) supported += ", ";
    supported += known.scheme;
  }
  return Status::InvalidArgument("unsupported sink \"" + RedactSinkUrl(url) +
                                 "\" (supported schemes: " + supported + ")");
}

}  // namespace sluice

#include "sink/registry.h"

#include "sink/clickhouse/clickhouse_url.h"
#include "sink/mysql/mysql_url.h"
#include "sink/parquet/parquet_url.h"
#include "sink/postgres/pg_url.h"
#include "sink/sink_scheme.h"
#include "sink/sqlite/sqlite_url.h"

namespace sluice {
namespace {

// Every sink sluice can load into: one line each.
// clang-format off
const SinkScheme* const kSinks[] = {
    &kSqliteScheme,
    &kClickHouseScheme,
    &kPostgresScheme,
    &kMysqlScheme,
    &kParquetScheme,
};
// clang-format on

// The entry of `url`'s scheme (the text before its first ':'), or null.
const SinkScheme* Lookup(std::string_view url) {
  const size_t colon = url.find(':');
  if (colon == std::string_view::npos) return nullptr;
  const std::string_view scheme = url.substr(0, colon);
  for (const SinkScheme* sink : kSinks) {
    for (std::string_view known : sink->schemes) {
      if (!known.empty() && known == scheme) return sink;
    }
  }
  return nullptr;
}

// The entry of `url`'s scheme, or InvalidArgument naming the supported ones.
Result<const SinkScheme*> FindScheme(std::string_view url) {
  if (const SinkScheme* sink = Lookup(url)) return sink;
  std::string supported;
  for (const SinkScheme* sink : kSinks) {
    for (std::string_view known : sink->schemes) {
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

Result<std::string> SinkUrlWithPassword(std::string_view url, std::string_view password) {
  ASSIGN_OR_RETURN(const SinkScheme* sink, FindScheme(url));
  return sink->with_password(url, password);
}

std::string RedactSinkUrl(std::string_view url) {
  const SinkScheme* sink = Lookup(url);
  return sink != nullptr ? sink->redact(url) : RedactUserInfo(url);
}

}  // namespace sluice

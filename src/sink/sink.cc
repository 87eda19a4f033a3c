#include "sink/sink.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "sink/clickhouse/clickhouse_http.h"
#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/postgres/pg_url.h"
#include "sink/postgres/postgres_sink.h"
#include "sink/sqlite/sqlite_sink.h"

namespace sluice {
namespace {

// Each opener receives the whole URL; its scheme has already been matched.
using SinkOpener = Result<std::unique_ptr<Sink>> (*)(std::string_view url);
// See SinkUrlWithPassword; the URL's scheme has already been matched.
using PasswordSetter = Result<std::string> (*)(std::string_view url, std::string_view password);

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

// "postgresql://..." / "postgres://..." (libpq URI) or "postgresql:key=value ...".
Result<std::unique_ptr<Sink>> OpenPostgres(std::string_view url) {
  ASSIGN_OR_RETURN(std::unique_ptr<PostgresSink> sink, PostgresSink::Open(url));
  return std::unique_ptr<Sink>(std::move(sink));
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
  if (!target.has_value() || target->password != password) {
    std::string why = target.has_value() ? "libpq would not read the password added to it"
                                         : ScrubPassword(target.error().message(), password);
    return Status::InvalidArgument("postgres sink " + RedactSinkUrl(url) +
                                   ": cannot take a password: " + why);
  }
  return out;
}

// "clickhouse://user:password@host:port/database" (HTTP; "clickhouses://" for
// HTTPS); see ParseClickHouseUrl.
Result<std::unique_ptr<Sink>> OpenClickHouse(std::string_view url) {
  ASSIGN_OR_RETURN(std::unique_ptr<ClickHouseSink> sink, ClickHouseSink::Open(url));
  return std::unique_ptr<Sink>(std::move(sink));
}

Result<std::string> ClickHouseWithPassword(std::string_view url, std::string_view password) {
  std::string out = ClickHouseUrlWithPassword(url, password);
  // Only a URL ParseClickHouseUrl reads, with this password, takes it: else
  // ("clickhouse:h", one slash) the password would land where no redaction looks.
  Result<ClickHouseEndpoint> endpoint = ParseClickHouseUrl(out);
  if (!endpoint.has_value() || endpoint->password != password) {
    std::string why = endpoint.has_value() ? "the password added to it would be misread"
                                           : ScrubPassword(endpoint.error().message(), password);
    return Status::InvalidArgument("clickhouse sink " + RedactSinkUrl(url) +
                                   ": cannot take a password: " + why);
  }
  return out;
}

struct SinkScheme {
  std::string_view scheme;
  SinkOpener open;
  PasswordSetter with_password;
};

constexpr SinkScheme kSchemes[] = {
    {"sqlite", &OpenSqlite, &SqliteWithPassword},
    {"clickhouse", &OpenClickHouse, &ClickHouseWithPassword},
    {"clickhouses", &OpenClickHouse, &ClickHouseWithPassword},
    {"postgresql", &OpenPostgres, &PostgresWithPassword},
    {"postgres", &OpenPostgres, &PostgresWithPassword},
};

// The scheme of `url`, or InvalidArgument naming the supported ones.
Result<const SinkScheme*> FindScheme(std::string_view url) {
  const size_t colon = url.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view scheme = url.substr(0, colon);
    for (const SinkScheme& known : kSchemes) {
      if (known.scheme == scheme) return &known;
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

}  // namespace

std::string RedactSinkUrl(std::string_view url) {
  if (url.starts_with("clickhouse://") || url.starts_with("clickhouses://")) {
    return RedactClickHouseUrl(url);
  }
  if (url.starts_with("postgresql:") || url.starts_with("postgres:")) {
    return RedactPostgresUrl(url);
  }
  if (url.starts_with("sqlite:")) return std::string(url);
  // Unknown: hide all a password could be.
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

std::string ScrubPassword(std::string message, std::string_view password) {
  if (password.empty()) return message;
  std::string lower = PercentEncode(password);
  for (size_t i = 0; i + 2 < lower.size(); ++i) {
    if (lower[i] == '%') {
      lower[i + 1] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i + 1])));
      lower[i + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i + 2])));
    }
  }
  // The longest form first: the raw password may be part of an encoded one.
  for (const std::string& form : {PercentEncode(password), lower, std::string(password)}) {
    for (size_t at = message.find(form); at != std::string::npos; at = message.find(form, at + 3)) {
      message.replace(at, form.size(), "***");
    }
  }
  return message;
}

std::string PercentEncode(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

std::string DescribeLoads(const std::vector<LoadId>& loads) {
  std::string names = "load " + loads.front().id;
  if (loads.size() > 1) names += " and " + std::to_string(loads.size() - 1) + " more";
  return names;
}

Status CheckBatchFitsTable(const Batch& batch, const TableDef& table) {
  const auto& columns = batch.columns();
  if (columns.size() != table.columns.size()) {
    return Status::Internal("batch has " + std::to_string(columns.size()) + " columns, table \"" +
                            table.name + "\" " + std::to_string(table.columns.size()));
  }
  const size_t rows = batch.rows();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = columns[i];
    if (column.def.type != table.columns[i].type || column.def.name != table.columns[i].name) {
      return Status::Internal("batch column " + std::to_string(i) + " (\"" + column.def.name +
                              "\") does not match table \"" + table.name + "\"");
    }
    size_t values = column.ints.size();
    if (column.def.type == ColumnType::kFloat) values = column.floats.size();
    if (column.def.type == ColumnType::kString) values = column.strings.size();
    if (column.nulls.size() != rows || values != rows) {
      return Status::Internal("batch column \"" + column.def.name + "\" has ragged rows");
    }
  }
  return Status::Ok();
}

std::optional<std::string> SqliteSinkPath(std::string_view url) {
  if (!url.starts_with("sqlite:")) return std::nullopt;
  std::string_view path = url.substr(url.find(':') + 1);
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) return std::nullopt;
  return std::string(path);
}

Result<std::unique_ptr<Sink>> OpenSink(std::string_view url) {
  ASSIGN_OR_RETURN(const SinkScheme* scheme, FindScheme(url));
  return scheme->open(url);
}

Result<std::string> SinkUrlWithPassword(std::string_view url, std::string_view password) {
  ASSIGN_OR_RETURN(const SinkScheme* scheme, FindScheme(url));
  return scheme->with_password(url, password);
}

}  // namespace sluice

#include "sink/sink.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/postgres/pg_support.h"
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
  std::string_view path = url.substr(url.find(':') + 1);
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) {
    return Status::InvalidArgument("sink URL \"" + std::string(url) + "\" has no database path");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteSink> sink, SqliteSink::Open(std::string(path)));
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

// True when libpq reads `conninfo` (a URI or key=value text) with exactly
// `password` as its password.
bool LibpqReadsPassword(const std::string& conninfo, std::string_view password) {
  if (conninfo.find('\0') != std::string::npos) return false;  // libpq would stop there
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  PQfreemem(error);
  if (options == nullptr) return false;
  bool same = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0) same = o->val != nullptr && password == o->val;
  }
  PQconninfoFree(options);
  return same;
}

// libpq keeps the last value given for a keyword, and reads a URI's query
// parameters after its user info, so a password appended last wins over any
// the URL already has.
Result<std::string> PostgresWithPassword(std::string_view url, std::string_view password) {
  std::string out(url);
  std::string_view conninfo_prefix;  // what OpenPostgres strips before libpq reads the rest
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    if (url.find('?') == std::string_view::npos) {
      out += '?';
    } else if (!url.ends_with('?') && !url.ends_with('&')) {
      out += '&';
    }
    out += "password=" + PercentEncode(password);  // may hold '@', '&', '%'
  } else {
    // Key=value text: a single-quoted value, with ' and \ escaped by a backslash.
    conninfo_prefix = url.substr(0, url.find(':') + 1);
    out += " password='";
    for (const char c : password) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
  }
  // Text libpq cannot read (an unterminated quote, a NUL byte) would swallow the
  // appended password, and RedactSinkUrl would then show it (found by
  // fuzz/sink_url_fuzz.cc). The URL stays out of the message for the same reason.
  if (!LibpqReadsPassword(out.substr(conninfo_prefix.size()), password)) {
    return Status::InvalidArgument(
        "the PostgreSQL sink URL cannot take a password: libpq cannot read it");
  }
  return out;
}

// "clickhouse://user:password@host:port/database" (HTTP; "clickhouses://" for
// HTTPS); see ParseClickHouseUrl.
Result<std::unique_ptr<Sink>> OpenClickHouse(std::string_view url) {
  ASSIGN_OR_RETURN(std::unique_ptr<ClickHouseSink> sink, ClickHouseSink::Open(url));
  return std::unique_ptr<Sink>(std::move(sink));
}

// The user info is replaced; as in ParseClickHouseUrl, it ends at the last '@'
// before the query.
Result<std::string> ClickHouseWithPassword(std::string_view url, std::string_view password) {
  // Without "://" there is no user info to replace, and a result RedactSinkUrl
  // cannot recognise would show the password (found by fuzz/sink_url_fuzz.cc).
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end != url.find(':')) {
    // The URL itself stays out of the message: its password is not where redaction looks.
    return Status::InvalidArgument(
        "a ClickHouse sink URL must start with clickhouse:// or "
        "clickhouses://");
  }
  const size_t authority = scheme_end + 3;
  std::string_view rest = url.substr(authority);
  std::string_view user;
  if (const size_t at = rest.substr(0, rest.find('?')).rfind('@'); at != std::string_view::npos) {
    user = rest.substr(0, std::min(rest.find(':'), at));
    rest.remove_prefix(at + 1);
  }
  if (user.empty()) user = "default";
  return std::string(url.substr(0, authority)) + std::string(user) + ":" + PercentEncode(password) +
         "@" + std::string(rest);
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
  // ParseClickHouseUrl ends the user info at the last '@' before the query, even
  // past a '/', where URI rules end the authority: redact by its rule first, or
  // "clickhouse://u/x:secret@host" would keep its password (found by
  // fuzz/sink_url_fuzz.cc).
  std::string clickhouse;
  if (url.starts_with("clickhouse://") || url.starts_with("clickhouses://")) {
    const size_t authority = url.find("://") + 3;
    const size_t at = url.substr(0, url.find('?')).rfind('@');
    const size_t colon = url.find(':', authority);
    if (at != std::string_view::npos && at > authority && colon < at) {
      clickhouse = std::string(url.substr(0, colon)) + ":***" + std::string(url.substr(at));
      url = clickhouse;
    }
  }
  // RedactPostgresUrl's URI rules (user info, password= parameter) fit any URI.
  if (url.find("://") != std::string_view::npos || url.starts_with("postgresql:") ||
      url.starts_with("postgres:")) {
    return RedactPostgresUrl(url);
  }
  return std::string(url);
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

Result<std::unique_ptr<Sink>> OpenSink(std::string_view url) {
  ASSIGN_OR_RETURN(const SinkScheme* scheme, FindScheme(url));
  return scheme->open(url);
}

Result<std::string> SinkUrlWithPassword(std::string_view url, std::string_view password) {
  ASSIGN_OR_RETURN(const SinkScheme* scheme, FindScheme(url));
  return scheme->with_password(url, password);
}

}  // namespace sluice

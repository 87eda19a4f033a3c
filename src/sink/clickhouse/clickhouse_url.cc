#include "sink/clickhouse/clickhouse_url.h"

#include <charconv>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

// A clickhouse:// URL as written (see ParseClickHouseUrl): the one reading shared
// by the connection, the redaction and the password setter.
struct UrlParts : UriUserInfo {
  bool tls = false;
  std::string_view scheme;  // "clickhouse://" or "clickhouses://"
};

bool SplitClickHouseUrl(std::string_view url, UrlParts& p) {
  if (url.starts_with("clickhouse://")) {
    p.scheme = url.substr(0, 13);
  } else if (url.starts_with("clickhouses://")) {
    p.tls = true;
    p.scheme = url.substr(0, 14);
  } else {
    return false;
  }
  static_cast<UriUserInfo&>(p) = SplitUriUserInfo(url.substr(p.scheme.size()));
  return true;
}

}  // namespace

std::string ClickHouseEndpoint::Redacted() const {
  return std::string(tls ? "clickhouses://" : "clickhouse://") + host + ":" + std::to_string(port) +
         "/" + database;
}

std::string RedactClickHouseUrl(std::string_view url) {
  UrlParts p;
  if (!SplitClickHouseUrl(url, p)) return std::string(url);
  return p.Redacted(p.scheme);
}

std::string ClickHouseUrlWithPassword(std::string_view url, std::string_view password) {
  UrlParts p;
  if (!SplitClickHouseUrl(url, p)) return std::string(url);
  return p.WithPassword(p.scheme, "default", password);
}

Result<ClickHouseEndpoint> ParseClickHouseUrl(std::string_view url) {
  ClickHouseEndpoint e;
  UrlParts parts;
  if (!SplitClickHouseUrl(url, parts)) {
    return Status::InvalidArgument("not a clickhouse:// or clickhouses:// URL");
  }
  e.tls = parts.tls;
  e.port = e.tls ? 8443 : 8123;
  e.user = PercentDecode(parts.user);
  e.password = PercentDecode(parts.password);
  // Header values end at a line break.
  if (e.user.find_first_of("\r\n") != std::string::npos ||
      e.password.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument("clickhouse URL: a line break in the user name or password");
  }
  std::string_view rest = parts.rest;
  if (rest.find('#') != std::string_view::npos) {
    return Status::InvalidArgument(
        "clickhouse URL: a '#' after the user info (percent-encode it as %23)");
  }
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  if (size_t colon = rest.rfind(':');
      colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    host = rest.substr(0, colon);
    std::string_view port = rest.substr(colon + 1);
    int value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value <= 0 || value > 65535) {
      return Status::InvalidArgument("clickhouse URL: bad port \"" + std::string(port) + "\"");
    }
    e.port = value;
  }
  if (host.empty()) return Status::InvalidArgument("clickhouse URL has no host");
  e.host = std::string(host);
  if (!path.empty()) e.database = PercentDecode(path);
  if (e.user.empty()) e.user = "default";
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param == "compression=gzip") {
      e.gzip = true;
    } else if (param == "compression=none" || param.empty()) {
      e.gzip = false;
    } else {
      return Status::InvalidArgument("clickhouse URL: unknown parameter \"" + std::string(param) +
                                     "\" (supported: compression=gzip|none)");
    }
  }
  return e;
}

namespace {

Result<std::string> ClickHouseWithPassword(std::string_view url, std::string_view password) {
  std::string out = ClickHouseUrlWithPassword(url, password);
  // Only a URL ParseClickHouseUrl reads, with this password, takes it: else
  // ("clickhouse:h", one slash) the password would land where no redaction looks.
  Result<ClickHouseEndpoint> endpoint = ParseClickHouseUrl(out);
  return PasswordReadBack("clickhouse", RedactClickHouseUrlOrUserInfo(url), std::move(out),
                          endpoint, password, "the password added to it would be misread");
}

}  // namespace

std::string RedactClickHouseUrlOrUserInfo(std::string_view url) {
  return url.substr(url.find(':')).starts_with("://") ? RedactClickHouseUrl(url)
                                                      : RedactUserInfo(url);
}

const SinkScheme kClickHouseScheme = {{"clickhouse", "clickhouses"},
                                      &OpenSinkAs<&ClickHouseSink::Open>,
                                      &ClickHouseWithPassword,
                                      &RedactClickHouseUrlOrUserInfo};

}  // namespace sluice

#include "sink/mysql/mysql_url.h"

#include <charconv>
#include <utility>

#include "sink/mysql/mysql_sink.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

// A mysql:// URL as written: the one reading shared by the parser, the
// redaction and the password setter.
struct UrlParts : UriUserInfo {
  std::string_view scheme;  // "mysql://" or "mariadb://"
};

bool Split(std::string_view url, UrlParts& p) {
  for (std::string_view scheme : {"mysql://", "mariadb://"}) {
    if (url.starts_with(scheme)) p.scheme = url.substr(0, scheme.size());
  }
  if (p.scheme.empty()) return false;
  static_cast<UriUserInfo&>(p) = SplitUriUserInfo(url.substr(p.scheme.size()));
  return true;
}

Status Bad(const std::string& display, const std::string& why) {
  return Status::InvalidArgument("mysql sink " + display + ": " + why);
}

Result<MysqlSslMode> ParseSslMode(std::string_view text) {
  static constexpr std::pair<std::string_view, MysqlSslMode> kModes[] = {
      {"DISABLED", MysqlSslMode::kDisabled},
      {"PREFERRED", MysqlSslMode::kPreferred},
      {"REQUIRED", MysqlSslMode::kRequired},
      {"VERIFY_CA", MysqlSslMode::kVerifyCa},
      {"VERIFY_IDENTITY", MysqlSslMode::kVerifyIdentity}};
  for (const auto& [name, mode] : kModes) {
    if (text.size() == name.size()) {
      bool same = true;
      for (size_t i = 0; i < name.size(); ++i) {
        const char c = text[i] >= 'a' && text[i] <= 'z' ? static_cast<char>(text[i] - 32) : text[i];
        same = same && c == name[i];
      }
      if (same) return mode;
    }
  }
  return Status::InvalidArgument(
      "unknown ssl-mode \"" + std::string(text) +
      "\" (DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY)");
}

Result<unsigned> ParseNumber(std::string_view text, unsigned low, unsigned high) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return Status::InvalidArgument("\"" + std::string(text) + "\" is not a number from " +
                                   std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

Status ApplyParameter(std::string_view name, const std::string& value, MysqlTarget& t) {
  if (name == "ssl-mode") {
    ASSIGN_OR_RETURN(t.ssl_mode, ParseSslMode(value));
  } else if (name == "local-infile") {
    ASSIGN_OR_RETURN(const unsigned on, ParseNumber(value, 0, 1));
    t.local_infile = on == 1;
  } else if (name == "connect-timeout") {
    ASSIGN_OR_RETURN(t.connect_timeout, ParseNumber(value, 1, 3600));
  } else {
    std::pair<std::string_view, std::string*> texts[] = {
        {"ssl-ca", &t.ssl_ca},   {"ssl-capath", &t.ssl_capath}, {"ssl-cert", &t.ssl_cert},
        {"ssl-key", &t.ssl_key}, {"ssl-cipher", &t.ssl_cipher}, {"ssl-crl", &t.ssl_crl},
        {"socket", &t.socket}};
    for (auto& [known, field] : texts) {
      if (name == known) {
        *field = value;
        return Status::Ok();
      }
    }
    return Status::InvalidArgument(
        "unknown parameter \"" + std::string(name) +
        "\" (supported: ssl-mode, ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher, ssl-crl, "
        "socket, connect-timeout, local-infile)");
  }
  return Status::Ok();
}

Result<std::string> MysqlWithPassword(std::string_view url, std::string_view password) {
  UrlParts p;
  if (!Split(url, p)) {
    return Status::InvalidArgument("mysql sink " + RedactMysqlUrl(url) + ": not a mysql:// URL");
  }
  std::string out = p.WithPassword(p.scheme, "root", password);
  // Only a URL the parser reads back with exactly this password takes it.
  Result<MysqlTarget> target = ParseMysqlUrl(out);
  return PasswordReadBack("mysql", RedactMysqlUrl(url), std::move(out), target, password,
                          "the password added to it would be misread");
}

}  // namespace

std::string RedactMysqlUrl(std::string_view url) {
  UrlParts p;
  if (!Split(url, p)) return RedactUserInfo(url);
  return p.Redacted(p.scheme);
}

Result<MysqlTarget> ParseMysqlUrl(std::string_view url) {
  MysqlTarget t;
  t.display = RedactMysqlUrl(url);
  UrlParts parts;
  if (!Split(url, parts)) return Bad(t.display, "not a mysql:// or mariadb:// URL");
  // The connector takes C strings: a NUL would cut a value short.
  if (url.find('\0') != std::string_view::npos) return Bad(t.display, "a NUL byte");
  if (!parts.user.empty()) t.user = PercentDecode(parts.user);
  t.password = PercentDecode(parts.password);
  if (t.user.find('\0') != std::string::npos || t.password.find('\0') != std::string::npos) {
    return Bad(t.display, "a NUL byte in the user name or password");
  }
  std::string_view rest = parts.rest;
  std::string_view query;
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  if (host.starts_with('[')) {  // [IPv6]:port
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return Bad(t.display, "an unclosed '[' in the host");
    rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!rest.empty() && !rest.starts_with(':')) return Bad(t.display, "a bad host");
    if (!rest.empty()) {
      auto port = ParseNumber(rest.substr(1), 1, 65535);
      if (!port.has_value()) return Bad(t.display, "bad port: " + port.error().message());
      t.port = *port;
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    auto port = ParseNumber(rest.substr(colon + 1), 1, 65535);
    if (!port.has_value()) return Bad(t.display, "bad port: " + port.error().message());
    t.port = *port;
  }
  if (host.empty()) return Bad(t.display, "no host");
  t.host = std::string(host);
  t.database = PercentDecode(path);
  if (t.database.empty()) return Bad(t.display, "no database (mysql://host/DATABASE)");
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      return Bad(t.display, "parameter \"" + std::string(param) + "\" has no value");
    }
    Status applied = ApplyParameter(param.substr(0, eq), PercentDecode(param.substr(eq + 1)), t);
    if (!applied.ok()) return Bad(t.display, applied.message());
  }
  return t;
}

const SinkScheme kMysqlScheme = {
    {"mysql", "mariadb"}, &OpenSinkAs<&MysqlSink::Open>, &MysqlWithPassword, &RedactMysqlUrl};

}  // namespace sluice

#include "sink/postgres/pg_url.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sink/postgres/postgres_sink.h"
#include "sink/sink_text.h"

namespace sluice {
namespace {

constexpr std::string_view kMask = "***";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

using Spans = std::vector<std::pair<size_t, size_t>>;  // [begin, end) offsets

// Key=value form: `password = 'it''s'`, `password=secret`. Values are either
// single-quoted (backslash escapes a character) or run to the next space, as
// libpq reads them. Adds the password values' spans, shifted by `offset`.
void ConninfoPasswordSpans(std::string_view s, size_t offset, Spans& spans) {
  size_t i = 0;
  while (i < s.size()) {
    if (IsSpace(s[i])) {
      ++i;
      continue;
    }
    const size_t key_start = i;
    while (i < s.size() && !IsSpace(s[i]) && s[i] != '=') ++i;
    const std::string_view key = s.substr(key_start, i - key_start);
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    while (i < s.size() && IsSpace(s[i])) ++i;
    const size_t value_start = i;
    if (i < s.size() && s[i] == '\'') {
      for (++i; i < s.size() && s[i] != '\''; ++i) {
        if (s[i] == '\\') ++i;
      }
      if (i < s.size()) ++i;
    } else {
      while (i < s.size() && !IsSpace(s[i])) {
        if (s[i] == '\\') ++i;
        ++i;
      }
    }
    i = std::min(i, s.size());
    if (key == "password") spans.emplace_back(offset + value_start, offset + i);
  }
}

// A URI's user info, as libpq finds it: the text after "://" up to the first '@',
// unless a '/' comes first (then there is none); its password follows its first
// ':'. Returns the '@' (npos if none) and whether the URI is ambiguous: libpq
// would misread a raw '/' or '@' in the password (for "u:a@b@h" the password "a"
// and the host "b@h"; for "u:s3cr/et@h" the host "u" and the port "s3cr").
struct UserInfo {
  size_t authority = 0;                // just after "://"
  size_t at = std::string_view::npos;  // the '@' that ends it
  bool ambiguous = false;
};

UserInfo FindUserInfo(std::string_view s) {
  UserInfo u;
  u.authority = s.find("://") + 3;
  const size_t stop = s.find_first_of("@/", u.authority);
  if (stop != std::string_view::npos && s[stop] == '@') u.at = stop;
  // Hosts never hold an '@'; nor does a path before its query unless mistyped.
  const size_t from = u.at == std::string_view::npos ? u.authority : u.at + 1;
  const size_t end = s.find_first_of(u.at == std::string_view::npos ? "?" : "/?", from);
  const std::string_view rest =
      s.substr(from, end == std::string_view::npos ? std::string_view::npos : end - from);
  u.ambiguous = rest.find('@') != std::string_view::npos;
  return u;
}

// Whether a query parameter's name, percent-decoded as libpq decodes it, is "password".
bool IsPasswordKey(std::string_view key) {
  constexpr std::string_view kPassword = "password";
  size_t n = 0;
  for (size_t i = 0; i < key.size(); ++i, ++n) {
    char c = key[i];
    if (c == '%' && i + 2 < key.size()) {
      const std::string hex(key.substr(i + 1, 2));
      if (std::isxdigit(static_cast<unsigned char>(hex[0])) &&
          std::isxdigit(static_cast<unsigned char>(hex[1]))) {
        c = static_cast<char>(std::stoi(hex, nullptr, 16));
        i += 2;
      }
    }
    if (n >= kPassword.size() || c != kPassword[n]) return false;
  }
  return n == kPassword.size();
}

void UriPasswordSpans(std::string_view s, Spans& spans) {
  const UserInfo u = FindUserInfo(s);
  // An ambiguous URI is refused before use; shown, it hides all a password could
  // be: from the user info's first ':' to the last '@'.
  const size_t at = u.ambiguous ? s.rfind('@') : u.at;
  if (at != std::string_view::npos) {
    const size_t colon = s.find(':', u.authority);
    if (colon < at) spans.emplace_back(colon + 1, at);
  }
  // Query parameters: password=... up to the next '&'. libpq's query may start at
  // any '?' (its user info can hold one, and an '@' in a parameter moves where it
  // sees the user info end), so every item after a '?' or '&' is looked at.
  for (size_t i = s.find_first_of("?&", u.authority); i != std::string_view::npos;
       i = s.find_first_of("?&", i + 1)) {
    size_t next = s.find('&', i + 1);
    if (next == std::string_view::npos) next = s.size();
    const std::string_view item = s.substr(i + 1, next - i - 1);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && IsPasswordKey(item.substr(0, eq))) {
      spans.emplace_back(i + 1 + eq + 1, next);
    }
  }
}

bool IsUri(std::string_view url) {
  const size_t scheme_end = url.find("://");
  return scheme_end != std::string_view::npos && url.find_first_of(" =") > scheme_end;
}

// The text libpq is given for `url`: a URI as written, key=value text without
// its "postgresql:" prefix.
std::string_view ConninfoText(std::string_view url) {
  if (IsUri(url)) return url;
  for (std::string_view p : {"postgresql:", "postgres:"}) {
    if (url.starts_with(p)) return url.substr(p.size());
  }
  return url;
}

// Where the passwords of `url` are written (see RedactPostgresUrl), in order.
Spans PasswordSpans(std::string_view url) {
  Spans spans;
  if (IsUri(url)) {
    UriPasswordSpans(url, spans);
    return spans;
  }
  const std::string_view text = ConninfoText(url);
  ConninfoPasswordSpans(text, url.size() - text.size(), spans);
  return spans;
}

// `url` with each span (they may overlap) replaced by one kMask.
std::string MaskSpans(std::string_view url, Spans spans) {
  std::sort(spans.begin(), spans.end());
  std::string out;
  size_t from = 0;
  for (const auto& [begin, end] : spans) {
    if (begin >= from) {
      out.append(url.substr(from, begin - from));
      out.append(kMask);
    }
    from = std::max(from, end);
  }
  out.append(url.substr(std::min(from, url.size())));
  return out;
}

// libpq's reading of `conninfo`: nullopt if PQconninfoParse refuses it, else the
// password it reads (empty if none).
std::optional<std::string> LibpqPassword(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return std::nullopt;
  std::string password;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) password = o->val;
  }
  PQconninfoFree(options);
  return password;
}

}  // namespace

std::string RedactPostgresUrl(std::string_view url) {
  // libpq reads up to a NUL byte; what follows is hidden whole.
  const size_t nul = url.find('\0');
  const std::string_view read = url.substr(0, nul);
  const std::string_view text = ConninfoText(read);
  const std::string_view prefix = IsUri(read) ? read.substr(0, read.find("://") + 3)
                                              : read.substr(0, read.size() - text.size());
  Spans spans = PasswordSpans(read);
  std::string out;
  if (LibpqPassword(std::string(text))) {
    out = MaskSpans(read, spans);
    // The spans must be where libpq reads the password: read back, the shown text
    // has none or the mask; if not, all after the scheme is hidden.
    const std::optional<std::string> shown = LibpqPassword(std::string(ConninfoText(out)));
    if (!shown || (!shown->empty() && *shown != kMask))
      out = std::string(prefix) + std::string(kMask);
  } else {
    // Text libpq refuses never connects, but its shape is unknown: in key=value text
    // an unterminated quote may end anywhere, so all after the first "password" is
    // hidden (a URI's parameters are all looked at already, names decoded).
    if (const size_t at = read.find("password", prefix.size());
        !IsUri(read) && at != std::string_view::npos) {
      spans.emplace_back(at + 8, read.size());
    }
    out = MaskSpans(read, spans);
  }
  if (nul != std::string_view::npos) out += kMask;
  return out;
}

Result<PostgresTarget> ParsePostgresUrl(std::string_view url) {
  PostgresTarget target;
  target.display = RedactPostgresUrl(url);
  target.conninfo = std::string(ConninfoText(url));
  if (url.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("postgres sink " + target.display + ": a NUL byte");
  }
  if (IsUri(url) && FindUserInfo(url).ambiguous) {
    return Status::InvalidArgument(
        "postgres sink " + target.display +
        ": a '/' or '@' in the user name or password must be percent-encoded (%2F, %40)");
  }
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(target.conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    std::string why = parse_error != nullptr ? parse_error : "out of memory";
    PQfreemem(parse_error);
    while (!why.empty() && IsSpace(why.back())) why.pop_back();
    // libpq quotes a token it cannot decode, which may be the password as written.
    for (const auto& [begin, end] : PasswordSpans(url)) {
      why = ScrubPassword(std::move(why), url.substr(begin, end - begin));
    }
    return Status::InvalidArgument("postgres sink " + target.display + ": " + why);
  }
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) target.password = o->val;
  }
  PQconninfoFree(options);
  return target;
}

namespace {

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
  return PasswordReadBack("postgres", RedactPostgresUrl(url), std::move(out), target, password,
                          "libpq would not read the password added to it");
}

}  // namespace

const SinkScheme kPostgresScheme = {{"postgresql", "postgres"},
                                    &OpenSinkAs<&PostgresSink::Open>,
                                    &PostgresWithPassword,
                                    &RedactPostgresUrl};

}  // namespace sluice

#include "sink/postgres/pg_support.h"

#include <string>

namespace sluice {
namespace {

constexpr std::string_view kMask = "***";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Key=value form: `password = 'it''s'`, `password=secret`. Values are either
// single-quoted (backslash escapes a character) or run to the next space.
std::string RedactConninfo(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (IsSpace(s[i])) {
      out += s[i++];
      continue;
    }
    const size_t key_start = i;
    while (i < s.size() && !IsSpace(s[i]) && s[i] != '=') ++i;
    const std::string_view key = s.substr(key_start, i - key_start);
    out.append(key);
    while (i < s.size() && IsSpace(s[i])) out += s[i++];
    if (i >= s.size() || s[i] != '=') continue;
    out += s[i++];
    while (i < s.size() && IsSpace(s[i])) out += s[i++];
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
    if (key == "password") {
      out.append(kMask);
    } else {
      out.append(s.substr(value_start, std::min(i, s.size()) - value_start));
    }
  }
  return out;
}

std::string RedactUri(std::string_view s) {
  const size_t authority = s.find("://") + 3;
  size_t end = s.find_first_of("/?", authority);
  if (end == std::string_view::npos) end = s.size();
  std::string out(s.substr(0, authority));
  // The user info ends at the authority's last '@' (a raw '@' in a password is
  // a user's mistake libpq tolerates, so this errs on the side of hiding more).
  const std::string_view host_part = s.substr(authority, end - authority);
  const size_t at = host_part.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view user_info = host_part.substr(0, at);
    const size_t colon = user_info.find(':');
    out.append(user_info.substr(0, colon));
    if (colon != std::string_view::npos) {
      out += ':';
      out.append(kMask);
    }
    out.append(host_part.substr(at));
  } else {
    out.append(host_part);
  }
  // Query parameters: password=... up to the next '&'.
  std::string_view rest = s.substr(end);
  const size_t query = rest.find('?');
  out.append(rest.substr(0, query));
  if (query == std::string_view::npos) return out;
  rest.remove_prefix(query);
  size_t i = 0;
  while (i < rest.size()) {
    const size_t param = i;
    size_t next = rest.find('&', i + 1);
    if (next == std::string_view::npos) next = rest.size();
    std::string_view item = rest.substr(param, next - param);
    const size_t name_start = (item[0] == '?' || item[0] == '&') ? 1 : 0;
    if (item.substr(name_start).starts_with("password=")) {
      out.append(item.substr(0, name_start + 9));
      out.append(kMask);
    } else {
      out.append(item);
    }
    i = next;
  }
  return out;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

std::string RedactPostgresUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos &&
      url.find_first_of(" =") > scheme_end) {  // a URI, not key=value text
    return RedactUri(url);
  }
  std::string prefix;
  for (std::string_view p : {"postgresql:", "postgres:"}) {
    if (url.starts_with(p)) {
      prefix = std::string(p);
      url.remove_prefix(p.size());
      break;
    }
  }
  return prefix + RedactConninfo(url);
}

std::string PostgresArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Status PostgresStatus(std::string_view sqlstate, std::string_view message, bool connection_lost,
                      std::string_view context) {
  std::string text(context);
  text += ": ";
  text.append(message);
  while (!text.empty() && IsSpace(text.back())) text.pop_back();

  const std::string_view cls = sqlstate.substr(0, std::min<size_t>(2, sqlstate.size()));
  if (sqlstate.empty()) {
    // Failed connection attempts carry no SQLSTATE; libpq only has the server's
    // FATAL message text.
    if (Contains(message, "authentication failed") || Contains(message, "no password supplied") ||
        (Contains(message, "database \"") && Contains(message, "does not exist")) ||
        (Contains(message, "role \"") && Contains(message, "does not exist"))) {
      return Status::InvalidArgument(std::move(text));
    }
    return connection_lost ? Status::Unavailable(std::move(text))
                           : Status::Internal(std::move(text));
  }
  if (sqlstate == "57014") return Status::Timeout(std::move(text));
  if (cls == "08" || cls == "53" || cls == "58" || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Status::Unavailable(std::move(text));
  }
  if (cls == "22" || cls == "23" || cls == "54" || sqlstate == "42804" || sqlstate == "42703" ||
      sqlstate == "42P01") {
    return Status::InvalidData(std::move(text));
  }
  if (cls == "28" || sqlstate == "3D000" || sqlstate == "42501") {
    return Status::InvalidArgument(std::move(text));
  }
  if (connection_lost) return Status::Unavailable(std::move(text));
  return Status::Internal(std::move(text));
}

}  // namespace sluice

#include "sink/postgres/pg_support.h"

#include <algorithm>
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

// A query parameter's name as libpq reads it: percent-decoded.
std::string DecodedName(std::string_view name) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size() && hex(name[i + 1]) >= 0 && hex(name[i + 2]) >= 0) {
      out += static_cast<char>(hex(name[i + 1]) * 16 + hex(name[i + 2]));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

// Errs on the side of hiding more than libpq would read as a password. libpq
// ends the user info at the first '@' before the path, even past a '?', and a
// raw '@' in a password is a mistake it tolerates: the password here runs from
// the user info's first ':' to the last '@' before the path. Query parameters
// are split at every '&' and '?' (libpq's query starts at the first '?' after
// the host, which may follow one in the user info), with names percent-decoded
// as libpq does. (The '?' and percent-encoded cases were found by
// fuzz/sink_url_fuzz.cc.)
std::string RedactUri(std::string_view s) {
  const size_t authority = s.find("://") + 3;
  const size_t path = std::min(s.find('/', authority), s.size());
  std::string out(s.substr(0, authority));
  size_t i = authority;
  const size_t at = s.substr(0, path).rfind('@');
  if (at != std::string_view::npos && at >= authority) {
    const size_t colon = s.substr(0, at).find(':', authority);
    if (colon != std::string_view::npos) {
      out.append(s.substr(authority, colon + 1 - authority));
      out.append(kMask);
      i = at;
    }
  }
  while (i < s.size()) {
    const size_t separator = s.find_first_of("?&", i);
    if (separator == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, separator + 1 - i));
    i = separator + 1;
    const size_t item_end = std::min(s.find_first_of("?&", i), s.size());
    const std::string_view item = s.substr(i, item_end - i);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && DecodedName(item.substr(0, eq)) == "password") {
      out.append(item.substr(0, eq + 1));
      out.append(kMask);
      i = item_end;
    }
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

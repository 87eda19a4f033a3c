#include "sink/sink_text.h"

#include <cctype>
#include <charconv>

namespace sluice {

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

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

UriUserInfo SplitUriUserInfo(std::string_view after_scheme) {
  UriUserInfo u;
  u.rest = after_scheme;
  if (const size_t at = after_scheme.rfind('@'); at != std::string_view::npos) {
    const std::string_view info = after_scheme.substr(0, at);
    u.rest = after_scheme.substr(at + 1);
    u.has_user_info = true;
    const size_t colon = info.find(':');
    u.user = info.substr(0, colon);
    if (colon != std::string_view::npos) {
      u.has_password = true;
      u.password = info.substr(colon + 1);
    }
  }
  return u;
}

std::string UriUserInfo::Redacted(std::string_view scheme) const {
  std::string out(scheme);
  if (has_user_info) {
    out.append(user);
    if (has_password) out += ":***";
    out += '@';
  }
  out.append(rest);
  return out;
}

std::string UriUserInfo::WithPassword(std::string_view scheme, std::string_view default_user,
                                      std::string_view password) const {
  std::string out(scheme);
  out.append(user.empty() ? default_user : user);
  out += ':';
  out += PercentEncode(password);
  out += '@';
  out.append(rest);
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

namespace {

std::string Quote(std::string_view identifier, char quote) {
  std::string out;
  out.reserve(identifier.size() + 2);
  out += quote;
  for (char c : identifier) {
    if (c == quote) out += quote;
    out += c;
  }
  out += quote;
  return out;
}

}  // namespace

std::string QuoteSqlIdentifier(std::string_view identifier) { return Quote(identifier, '"'); }

std::string QuoteBacktickIdentifier(std::string_view identifier) { return Quote(identifier, '`'); }

std::string QuotedColumnList(const std::vector<ColumnDef>& columns,
                             std::string (*quote)(std::string_view)) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote(columns[i].name);
  }
  return out;
}

}  // namespace sluice

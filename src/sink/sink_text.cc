#include "sink/sink_text.h"

#include <cctype>

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

std::string QuoteSqlIdentifier(std::string_view identifier) {
  std::string out;
  out.reserve(identifier.size() + 2);
  out += '"';
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace sluice

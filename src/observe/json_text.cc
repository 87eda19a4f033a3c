#include "observe/json_text.h"

namespace sluice {
namespace {

// Rewrites DEL and C1 controls, which nlohmann-json leaves as they are, as \u00NN.
// In JSON text they can only occur inside strings, where the escape means the
// same character; every 0xC2 byte is a lead byte, invalid UTF-8 being replaced.
void EscapeTerminalControls(std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < text.size() && text[i] != '\x7f' && text[i] != '\xc2') ++i;
  if (i == text.size()) return;
  std::string out = text.substr(0, i);
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    unsigned char control = 0;
    if (c == 0x7f) {
      control = c;
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      control = static_cast<unsigned char>(text[++i]);
    }
    if (control == 0) {
      out += static_cast<char>(c);
      continue;
    }
    out += "\\u00";
    out += kHex[control >> 4];
    out += kHex[control & 15];
  }
  text = std::move(out);
}

}  // namespace

std::string JsonText(const nlohmann::ordered_json& value, int indent) {
  std::string text = value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
  EscapeTerminalControls(text);
  return text;
}

}  // namespace sluice

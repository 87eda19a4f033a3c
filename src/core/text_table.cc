#include "core/text_table.h"

#include <algorithm>
#include <cstdint>

namespace sluice {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The code point of the UTF-8 sequence at text[i], and its length; length 0
// when the bytes there are not valid UTF-8 (overlong, surrogate, truncated).
struct Decoded {
  uint32_t cp = 0;
  size_t length = 0;
};

Decoded Decode(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  size_t n;
  uint32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (i + n > text.size()) return {};
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, n};
}

// Columns a code point takes: 0 for combining marks and zero-width ones, 2 for
// East Asian wide and fullwidth ones and emoji, else 1 (Unicode's
// EastAsianWidth W/F and the common combining blocks; enough for data).
int Width(uint32_t cp) {
  struct Range {
    uint32_t first, last;
  };
  static constexpr Range kZero[] = {
      {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
      {0x064B, 0x065F}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E},
      {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x20D0, 0x20FF},
      {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF}};
  static constexpr Range kWide[] = {
      {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
      {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
      {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
      {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
      {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
      {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
      {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
      {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
      {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
      {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
      {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
      {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x18CFF},
      {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E},
      {0x1F191, 0x1F19A}, {0x1F200, 0x1F251}, {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF},
      {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x3FFFD}};
  auto in = [cp](const auto& ranges) {
    return std::any_of(std::begin(ranges), std::end(ranges),
                       [cp](const Range& r) { return cp >= r.first && cp <= r.last; });
  };
  if (in(kZero)) return 0;
  return in(kWide) ? 2 : 1;
}

void AppendByteEscape(std::string& out, uint8_t b) {
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xF];
}

}  // namespace

std::string VisibleText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const Decoded d = Decode(text, i);
    if (d.length == 0) {
      AppendByteEscape(out, static_cast<uint8_t>(text[i]));
      ++i;
      continue;
    }
    const uint32_t cp = d.cp;
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp < 0x20 || cp == 0x7F) {
      AppendByteEscape(out, static_cast<uint8_t>(cp));
    } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
    } else {
      out.append(text.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const Decoded d = Decode(text, i);
    if (d.length == 0) {  // not expected (see the contract); one column a byte
      ++width;
      ++i;
      continue;
    }
    width += static_cast<size_t>(Width(d.cp));
    i += d.length;
  }
  return width;
}

std::string FitWidth(std::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  size_t used = 0, end = 0;
  while (end < text.size()) {
    const Decoded d = Decode(text, end);
    const size_t length = d.length == 0 ? 1 : d.length;
    const size_t w = d.length == 0 ? 1 : static_cast<size_t>(Width(d.cp));
    if (used + w > width - 1) break;
    used += w;
    end += length;
  }
  return std::string(text.substr(0, end)) + "…";
}

std::string DisplayCell(const std::optional<std::string>& value, size_t width) {
  if (!value) return FitWidth("NULL", width);
  const bool quote = value->empty() || *value == "NULL" || value->front() == '"';
  return FitWidth(quote ? "\"" + VisibleText(*value) + "\"" : VisibleText(*value), width);
}

void TextTable::AddHeader(std::vector<std::string> cells) { headers_.push_back(std::move(cells)); }

void TextTable::AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

void TextTable::AlignRight(size_t c) {
  if (right_.size() <= c) right_.resize(c + 1, false);
  right_[c] = true;
}

std::string TextTable::Render() const {
  std::vector<size_t> widths;
  for (const auto* lines : {&headers_, &rows_}) {
    for (const auto& line : *lines) {
      if (widths.size() < line.size()) widths.resize(line.size(), 0);
      for (size_t c = 0; c < line.size(); ++c) {
        widths[c] = std::max(widths[c], DisplayWidth(line[c]));
      }
    }
  }
  auto render = [&](const std::vector<std::string>& line) {
    std::string out;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string empty;
      const std::string& cell = c < line.size() ? line[c] : empty;
      const std::string pad(widths[c] - DisplayWidth(cell), ' ');
      if (c > 0) out += "  ";
      const bool right = c < right_.size() && right_[c];
      out += right ? pad + cell : cell + pad;
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  };
  std::string out;
  for (const auto& line : headers_) out += render(line);
  if (!headers_.empty()) {
    std::string rule;
    for (size_t c = 0; c < widths.size(); ++c) {
      if (c > 0) rule += "  ";
      rule += std::string(widths[c], '-');
    }
    out += rule + "\n";
  }
  for (const auto& line : rows_) out += render(line);
  return out;
}

}  // namespace sluice

#include "observe/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "observe/json_text.h"

namespace sluice {
namespace {

LogFormat g_format = LogFormat::kText;

std::atomic<bool> g_clear_line{false};

std::shared_ptr<spdlog::logger> Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_logger_mt("sluice");
    l->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    return l;
  }();
  return logger;
}

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

void AppendNumber(std::string& out, const std::variant<std::string, int64_t, double>& v) {
  char buf[32];
  std::to_chars_result r;
  if (std::holds_alternative<int64_t>(v)) {
    r = std::to_chars(buf, buf + sizeof buf, std::get<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, std::get<double>(v));
  }
  out.append(buf, r.ptr);
}

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// A C1 control (U+0080..U+009F, UTF-8 C2 80..C2 9F): some terminals obey these
// like ESC sequences (C2 9B is CSI).
bool IsC1(std::string_view s, size_t i) {
  return static_cast<unsigned char>(s[i]) == 0xC2 && i + 1 < s.size() &&
         static_cast<unsigned char>(s[i + 1]) < 0xA0;
}

constexpr char kHex[] = "0123456789abcdef";

void AppendHexByte(std::string& out, std::string_view prefix, unsigned char c) {
  out += prefix;
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// Whether a text value must be quoted: it is empty, would be ambiguous in
// key=value form, or holds a byte a terminal could act on (C0 controls, DEL, C1
// controls) or that is not UTF-8, all of which are shown escaped.
bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7F) return true;
    if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      if (n == 0 || IsC1(s, i)) return true;
      i += n - 1;
    }
  }
  return false;
}

// `s` between double quotes, escaped: " and \, \n \r \t, other C0 controls, DEL
// and invalid UTF-8 bytes (\xNN), C1 controls (\u00NN), so that no value can
// forge a line or drive a terminal.
void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      if (n == 0) {
        AppendHexByte(out, "\\x", c);
        ++i;
      } else if (IsC1(s, i)) {
        // Escaped, a terminal showing the log cannot obey it.
        AppendHexByte(out, "\\u00", static_cast<unsigned char>(s[i + 1]));
        i += 2;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          AppendHexByte(out, "\\x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

// Text values are quoted only when needed (NeedsQuotes); quoted, they escape " and
// \ and show every control character and invalid UTF-8 byte as an escape (\n, \t,
// \r, \xNN for other bytes, \u00NN for C1 controls), so that a file name or a
// cell can neither forge a log line nor drive the operator's terminal.
void AppendTextValue(std::string& out, std::string_view s) {
  if (!NeedsQuotes(s)) {
    out += s;
    return;
  }
  AppendQuoted(out, s);
}

}  // namespace

bool ParseLogFormat(std::string_view name, LogFormat* out) {
  if (name == "text") {
    *out = LogFormat::kText;
  } else if (name == "json") {
    *out = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

void SetupLogging(LogFormat format, LogLevel min_level) {
  g_format = format;
  auto logger = Logger();
  logger->set_level(ToSpd(min_level));
  logger->flush_on(spdlog::level::trace);
  if (format == LogFormat::kJson) {
    // The JSON object is assembled in Log(); spdlog only adds the time and level.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  }
}

std::string FormatLogLine(LogFormat format, std::string_view event,
                          std::initializer_list<LogField> fields) {
  std::string line;
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json members = nlohmann::ordered_json::object();
    members["event"] = std::string(event);
    for (const auto& f : fields) {
      nlohmann::ordered_json& member = members[std::string(f.key)];
      std::visit([&member](const auto& v) { member = v; }, f.value);
    }
    // Without the braces: spdlog's pattern puts ts and level before them.
    line = JsonText(members);
    line = line.substr(1, line.size() - 2);
  } else {
    line += event;
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      if (const auto* s = std::get_if<std::string>(&f.value)) {
        AppendTextValue(line, *s);
      } else {
        AppendNumber(line, f.value);
      }
    }
  }
  return line;
}

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  auto logger = Logger();
  if (!logger->should_log(ToSpd(level))) return;
  std::string line = FormatLogLine(g_format, event, fields);
  // A progress bar may hold the terminal's current line: erase it first (the bar
  // redraws itself below).
  if (g_clear_line.load(std::memory_order_relaxed)) fputs("\r\033[K", stderr);
  logger->log(ToSpd(level), "{}", line);
}

void SetLogClearsLine(bool clear) { g_clear_line.store(clear); }

}  // namespace sluice

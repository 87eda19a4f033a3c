// Structured logging on stderr, human-readable or one JSON object per line.
//
// An event has a name and fields: text form `2026-11-22 10:00:00.123 info loaded
// file=a.csv rows=10`, JSON form `{"ts":"...","level":"info","event":"loaded",
// "file":"a.csv","rows":10}`.
//
// Thread-safety: Log* may be called from any thread after SetupLogging.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace sluice {

enum class LogFormat { kText, kJson };
enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Parses "text" / "json".
bool ParseLogFormat(std::string_view name, LogFormat* out);

// Configures the process-wide logger. Call once at start-up; the default before
// that is text at info level.
void SetupLogging(LogFormat format, LogLevel min_level);

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  LogField(std::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  std::string_view key;
  std::variant<std::string, int64_t, double> value;
};

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
inline void LogInfo(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, event, fields);
}
inline void LogWarn(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, event, fields);
}
inline void LogError(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, event, fields);
}

// The part of a log line after the time and level that Log writes: text
// "event key=value ..." (a value is quoted when needed, and control characters,
// DEL and invalid UTF-8 in it are shown escaped, e.g. \x1b, so that file names and
// cell values cannot drive the terminal or forge lines), or JSON members
// `"event":"...","key":value,...` (written by JsonText: valid JSON whatever the
// bytes, controls escaped). Exposed for tests.
std::string FormatLogLine(LogFormat format, std::string_view event,
                          std::initializer_list<LogField> fields);

// While set, every log line first erases the terminal's current line (where a
// progress bar is drawn).
void SetLogClearsLine(bool clear);

}  // namespace sluice

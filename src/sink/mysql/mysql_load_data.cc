#include "sink/mysql/mysql_load_data.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/iso_time.h"

namespace sluice::mysqlload {
namespace {

// The escape for a byte that could end a field or a line (its letter after a
// backslash), or 0.
constexpr char EscapeOf(char c) {
  switch (c) {
    case '\\':
      return '\\';
    case '\t':
      return 't';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\0':
      return '0';
    default:
      return 0;
  }
}

// Writes `text` escaped at `p` (room for twice its size); returns the end.
char* PutEscaped(std::string_view text, char* p) {
  for (const char c : text) {
    const char escape = EscapeOf(c);
    if (escape == 0) {
      *p++ = c;
    } else {
      *p++ = '\\';
      *p++ = escape;
    }
  }
  return p;
}

// A timestamp as FormatIsoTimestamp writes it at `p`, less its fraction's
// trailing zeros (".019" for ".019000"): DATETIME(6) reads the fraction's digits
// from the left, so the value is the same, in up to 5 bytes fewer for the server
// to receive and parse. Returns the end.
char* PutTimestamp(int64_t micros, char* p) {
  char* end = p + FormatIsoTimestamp(micros, p);
  // "YYYY-MM-DD HH:MM:SS" is 19 bytes (years 0001..9999, as FindUnfit ensures); a
  // fraction follows only when it is not zero, so a digit other than 0 stays.
  if (end - p > 19) {
    while (end[-1] == '0') --end;
  }
  return end;
}

// The most bytes rows [begin, end) of `column` take, each with its separator.
size_t MaxBytes(const Column& column, size_t begin, size_t end) {
  const size_t rows = end - begin;
  switch (column.def.type) {
    case ColumnType::kInteger:
    case ColumnType::kBoolean:
      return rows * 21;  // "-9223372036854775808"
    case ColumnType::kFloat:
      return rows * 25;  // the shortest round trip: at most 24 characters
    case ColumnType::kDate:
    case ColumnType::kTimestamp:
      return rows * (kIsoTextCapacity + 1);
    case ColumnType::kString: {
      size_t bytes = rows * 3;  // \N and the separator
      for (size_t row = begin; row < end; ++row) bytes += 2 * column.strings[row].size();
      return bytes;
    }
  }
  return 0;
}

}  // namespace

void AppendValue(const Column& column, size_t row, std::string& out) {
  char buf[64];
  switch (column.def.type) {
    case ColumnType::kInteger:
    case ColumnType::kBoolean: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, column.ints[row]);
      out.append(buf, end);
      break;
    }
    case ColumnType::kFloat: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, column.floats[row]);
      out.append(buf, end);
      break;
    }
    case ColumnType::kDate:
      out.append(buf, FormatIsoDate(column.ints[row], buf));
      break;
    case ColumnType::kTimestamp:
      out.append(buf, PutTimestamp(column.ints[row], buf));
      break;
    case ColumnType::kString:
      out.append(column.strings[row]);
      break;
  }
}

void AppendRows(const Batch& batch, size_t begin, size_t end, std::string& out) {
  const auto& columns = batch.columns();
  // Written in place into room for the longest text the rows can take, then cut
  // to what was written: no check of the room per value.
  size_t room = 0;
  for (const Column& column : columns) room += MaxBytes(column, begin, end);
  const size_t start = out.size();
  out.resize(start + room);
  char* p = out.data() + start;
  for (size_t row = begin; row < end; ++row) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const Column& column = columns[i];
      if (column.nulls[row] != 0) {
        *p++ = '\\';
        *p++ = 'N';
      } else {
        switch (column.def.type) {
          case ColumnType::kInteger:
          case ColumnType::kBoolean:
            p = std::to_chars(p, p + 20, column.ints[row]).ptr;
            break;
          case ColumnType::kFloat:
            p = std::to_chars(p, p + 24, column.floats[row]).ptr;
            break;
          case ColumnType::kDate:
            p += FormatIsoDate(column.ints[row], p);
            break;
          case ColumnType::kTimestamp:
            p = PutTimestamp(column.ints[row], p);
            break;
          case ColumnType::kString:
            p = PutEscaped(column.strings[row], p);
            break;
        }
      }
      *p++ = i + 1 < columns.size() ? '\t' : '\n';
    }
  }
  out.resize(static_cast<size_t>(p - out.data()));
}

std::optional<UnfitValue> FindUnfit(const Batch& batch) {
  const auto& columns = batch.columns();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = columns[i];
    const ColumnType type = column.def.type;
    for (size_t row = 0; row < batch.rows(); ++row) {
      if (column.nulls[row] != 0) continue;
      if (type == ColumnType::kFloat && !std::isfinite(column.floats[row])) {
        return UnfitValue{row, i, "MySQL cannot store NaN or infinite floats"};
      }
      if ((type == ColumnType::kDate &&
           (column.ints[row] < kMinDay || column.ints[row] > kMaxDay)) ||
          (type == ColumnType::kTimestamp &&
           (column.ints[row] < kMinMicros || column.ints[row] > kMaxMicros))) {
        return UnfitValue{row, i,
                          "value " + std::to_string(column.ints[row]) +
                              " is outside the years 0001..9999 MySQL stores"};
      }
    }
  }
  return std::nullopt;
}

uint64_t WarningRow(std::string_view message) {
  for (std::string_view marker : {"at row ", "Row "}) {
    const size_t at = message.find(marker);
    if (at == std::string_view::npos) continue;
    const char* p = message.data() + at + marker.size();
    const char* end = message.data() + message.size();
    uint64_t row = 0;
    auto [stop, ec] = std::from_chars(p, end, row);
    if (ec == std::errc() && stop != p) return row;
  }
  return 0;
}

std::string WarningColumn(std::string_view message) {
  size_t at = message.find("column ");
  if (at == std::string_view::npos) at = message.find("Column ");
  if (at == std::string_view::npos) return "";
  std::string_view rest = message.substr(at + 7);
  // `db`.`t`.`x` or 'x': the last quoted part before a space.
  std::string name;
  while (!rest.empty() && (rest[0] == '`' || rest[0] == '\'')) {
    const char quote = rest[0];
    name.clear();
    size_t i = 1;
    for (; i < rest.size(); ++i) {
      if (rest[i] == quote) {
        if (i + 1 < rest.size() && rest[i + 1] == quote) {  // doubled quote
          name += quote;
          ++i;
          continue;
        }
        break;
      }
      name += rest[i];
    }
    rest.remove_prefix(std::min(i + 1, rest.size()));
    if (rest.empty() || rest[0] != '.') break;
    rest.remove_prefix(1);
  }
  return name;
}

}  // namespace sluice::mysqlload

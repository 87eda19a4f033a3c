#include "sink/mysql/mysql_load_data.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/iso_time.h"

namespace sluice::mysqlload {
namespace {

void AppendEscaped(std::string_view text, std::string& out) {
  size_t from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char escape = 0;
    switch (text[i]) {
      case '\\':
        escape = '\\';
        break;
      case '\t':
        escape = 't';
        break;
      case '\n':
        escape = 'n';
        break;
      case '\r':
        escape = 'r';
        break;
      case '\0':
        escape = '0';
        break;
      default:
        continue;
    }
    out.append(text.data() + from, i - from);
    out += '\\';
    out += escape;
    from = i + 1;
  }
  out.append(text.data() + from, text.size() - from);
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
      out.append(buf, FormatIsoTimestamp(column.ints[row], buf));
      break;
    case ColumnType::kString:
      out.append(column.strings[row]);
      break;
  }
}

void AppendRows(const Batch& batch, size_t begin, size_t end, std::string& out) {
  const auto& columns = batch.columns();
  for (size_t row = begin; row < end; ++row) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += '\t';
      const Column& column = columns[i];
      if (column.nulls[row] != 0) {
        out += "\\N";
      } else if (column.def.type == ColumnType::kString) {
        AppendEscaped(column.strings[row], out);
      } else {
        AppendValue(column, row, out);
      }
    }
    out += '\n';
  }
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

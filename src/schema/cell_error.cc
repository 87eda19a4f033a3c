// The words of the Validator's row errors (cell_error.h).
#include "schema/cell_error.h"

#include <simdjson.h>

#include <algorithm>

#include "core/cell_parse.h"

namespace sluice {

namespace {

// Values in messages are cut at this many bytes; the RowError's raw text has all.
constexpr size_t kMaxShownValue = 64;
constexpr size_t kMaxShownAllowed = 10;

bool IsDateOrTime(ColumnType type) {
  return type == ColumnType::kDate || type == ColumnType::kTimestamp;
}

}  // namespace

void AppendQuoted(std::string& out, std::string_view value) {
  bool truncated = false;
  if (value.size() > kMaxShownValue) {
    size_t cut = kMaxShownValue;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    value = value.substr(0, cut);
    truncated = true;
  }
  const bool utf8 = simdjson::validate_utf8(value.data(), value.size());
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : value) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20 || byte == 0x7f || (byte >= 0x80 && !utf8)) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
  if (truncated) out += "...";
}

std::string ColumnPrefix(const std::string& name) {
  std::string m = "column ";
  AppendQuoted(m, name);
  m += ": ";
  return m;
}

namespace {

std::string ExpectedType(const ColumnSpec& spec) {
  std::string format;
  if (spec.rules.format) {
    format = " in format ";
    AppendQuoted(format, *spec.rules.format);
  }
  switch (spec.type) {
    case ColumnType::kInteger:
      return "an integer";
    case ColumnType::kFloat:
      return "a float";
    case ColumnType::kBoolean:
      return "a boolean";
    case ColumnType::kDate:
      return "a date" + (format.empty() ? " (YYYY-MM-DD)" : format);
    case ColumnType::kTimestamp:
      return "a timestamp" +
             (format.empty() ? " (YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][zone])" : format);
    case ColumnType::kString:
      return "a string";
  }
  return "a value";
}

}  // namespace

// Why `cell` of column `spec` was rejected, for its RowError.
std::string CellMessage(const ColumnSpec& spec, CellError error, std::string_view cell) {
  std::string m = ColumnPrefix(spec.name);
  switch (error) {
    case CellError::kNotType:
      AppendQuoted(m, cell);
      m += " is not " + ExpectedType(spec);
      break;
    case CellError::kOutOfRange:
      AppendQuoted(m, cell);
      m += " is out of range for " + ExpectedType(spec);
      break;
    case CellError::kBelowMin:
      // The cell parsed as a number, so it is plain ASCII and reads well unquoted.
      m += cell;
      m += " is below min " + FormatFloat(*spec.rules.min);
      break;
    case CellError::kAboveMax:
      m += cell;
      m += " is above max " + FormatFloat(*spec.rules.max);
      break;
    case CellError::kNotAllowed: {
      AppendQuoted(m, cell);
      m += " is not one of the allowed values: ";
      const std::vector<std::string>& allowed = spec.rules.allowed;
      for (size_t i = 0; i < allowed.size() && i < kMaxShownAllowed; ++i) {
        if (i > 0) m += ", ";
        m += allowed[i];
      }
      if (allowed.size() > kMaxShownAllowed) m += ", ...";
      break;
    }
    case CellError::kNoMatch:
      AppendQuoted(m, cell);
      m += " does not match regex ";
      AppendQuoted(m, *spec.rules.regex);
      break;
    case CellError::kInvalidUtf8:
      m += "invalid UTF-8";
      break;
    case CellError::kNone:
      break;
  }
  return m;
}

RowErrorKind CellKind(const ColumnSpec& spec, CellError error) {
  switch (error) {
    case CellError::kNotType:
      return IsDateOrTime(spec.type) ? RowErrorKind::kFormat : RowErrorKind::kType;
    case CellError::kOutOfRange:
    case CellError::kBelowMin:
    case CellError::kAboveMax:
      return RowErrorKind::kRange;
    case CellError::kNotAllowed:
      return RowErrorKind::kAllowed;
    case CellError::kNoMatch:
      return RowErrorKind::kRegex;
    case CellError::kInvalidUtf8:
    case CellError::kNone:
      break;
  }
  return RowErrorKind::kEncoding;
}

// What to do about a rejected cell: fix the data, or what to declare to accept it.
std::string CellHint(const ColumnSpec& spec, CellError error) {
  const bool integer = spec.type == ColumnType::kInteger;
  switch (error) {
    case CellError::kNotType:
      if (IsDateOrTime(spec.type)) {
        std::string hint = "expected " + ExpectedType(spec);
        if (!spec.rules.format) hint += "; declare the column's format to read other forms";
        return hint;
      }
      if (spec.type == ColumnType::kBoolean) {
        return "booleans are true/false, t/f, yes/no, y/n or 1/0; declare the column as string "
               "to keep other values";
      }
      return integer ? "declare the column as float or string to keep such values"
                     : "declare the column as string to keep such values";
    case CellError::kOutOfRange:
      return integer ? "beyond 64-bit integers: declare the column as float or string"
                     : "beyond double precision: declare the column as string";
    case CellError::kBelowMin:
      return "the column's min is " + FormatFloat(*spec.rules.min) + "; fix the value or lower min";
    case CellError::kAboveMax:
      return "the column's max is " + FormatFloat(*spec.rules.max) + "; fix the value or raise max";
    case CellError::kNotAllowed:
      return "fix the value, or add it to the column's allowed list";
    case CellError::kNoMatch:
      return "the whole value must match the regex; fix the value or the column's regex";
    case CellError::kInvalidUtf8:
      return "convert the file to UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)";
    case CellError::kNone:
      break;
  }
  return "";
}

}  // namespace sluice

#include "parquet/value_text.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "parquet/values.h"

namespace sluice::parquet {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

void AppendInt(int64_t v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void AppendUint(uint64_t v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void AppendDouble(double v, std::string& out) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, end);
  }
}

// Writes two digits at p.
void Put2(int v, char* p) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Howard Hinnant's civil_from_days: exact for the proleptic Gregorian calendar.
// Formatted in a buffer and appended once: this runs for every date and
// timestamp value, and per-character appends cost more than the arithmetic.
void AppendDate(int64_t days, std::string& out) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  if (m <= 2) ++y;
  if (y >= 0 && y <= 9999) {
    char buf[10];
    Put2(static_cast<int>(y / 100), buf);
    Put2(static_cast<int>(y % 100), buf + 2);
    buf[4] = '-';
    Put2(m, buf + 5);
    buf[7] = '-';
    Put2(d, buf + 8);
    out.append(buf, sizeof(buf));
    return;
  }
  AppendInt(y, out);
  char buf[6] = {'-', 0, 0, '-', 0, 0};
  Put2(m, buf + 1);
  Put2(d, buf + 4);
  out.append(buf, sizeof(buf));
}

// Microseconds within a day (0 <= micros < one day): HH:MM:SS[.ffffff].
void AppendTimeOfDay(int64_t micros, std::string& out) {
  int64_t seconds = micros / 1'000'000;
  int64_t fraction = micros % 1'000'000;
  char buf[15];
  Put2(static_cast<int>(seconds / 3600), buf);
  buf[2] = ':';
  Put2(static_cast<int>(seconds / 60 % 60), buf + 3);
  buf[5] = ':';
  Put2(static_cast<int>(seconds % 60), buf + 6);
  size_t n = 8;
  if (fraction != 0) {
    buf[8] = '.';
    for (int i = 14; i >= 9; --i) {
      buf[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    n = 15;
  }
  out.append(buf, n);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t ToMicros(int64_t v, TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kMillis:
      // Beyond ±2^63 microseconds no date text exists anyway; saturate.
      if (v > INT64_MAX / 1000) return INT64_MAX / 1000 * 1000;
      if (v < INT64_MIN / 1000) return INT64_MIN / 1000 * 1000;
      return v * 1000;
    case TimeUnit::kMicros:
      return v;
    case TimeUnit::kNanos:
      return FloorDiv(v, 1000);
  }
  return v;
}

bool ValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

// Unscaled integer digits (of any length) with `scale` digits after the point.
void AppendScaled(std::string digits, bool negative, int32_t scale, std::string& out) {
  if (negative) out.push_back('-');
  if (scale <= 0) {
    out += digits;
    if (digits != "0") out.append(static_cast<size_t>(-scale), '0');
    return;
  }
  size_t s = static_cast<size_t>(scale);
  if (digits.size() <= s) digits.insert(0, s - digits.size() + 1, '0');
  out.append(digits, 0, digits.size() - s);
  out.push_back('.');
  out.append(digits, digits.size() - s, s);
}

void AppendDecimal(int64_t unscaled, int32_t scale, std::string& out) {
  bool negative = unscaled < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(unscaled) : unscaled;
  std::string digits;
  AppendUint(magnitude, digits);
  AppendScaled(std::move(digits), negative, scale, out);
}

// A big-endian two's complement integer of any length as decimal text.
void AppendDecimalBytes(std::string_view be, int32_t scale, std::string& out) {
  if (be.empty()) {
    AppendScaled("0", false, scale, out);
    return;
  }
  bool negative = static_cast<unsigned char>(be[0]) & 0x80;
  std::vector<uint8_t> mag(be.begin(), be.end());
  if (negative) {  // magnitude = ~x + 1
    for (auto& b : mag) b = static_cast<uint8_t>(~b);
    for (size_t i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  // Repeated division by 10^9 of the big-endian magnitude.
  std::string digits;
  size_t first = 0;
  while (first < mag.size() && mag[first] == 0) ++first;
  std::vector<uint32_t> chunks;
  while (first < mag.size()) {
    uint64_t rem = 0;
    for (size_t i = first; i < mag.size(); ++i) {
      uint64_t cur = (rem << 8) | mag[i];
      mag[i] = static_cast<uint8_t>(cur / 1'000'000'000);
      rem = cur % 1'000'000'000;
    }
    chunks.push_back(static_cast<uint32_t>(rem));
    while (first < mag.size() && mag[first] == 0) ++first;
  }
  if (chunks.empty()) {
    digits.push_back('0');
  } else {
    AppendUint(chunks.back(), digits);
    for (size_t i = chunks.size() - 1; i-- > 0;) {
      std::string part = std::to_string(chunks[i]);
      digits.append(9 - part.size(), '0');
      digits += part;
    }
  }
  bool minus = negative && digits != "0";
  AppendScaled(std::move(digits), minus, scale, out);
}

}  // namespace

void AppendTimestampMicros(int64_t micros, std::string& out) {
  int64_t days = FloorDiv(micros, kMicrosPerDay);
  AppendDate(days, out);
  out.push_back('T');
  AppendTimeOfDay(micros - days * kMicrosPerDay, out);
  out.push_back('Z');
}

ValueText::ValueText(const LeafColumn& leaf) : physical_(static_cast<Type>(*leaf.element.type)) {
  const SchemaElement& e = leaf.element;
  const LogicalType& l = e.logical;
  bool bytes = physical_ == Type::kByteArray || physical_ == Type::kFixedLenByteArray;
  kind_ = bytes ? Kind::kCheckedText : Kind::kNumber;
  scale_ = e.scale;
  switch (l.kind) {
    case LogicalKind::kString:
    case LogicalKind::kEnum:
    case LogicalKind::kJson:
      if (bytes) kind_ = Kind::kText;
      return;
    case LogicalKind::kUuid:
      if (physical_ == Type::kFixedLenByteArray && e.type_length == 16) kind_ = Kind::kUuid;
      return;
    case LogicalKind::kDate:
      if (physical_ == Type::kInt32) kind_ = Kind::kDate;
      return;
    case LogicalKind::kTime:
    case LogicalKind::kTimestamp:
      if (physical_ == Type::kInt32 || physical_ == Type::kInt64) {
        kind_ = l.kind == LogicalKind::kTime ? Kind::kTime : Kind::kTimestamp;
        unit_ = l.unit;
      }
      return;
    case LogicalKind::kDecimal:
      kind_ = Kind::kDecimal;
      scale_ = l.scale;
      return;
    case LogicalKind::kInteger:
      if (physical_ == Type::kInt32 || physical_ == Type::kInt64) {
        kind_ = l.is_signed ? Kind::kSigned : Kind::kUnsigned;
      }
      return;
    case LogicalKind::kFloat16:
      if (physical_ == Type::kFixedLenByteArray && e.type_length == 2) kind_ = Kind::kFloat16;
      return;
    case LogicalKind::kNone:
      break;
    default:
      return;
  }
  if (!e.converted_type) return;
  switch (static_cast<ConvertedType>(*e.converted_type)) {
    case ConvertedType::kUtf8:
    case ConvertedType::kEnum:
    case ConvertedType::kJson:
      if (bytes) kind_ = Kind::kText;
      break;
    case ConvertedType::kDate:
      if (physical_ == Type::kInt32) kind_ = Kind::kDate;
      break;
    case ConvertedType::kTimeMillis:
    case ConvertedType::kTimeMicros:
      if (physical_ == Type::kInt32 || physical_ == Type::kInt64) {
        kind_ = Kind::kTime;
        unit_ = *e.converted_type == int(ConvertedType::kTimeMillis) ? TimeUnit::kMillis
                                                                     : TimeUnit::kMicros;
      }
      break;
    case ConvertedType::kTimestampMillis:
    case ConvertedType::kTimestampMicros:
      if (physical_ == Type::kInt64) {
        kind_ = Kind::kTimestamp;
        unit_ = *e.converted_type == int(ConvertedType::kTimestampMillis) ? TimeUnit::kMillis
                                                                          : TimeUnit::kMicros;
      }
      break;
    case ConvertedType::kDecimal:
      kind_ = Kind::kDecimal;
      break;
    case ConvertedType::kUint8:
    case ConvertedType::kUint16:
    case ConvertedType::kUint32:
    case ConvertedType::kUint64:
      if (physical_ == Type::kInt32 || physical_ == Type::kInt64) {
        kind_ = Kind::kUnsigned;
      }
      break;
    default:
      break;
  }
}

std::string_view ValueText::kind_name() const {
  switch (kind_) {
    case Kind::kText:
    case Kind::kCheckedText:
    case Kind::kUuid:
      return "string";
    case Kind::kDate:
      return "date";
    case Kind::kTime:
      return "time";
    case Kind::kTimestamp:
      return "timestamp";
    case Kind::kDecimal:
    case Kind::kFloat16:
      return "float";
    case Kind::kSigned:
    case Kind::kUnsigned:
      return "integer";
    case Kind::kNumber:
      break;
  }
  switch (physical_) {
    case Type::kBoolean:
      return "boolean";
    case Type::kInt32:
    case Type::kInt64:
      return "integer";
    case Type::kInt96:
      return "timestamp";
    case Type::kFloat:
    case Type::kDouble:
      return "float";
    default:
      return "string";
  }
}

ColumnType ValueText::typed_type() const {
  const bool int_physical = physical_ == Type::kInt32 || physical_ == Type::kInt64;
  switch (kind_) {
    case Kind::kSigned:
      return int_physical ? ColumnType::kInteger : ColumnType::kString;
    case Kind::kDate:
      return physical_ == Type::kInt32 ? ColumnType::kDate : ColumnType::kString;
    case Kind::kTimestamp:
      return int_physical ? ColumnType::kTimestamp : ColumnType::kString;
    case Kind::kNumber:
      switch (physical_) {
        case Type::kBoolean:
          return ColumnType::kBoolean;
        case Type::kInt32:
        case Type::kInt64:
          return ColumnType::kInteger;
        case Type::kFloat:
        case Type::kDouble:
          return ColumnType::kFloat;
        default:
          return ColumnType::kString;
      }
    default:
      return ColumnType::kString;
  }
}

int64_t ValueText::TypedInt(int64_t v) const {
  return kind_ == Kind::kTimestamp ? ToMicros(v, unit_) : v;
}

bool ValueText::TypedIntIsValue() const {
  return kind_ != Kind::kTimestamp || unit_ == TimeUnit::kMicros;
}

void ValueText::TypedText(int64_t i, double f, std::string& out) const {
  if (kind_ == Kind::kTimestamp) {
    AppendTimestampMicros(i, out);
  } else if (physical_ == Type::kBoolean) {
    Bool(i != 0, out);
  } else if (physical_ == Type::kFloat || physical_ == Type::kDouble) {
    Double(f, out);
  } else {
    Int64(i, out);
  }
}

bool ValueText::Bool(bool v, std::string& out) const {
  out += v ? "true" : "false";
  return true;
}

bool ValueText::Int32(int32_t v, std::string& out) const {
  if (kind_ == Kind::kUnsigned) {
    AppendUint(static_cast<uint32_t>(v), out);
    return true;
  }
  return Int64(v, out);
}

bool ValueText::Int64(int64_t v, std::string& out) const {
  switch (kind_) {
    case Kind::kDate:
      AppendDate(v, out);
      return true;
    case Kind::kTime: {
      int64_t micros = ToMicros(v, unit_);
      if (micros < 0 || micros >= kMicrosPerDay) {
        AppendInt(v, out);  // not a time of day: its number, which a time column refuses
      } else {
        AppendTimeOfDay(micros, out);
      }
      return true;
    }
    case Kind::kTimestamp:
      AppendTimestampMicros(ToMicros(v, unit_), out);
      return true;
    case Kind::kDecimal:
      AppendDecimal(v, scale_, out);
      return true;
    case Kind::kUnsigned:
      AppendUint(static_cast<uint64_t>(v), out);
      return true;
    default:
      AppendInt(v, out);
      return true;
  }
}

bool ValueText::Int96(const uint8_t* v, std::string& out) const {
  std::optional<int64_t> micros =
      Int96ToMicros(std::string_view(reinterpret_cast<const char*>(v), 12));
  if (!micros) return false;
  AppendTimestampMicros(*micros, out);
  return true;
}

bool ValueText::Float(float v, std::string& out) const {
  AppendDouble(static_cast<double>(v), out);
  return true;
}

bool ValueText::Double(double v, std::string& out) const {
  AppendDouble(v, out);
  return true;
}

bool ValueText::Bytes(std::string_view v, std::string& out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (kind_) {
    case Kind::kText:
      out += v;
      return true;
    case Kind::kUuid:
      for (size_t i = 0; i < v.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(kHex[static_cast<unsigned char>(v[i]) >> 4]);
        out.push_back(kHex[static_cast<unsigned char>(v[i]) & 0xf]);
      }
      return true;
    case Kind::kDecimal:
      AppendDecimalBytes(v, scale_, out);
      return true;
    case Kind::kFloat16: {
      uint16_t h = static_cast<uint16_t>(static_cast<unsigned char>(v[0]) |
                                         (static_cast<unsigned char>(v[1]) << 8));
      AppendDouble(Float16ToDouble(h), out);
      return true;
    }
    default:
      if (!ValidUtf8(v)) return false;
      out += v;
      return true;
  }
}

}  // namespace sluice::parquet

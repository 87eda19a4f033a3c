#include "sink/clickhouse/native.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>

#include "sink/clickhouse/clickhouse_sql.h"

namespace sluice {
namespace {

using clickhouse::Unwrap;

using Kind = ClickHouseColumnEncoding::Kind;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Status OutOfRange(const Column& column, std::string_view type) {
  return Status::InvalidData("column \"" + column.def.name + "\": value out of the range of " +
                             std::string(type));
}

// Appends the values of `column` converted by `convert` (int64 -> optional T:
// nullopt when out of T's range) as a Native array of T; NULL rows are T{}.
// Returns the first row that does not convert, or -1.
template <typename T, typename Convert>
int64_t AppendConverted(const Column& column, std::string& out, Convert convert) {
  const size_t rows = column.nulls.size();
  const size_t at = out.size();
  out.resize(at + rows * sizeof(T));
  char* dest = out.data() + at;
  for (size_t row = 0; row < rows; ++row) {
    T value{};
    if (column.nulls[row] == 0) {
      std::optional<T> converted = convert(column.ints[row]);
      if (!converted) return static_cast<int64_t>(row);
      value = *converted;
    }
    std::memcpy(dest + row * sizeof(T), &value, sizeof(T));
  }
  return -1;
}

// `v` as T if it is in T's range.
template <typename T>
std::optional<T> InRange(int64_t v) {
  if constexpr (std::is_signed_v<T>) {
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return {};
  } else {
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) return {};
  }
  return static_cast<T>(v);
}

// Appends a vector's bytes as they are (its element is the wire type).
template <typename T>
void AppendArray(const std::vector<T>& values, std::string& out) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

}  // namespace

Result<ClickHouseColumnEncoding> ClickHouseEncodingFor(std::string_view type, ColumnType source) {
  ClickHouseColumnEncoding e;
  e.type = std::string(type);
  std::string_view base = type;
  e.nullable = Unwrap(base, "Nullable");
  bool fits = false;
  switch (source) {
    case ColumnType::kInteger:
    case ColumnType::kBoolean: {
      static constexpr std::pair<std::string_view, Kind> kInts[] = {
          {"Int8", Kind::kInt8},     {"Int16", Kind::kInt16},   {"Int32", Kind::kInt32},
          {"Int64", Kind::kInt64},   {"UInt8", Kind::kUInt8},   {"UInt16", Kind::kUInt16},
          {"UInt32", Kind::kUInt32}, {"UInt64", Kind::kUInt64}, {"Bool", Kind::kUInt8},
      };
      for (const auto& [name, kind] : kInts) {
        if (base == name) {
          e.kind = kind;
          fits = true;
        }
      }
      break;
    }
    case ColumnType::kFloat:
      if (base == "Float32" || base == "Float64") {
        e.kind = base == "Float32" ? Kind::kFloat32 : Kind::kFloat64;
        fits = true;
      }
      break;
    case ColumnType::kDate:
      if (base == "Date" || base == "Date32") {
        e.kind = base == "Date" ? Kind::kDate : Kind::kDate32;
        fits = true;
      }
      break;
    case ColumnType::kTimestamp:
      if (base == "DateTime" || base.starts_with("DateTime(")) {
        e.kind = Kind::kDateTime;
        fits = true;
      } else if (base.starts_with("DateTime64(")) {
        e.kind = Kind::kDateTime64;
        const char* start = base.data() + 11;
        auto [p, ec] = std::from_chars(start, base.data() + base.size(), e.scale);
        fits = ec == std::errc() && e.scale >= 0 && e.scale <= 9;
      }
      break;
    case ColumnType::kString:
      if (base == "String") {
        e.kind = Kind::kString;
        fits = true;
      }
      break;
  }
  if (!fits) {
    return Status::InvalidArgument("ClickHouse type " + std::string(type) + " cannot hold " +
                                   std::string(ColumnTypeName(source)) + " values");
  }
  return e;
}

Status AppendNativeColumn(const Column& column, const ClickHouseColumnEncoding& encoding,
                          std::string& out, size_t* bad_row) {
  const size_t rows = column.nulls.size();
  auto refuse = [&](int64_t row, std::string_view type) {
    *bad_row = static_cast<size_t>(row);
    return OutOfRange(column, type);
  };
  if (encoding.nullable) {
    AppendArray(column.nulls, out);
  } else if (const void* null = std::memchr(column.nulls.data(), 1, rows); null != nullptr) {
    *bad_row = static_cast<size_t>(static_cast<const uint8_t*>(null) - column.nulls.data());
    return Status::InvalidData("column \"" + column.def.name +
                               "\": NULL in a column that is not Nullable");
  }
  int64_t bad = -1;
  switch (encoding.kind) {
    case Kind::kInt8:
      bad = AppendConverted<int8_t>(column, out, InRange<int8_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Int8");
    case Kind::kInt16:
      bad = AppendConverted<int16_t>(column, out, InRange<int16_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Int16");
    case Kind::kInt32:
      bad = AppendConverted<int32_t>(column, out, InRange<int32_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Int32");
    case Kind::kInt64:
      // NULL rows hold 0 in the batch already.
      AppendArray(column.ints, out);
      return Status::Ok();
    case Kind::kUInt8:
      bad = AppendConverted<uint8_t>(column, out, InRange<uint8_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt8");
    case Kind::kUInt16:
      bad = AppendConverted<uint16_t>(column, out, InRange<uint16_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt16");
    case Kind::kUInt32:
      bad = AppendConverted<uint32_t>(column, out, InRange<uint32_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt32");
    case Kind::kUInt64:
      bad = AppendConverted<uint64_t>(column, out, InRange<uint64_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt64");
    case Kind::kFloat32: {
      const size_t at = out.size();
      out.resize(at + rows * sizeof(float));
      for (size_t row = 0; row < rows; ++row) {
        const float value = static_cast<float>(column.floats[row]);
        std::memcpy(out.data() + at + row * sizeof(float), &value, sizeof(float));
      }
      return Status::Ok();
    }
    case Kind::kFloat64:
      AppendArray(column.floats, out);
      return Status::Ok();
    case Kind::kDate:
      bad = AppendConverted<uint16_t>(column, out, InRange<uint16_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Date (1970-01-01..2149-06-06)");
    case Kind::kDate32:
      bad = AppendConverted<int32_t>(column, out, InRange<int32_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Date32");
    case Kind::kDateTime:
      bad = AppendConverted<uint32_t>(
          column, out, [](int64_t micros) { return InRange<uint32_t>(FloorDiv(micros, 1000000)); });
      return bad < 0 ? Status::Ok() : refuse(bad, "DateTime (1970..2106)");
    case Kind::kDateTime64: {
      const int scale = encoding.scale;
      bad = AppendConverted<int64_t>(column, out, [scale](int64_t ticks) -> std::optional<int64_t> {
        if (scale <= 6) {
          int64_t divisor = 1;
          for (int i = scale; i < 6; ++i) divisor *= 10;
          return FloorDiv(ticks, divisor);
        }
        for (int i = 6; i < scale; ++i) {
          if (__builtin_mul_overflow(ticks, int64_t{10}, &ticks)) return {};
        }
        return ticks;
      });
      return bad < 0 ? Status::Ok() : refuse(bad, "DateTime64");
    }
    case Kind::kString:
      // NULL rows hold "" in the batch already.
      for (std::string_view value : column.strings) native::AppendString(out, value);
      return Status::Ok();
  }
  return Status::Internal("unknown column encoding");
}

}  // namespace sluice

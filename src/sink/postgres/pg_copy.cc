#include "sink/postgres/pg_copy.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>

namespace sluice::pgcopy {
namespace {

constexpr int64_t kEpochShiftMicros = kEpochShiftDays * 86400LL * 1000000LL;

void PutInt32(std::string& out, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  const char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                     static_cast<char>(u >> 8), static_cast<char>(u)};
  out.append(b, 4);
}

// Big-endian stores at p; each returns the byte after the value.
char* Put16(char* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
  return p + 2;
}

char* Put32(char* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
  return p + 4;
}

char* Put64(char* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
  return p + 8;
}

// Copies `s` to p and returns the byte after it. Short texts (a status, a code)
// are copied by two overlapping loads and stores of their own bytes: a call to
// memcpy for a few bytes costs more than the copy.
char* PutBytes(char* p, std::string_view s) {
  const size_t n = s.size();
  const char* from = s.data();
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, from, 8);
    std::memcpy(&b, from + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, from, 4);
    std::memcpy(&b, from + n - 4, 4);
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) p[i] = from[i];
  } else {
    std::memcpy(p, from, n);
  }
  return p + n;
}

// Bytes of a non-null value on the wire, text excluded (its own length).
size_t FixedSize(Wire wire) {
  switch (wire) {
    case Wire::kInt8:
    case Wire::kFloat8:
    case Wire::kTimestamp:
      return 8;
    case Wire::kInt4:
    case Wire::kFloat4:
    case Wire::kDate:
      return 4;
    case Wire::kInt2:
      return 2;
    case Wire::kBool:
      return 1;
    case Wire::kText:
      return 0;
  }
  return 8;
}

}  // namespace

void AppendHeader(std::string& out) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n\0";
  out.append(kSignature, 11);
  PutInt32(out, 0);  // flags
  PutInt32(out, 0);  // header extension length
}

void AppendTrailer(std::string& out) {
  char b[2];
  Put16(b, static_cast<uint16_t>(-1));
  out.append(b, 2);
}

void AppendRows(const Batch& batch, const std::vector<Wire>& wire, std::string& out) {
  AppendRows(batch, wire, 0, batch.rows(), out);
}

void AppendRows(const Batch& batch, const std::vector<Wire>& wire, size_t begin, size_t end,
                std::string& out) {
  if (begin >= end) return;
  const auto& columns = batch.columns();
  // Each cell is written through a raw pointer into room made once: appending
  // a few bytes at a time to the string (a call, a capacity test and a size
  // update each, three per cell) cost more than the encoding itself.
  struct Field {
    Wire wire;
    const uint8_t* nulls;
    const int64_t* ints;
    const double* floats;
    const std::string_view* strings;
  };
  std::vector<Field> fields;
  fields.reserve(columns.size());
  const size_t rows = end - begin;
  size_t room = rows * 2;  // the field counts
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = columns[i];
    fields.push_back({wire[i], column.nulls.data(), column.ints.data(), column.floats.data(),
                      column.strings.data()});
    room += rows * (4 + FixedSize(wire[i]));
    if (wire[i] == Wire::kText) {
      for (size_t row = begin; row < end; ++row) room += column.strings[row].size();
    }
  }
  const size_t start = out.size();
  out.resize(start + room);
  char* p = out.data() + start;
  const auto field_count = static_cast<uint16_t>(columns.size());
  for (size_t row = begin; row < end; ++row) {
    p = Put16(p, field_count);
    for (const Field& f : fields) {
      if (f.nulls[row] != 0) {
        p = Put32(p, static_cast<uint32_t>(-1));
        continue;
      }
      switch (f.wire) {
        case Wire::kInt8:
          p = Put32(p, 8);
          p = Put64(p, static_cast<uint64_t>(f.ints[row]));
          break;
        case Wire::kInt4:
          p = Put32(p, 4);
          p = Put32(p, static_cast<uint32_t>(f.ints[row]));
          break;
        case Wire::kInt2:
          p = Put32(p, 2);
          p = Put16(p, static_cast<uint16_t>(f.ints[row]));
          break;
        case Wire::kFloat8: {
          uint64_t bits;
          std::memcpy(&bits, &f.floats[row], 8);
          p = Put32(p, 8);
          p = Put64(p, bits);
          break;
        }
        case Wire::kFloat4: {
          const auto v = static_cast<float>(f.floats[row]);
          uint32_t bits;
          std::memcpy(&bits, &v, 4);
          p = Put32(p, 4);
          p = Put32(p, bits);
          break;
        }
        case Wire::kBool:
          p = Put32(p, 1);
          *p++ = f.ints[row] != 0 ? '\1' : '\0';
          break;
        case Wire::kDate:
          p = Put32(p, 4);
          p = Put32(p, static_cast<uint32_t>(f.ints[row] - kEpochShiftDays));
          break;
        case Wire::kTimestamp:
          p = Put32(p, 8);
          p = Put64(p, static_cast<uint64_t>(f.ints[row] - kEpochShiftMicros));
          break;
        case Wire::kText: {
          const std::string_view s = f.strings[row];
          p = Put32(p, static_cast<uint32_t>(s.size()));
          p = PutBytes(p, s);
          break;
        }
      }
    }
  }
  out.resize(static_cast<size_t>(p - out.data()));
}

std::optional<UnfitValue> FindUnfit(const Batch& batch, const std::vector<Wire>& wire) {
  const auto& columns = batch.columns();
  const size_t rows = batch.rows();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = columns[i];
    // Dates and timestamps are sent shifted to the server's epoch (2000): a value
    // the shift overflows would arrive as another, valid one (INT64_MIN µs as a
    // date in the year 294247).
    const Wire w = wire[i];
    if (w == Wire::kInt4 || w == Wire::kInt2 || w == Wire::kDate || w == Wire::kTimestamp) {
      int64_t lo = std::numeric_limits<int32_t>::min();
      int64_t hi = std::numeric_limits<int32_t>::max();
      if (w == Wire::kInt2) {
        lo = std::numeric_limits<int16_t>::min();
        hi = std::numeric_limits<int16_t>::max();
      } else if (w == Wire::kTimestamp) {
        lo = std::numeric_limits<int64_t>::min();
        hi = std::numeric_limits<int64_t>::max();
      }
      const int64_t shift = w == Wire::kDate        ? kEpochShiftDays
                            : w == Wire::kTimestamp ? kEpochShiftMicros
                                                    : 0;
      for (size_t row = 0; row < rows; ++row) {
        const int64_t v = column.ints[row];
        int64_t sent = 0;
        if (column.nulls[row] == 0 &&
            (__builtin_sub_overflow(v, shift, &sent) || sent < lo || sent > hi)) {
          return UnfitValue{
              row, i, "value " + std::to_string(v) + " is out of range for the column's type"};
        }
      }
    }
    if (w == Wire::kText) {
      for (size_t row = 0; row < rows; ++row) {
        if (column.strings[row].size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
          return UnfitValue{row, i, "value longer than 2 GiB"};
        }
      }
    }
  }
  return std::nullopt;
}

void RowMap::Add(size_t load, const std::vector<uint64_t>& lines) {
  for (const uint64_t line : lines) {
    if (runs_.empty() || runs_.back().load != load ||
        runs_.back().line + (rows_ - runs_.back().row) != line) {
      runs_.push_back({line, static_cast<uint32_t>(rows_), static_cast<uint32_t>(load)});
    }
    ++rows_;
  }
}

RowMap::Source RowMap::At(uint64_t row) const {
  // The last run starting at or before `row`.
  auto run = std::upper_bound(runs_.begin(), runs_.end(), row,
                              [](uint64_t r, const Run& x) { return r < x.row; });
  --run;
  return {run->load, run->line + (row - run->row)};
}

uint64_t ErrorRow(const char* context) {
  if (context == nullptr) return 0;
  const char* p = std::strstr(context, ", line ");
  if (p == nullptr) return 0;
  return std::strtoull(p + 7, nullptr, 10);
}

std::string ErrorColumn(const char* context) {
  if (context == nullptr) return "";
  const char* p = std::strstr(context, ", column ");
  if (p == nullptr) return "";
  p += 9;
  const char* end = std::strchr(p, ':');
  return end != nullptr ? std::string(p, end) : std::string(p);
}

}  // namespace sluice::pgcopy

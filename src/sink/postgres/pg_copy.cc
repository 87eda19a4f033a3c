#include "sink/postgres/pg_copy.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>

namespace sluice::pgcopy {
namespace {

constexpr int64_t kEpochShiftMicros = kEpochShiftDays * 86400LL * 1000000LL;

void PutInt16(std::string& out, int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  const char b[2] = {static_cast<char>(u >> 8), static_cast<char>(u)};
  out.append(b, 2);
}

void PutInt32(std::string& out, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  const char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                     static_cast<char>(u >> 8), static_cast<char>(u)};
  out.append(b, 4);
}

void PutInt64(std::string& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (56 - 8 * i));
  out.append(b, 8);
}

}  // namespace

void AppendHeader(std::string& out) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n\0";
  out.append(kSignature, 11);
  PutInt32(out, 0);  // flags
  PutInt32(out, 0);  // header extension length
}

void AppendTrailer(std::string& out) { PutInt16(out, -1); }

void AppendRows(const Batch& batch, const std::vector<Wire>& wire, std::string& out) {
  const auto& columns = batch.columns();
  const auto field_count = static_cast<int16_t>(columns.size());
  for (size_t row = 0; row < batch.rows(); ++row) {
    PutInt16(out, field_count);
    for (size_t i = 0; i < columns.size(); ++i) {
      const Column& column = columns[i];
      if (column.nulls[row] != 0) {
        PutInt32(out, -1);
        continue;
      }
      switch (wire[i]) {
        case Wire::kInt8:
          PutInt32(out, 8);
          PutInt64(out, column.ints[row]);
          break;
        case Wire::kInt4:
          PutInt32(out, 4);
          PutInt32(out, static_cast<int32_t>(column.ints[row]));
          break;
        case Wire::kInt2:
          PutInt32(out, 2);
          PutInt16(out, static_cast<int16_t>(column.ints[row]));
          break;
        case Wire::kFloat8: {
          uint64_t bits;
          std::memcpy(&bits, &column.floats[row], 8);
          PutInt32(out, 8);
          PutInt64(out, static_cast<int64_t>(bits));
          break;
        }
        case Wire::kFloat4: {
          const auto f = static_cast<float>(column.floats[row]);
          uint32_t bits;
          std::memcpy(&bits, &f, 4);
          PutInt32(out, 4);
          PutInt32(out, static_cast<int32_t>(bits));
          break;
        }
        case Wire::kBool:
          PutInt32(out, 1);
          out += column.ints[row] != 0 ? '\1' : '\0';
          break;
        case Wire::kDate:
          PutInt32(out, 4);
          PutInt32(out, static_cast<int32_t>(column.ints[row] - kEpochShiftDays));
          break;
        case Wire::kTimestamp:
          PutInt32(out, 8);
          PutInt64(out, column.ints[row] - kEpochShiftMicros);
          break;
        case Wire::kText: {
          const std::string_view s = column.strings[row];
          PutInt32(out, static_cast<int32_t>(s.size()));
          out.append(s.data() != nullptr ? s.data() : "", s.size());
          break;
        }
      }
    }
  }
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
      runs_.push_back({rows_, line, load});
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

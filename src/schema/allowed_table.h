// AllowedTable: the lookup behind a column's `allowed` rule, used by the
// Validator per cell (schema-internal). IsAllowed scans or searches the sorted
// list; AllowedTable adds, for short lists, a hashed slot per value so that a
// cell costs one hash and at most one comparison.
//
// Thread-safety: an AllowedTable is read-only once built; it refers to the list
// it was built from, which must outlive it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/plain_decimal.h"

namespace sluice {
namespace schema_internal {

// Byte by byte: values are short, and a library memcmp call costs more.
inline bool EqualBytes(const std::string& value, std::string_view cell) {
  if (value.size() != cell.size()) return false;
  for (size_t i = 0; i < cell.size(); ++i) {
    if (value[i] != cell[i]) return false;
  }
  return true;
}

// Whether `cell` is one of `allowed` (sorted). A short list, the usual case
// (status codes, enums), is scanned comparing lengths first, which rules out most
// entries without comparing bytes; a long one is searched.
inline bool IsAllowed(const std::vector<std::string>& allowed, std::string_view cell) {
  if (allowed.size() > 16) {
    return std::binary_search(allowed.begin(), allowed.end(), cell, std::less<>());
  }
  for (const std::string& value : allowed) {
    if (EqualBytes(value, cell)) return true;
  }
  return false;
}

// A column's allowed values, looked up per cell. A short list (up to 16 values,
// the usual status codes and enums) gets a 64-slot table indexed by a hash of a
// text's length, first and last byte: the slot names the one value a cell can
// equal, or that no value can (most wrong cells), so a cell costs one hash and at
// most one comparison; a slot two values share falls back to the scan. Built per
// column and batch (a few dozen instructions); `allowed` must outlive it.
class AllowedTable {
 public:
  explicit AllowedTable(const std::vector<std::string>& allowed) : allowed_(allowed) {
    slots_.fill(kNone);
    if (allowed.size() > 16) return;
    for (size_t i = 0; i < allowed.size(); ++i) {
      int8_t& slot = slots_[Hash(allowed[i])];
      slot = slot == kNone ? static_cast<int8_t>(i) : kShared;
      Padded& padded = padded_[i];
      padded.bytes.fill(0);
      padded.size = allowed[i].size();
      if (padded.size <= 16) allowed[i].copy(padded.bytes.data(), padded.size);
    }
  }

  // Whether `cell` is allowed; its bytes may be read up to `readable_end`.
  [[gnu::always_inline]] bool Contains(std::string_view cell, const char* readable_end) const {
    if (allowed_.size() > 16) return IsAllowed(allowed_, cell);
    const int8_t slot = slots_[Hash(cell)];
    if (slot >= 0) {
      const Padded& value = padded_[static_cast<size_t>(slot)];
      if (cell.size() != value.size) return false;
      // Values of up to 16 bytes are compared as two 8-byte words, masked to
      // the length: no loop whose exit varies with the value.
      if (value.size <= 16 && readable_end - cell.data() >= 16) {
        using plain_decimal::Load8;
        using plain_decimal::LowBytes;
        const unsigned n = static_cast<unsigned>(value.size);
        const uint64_t low =
            (Load8(cell.data()) ^ Load8(value.bytes.data())) & LowBytes(n > 8 ? 8 : n);
        const uint64_t high =
            (Load8(cell.data() + 8) ^ Load8(value.bytes.data() + 8)) & LowBytes(n > 8 ? n - 8 : 0);
        return (low | high) == 0;
      }
      return EqualBytes(allowed_[static_cast<size_t>(slot)], cell);
    }
    return slot == kShared && IsAllowed(allowed_, cell);
  }

 private:
  static constexpr int8_t kNone = -1;
  static constexpr int8_t kShared = -2;
  // A value's bytes, zero-padded to 16 when it is that short.
  struct Padded {
    std::array<char, 16> bytes;
    size_t size;
  };

  static size_t Hash(std::string_view text) {
    if (text.empty()) return 0;
    return (text.size() * 7 + static_cast<unsigned char>(text.front()) * 3 +
            static_cast<unsigned char>(text.back())) &
           63;
  }
  const std::vector<std::string>& allowed_;
  std::array<int8_t, 64> slots_;
  std::array<Padded, 16> padded_;
};

}  // namespace schema_internal
}  // namespace sluice

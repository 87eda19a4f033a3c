// Hex: bytes as lower-case hex digits, for tests that compare a wire encoder's
// output (PGCOPY, Native) with bytes written out by hand.
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace sluice::testing {

inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

}  // namespace sluice::testing

// PlainDecimal: the fast path of ParseFloat (core/cell_parse.h) for the usual
// float cell, a plain decimal ("29.39", "-7", "+1010.234", ".5") of at most 19
// significant digits, correctly rounded (the double std::from_chars gives).
//
// The digits form an integer m < 10^19 and the fraction's length k <= 19, so the
// value is m / 10^k = m / 5^k / 2^k. One 64x64-bit multiplication of m
// (normalised) by a 64-bit truncation of 2^n / 5^k gives the value's leading 64
// bits to within 2 units of their last place, as in the Eisel-Lemire algorithm
// (fast_float): this bounds the true value to an interval shorter than the
// double's rounding granularity, and the result is rounded directly unless a
// rounding boundary (a halfway point between two doubles) may lie inside it.
// The product is taken for m >= 2^53 (16 to 19 digits, as in machine-printed
// doubles); below that Clinger's exact division (m and 10^k exact doubles) is
// cheaper. Undecided products (about 2 in 1000), exponents and everything else
// go to from_chars.
//
// Thread-safety: pure functions.
#pragma once

#include <bit>
#include <cfloat>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice {
namespace plain_decimal {

__extension__ typedef unsigned __int128 Uint128;

inline constexpr unsigned kMaxDigits = 19;  // 10^19 - 1 < 2^64

// For k in 1..19, with 2^(b-1) <= 5^k < 2^b: inverse[k] = floor(2^(63+b) / 5^k),
// in [2^63, 2^64) (5^k is never a power of two, so the quotient is never exact),
// and bits[k] = b.
struct InversePowersOfFive {
  uint64_t inverse[kMaxDigits + 1] = {};
  int bits[kMaxDigits + 1] = {};
  constexpr InversePowersOfFive() {
    Uint128 power = 1;
    for (unsigned k = 1; k <= kMaxDigits; ++k) {
      power *= 5;
      const int b = static_cast<int>(std::bit_width(static_cast<uint64_t>(power)));
      inverse[k] = static_cast<uint64_t>((Uint128{1} << (63 + b)) / power);
      bits[k] = b;
    }
  }
};
inline constexpr InversePowersOfFive kInversePowersOfFive{};

// m / 10^k correctly rounded, for 1 <= m < 2^64 and 1 <= k <= 19, into *value;
// false (value untouched) when the product cannot decide the rounding.
//
// With w = m << lz (top bit set) and T = 2^(63+b) / 5^k (irrational in binary,
// T_hi = floor(T)), m / 10^k = w * T * 2^-(lz + 63 + b + k), and w * T lies in
// (w * T_hi, w * T_hi + w): its leading 64 bits are h or h + 1 (h, the high half
// of w * T_hi, is at least 2^62), plus a fraction. The double keeps 53 bits of
// h; the `shift` bits below them (`rest`) round. A halfway point can lie in
// (h, h + 2) only when rest is half - 1 (the point h + 1) or half (h itself,
// which the true value exceeds, but the margin is not worth reasoning about):
// those two patterns are refused; every other value of rest rounds the whole
// interval the same way (a carry into the next mantissa rounds up to it too).
inline bool DecimalFraction(uint64_t m, unsigned k, double* value) {
  const int lz = std::countl_zero(m);
  const uint64_t w = m << lz;
  const Uint128 product = static_cast<Uint128>(w) * kInversePowersOfFive.inverse[k];
  const uint64_t h = static_cast<uint64_t>(product >> 64);
  const int shift = 10 + static_cast<int>(h >> 63);  // 53 bits kept of 63 or 64
  const uint64_t half = uint64_t{1} << (shift - 1);
  const uint64_t rest = h & ((half << 1) - 1);
  if (rest - (half - 1) <= 1) return false;  // rest is half - 1 or half
  uint64_t mantissa = (h >> shift) + (rest > half ? 1 : 0);
  int exponent = shift + 1 - lz - kInversePowersOfFive.bits[k] - static_cast<int>(k);
  if (mantissa == uint64_t{1} << 53) {  // rounded up to the next power of two
    mantissa >>= 1;
    ++exponent;
  }
  // value = mantissa * 2^exponent, 2^52 <= mantissa < 2^53: a normal double
  // (1e-19 <= value < 2^64), biased exponent exponent + 52 + 1023.
  const uint64_t bits =
      (static_cast<uint64_t>(exponent + 52 + 1023) << 52) | (mantissa & ((uint64_t{1} << 52) - 1));
  *value = std::bit_cast<double>(bits);
  return true;
}

// The eight bytes at `p` as a little-endian integer: byte i is p[i].
[[gnu::always_inline]] inline uint64_t Load8(const char* p) {
  uint64_t x;
  __builtin_memcpy(&x, p, 8);
  if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
  return x;
}

// Mask of the low `n` bytes, n in 0..8.
[[gnu::always_inline]] inline uint64_t LowBytes(unsigned n) {
  // Two shifts of 4n bits (each < 64, so defined): 2^(8n) - 1 without a branch,
  // 0 at n = 0 and all ones at n = 8. Cell lengths vary from row to row, so a
  // branch here would be mispredicted often.
  return ((uint64_t{1} << (4 * n)) << (4 * n)) - 1;
}

// The integer m and fraction length of a short cell: `length` (1..8) bytes at
// `p`, all ASCII digits but for at most one '.' (when `point` is allowed), with at
// least one digit; false for anything else. Reads p[0..7] whatever `length` is:
// the caller guarantees 8 readable bytes. Branch-free but for the result: the
// bytes are checked and converted eight at a time (SWAR), instead of a loop
// whose exit, at a varying length, is mispredicted about once a cell.
[[gnu::always_inline]] inline bool ShortDigits(const char* p, unsigned length, bool point,
                                               uint64_t* m, unsigned* fraction) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = 0x8080808080808080;
  constexpr uint64_t kZeros = 0x3030303030303030;  // "00000000"
  uint64_t x = Load8(p) & LowBytes(length);
  unsigned digits = length;
  *fraction = 0;
  // Zero bytes of x ^ "........": the lowest flagged one is exact.
  const uint64_t d = x ^ 0x2E2E2E2E2E2E2E2E;
  const uint64_t dots = (d - kOnes) & ~d & kHigh & LowBytes(length);
  if (point && dots != 0) {
    const unsigned at = static_cast<unsigned>(std::countr_zero(dots)) / 8;
    // The bytes after the point move down over it; a second point stays, and
    // fails the digit check below.
    x = (x & LowBytes(at)) | ((x >> 8) & ~LowBytes(at));
    digits = length - 1;
    *fraction = digits - at;
  }
  if (digits == 0) return false;
  // The digits at the top, the last in byte 7, '0's below them (leading zeros).
  const unsigned pad = 8 - digits;
  const uint64_t y = (x << (8 * pad)) | (kZeros & LowBytes(pad));
  // Every byte in '0'..'9': its high nibble is 3, and adding 6 keeps it 3.
  if ((y & 0xF0F0F0F0F0F0F0F0) != kZeros) return false;
  if (((y + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) != kZeros) return false;
  // Eight digits to their value, the first byte most significant (fast_float's
  // parse_eight_digits_unrolled): pairs, then quadruples, then the whole.
  uint64_t v = y - kZeros;
  v = v * 10 + (v >> 8);
  v = (((v & 0x000000FF000000FF) * (100 + (uint64_t{1000000} << 32))) +
       (((v >> 16) & 0x000000FF000000FF) * (1 + (uint64_t{10000} << 32)))) >>
      32;
  *m = static_cast<uint32_t>(v);
  return true;
}

}  // namespace plain_decimal

// The plain decimal `text` as a double, correctly rounded; false (value
// untouched) for anything else: exponents, more than 19 digits, junk, integers
// of 2^53 and more, and the rare value the product does not decide.
inline bool PlainDecimal(std::string_view text, double* value) {
#if FLT_EVAL_METHOD != 0
  return false;  // the exact division below needs IEEE double arithmetic (no x87)
#endif
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                      1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
  size_t i = 0;
  const size_t n = text.size();
  const bool negative = n > 0 && text[0] == '-';
  if (n > 0 && (text[0] == '-' || text[0] == '+')) ++i;
  if (n - i > plain_decimal::kMaxDigits + 1) return false;  // 19 digits and a point at most
  const size_t first = i;
  uint64_t m = 0;
  for (; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(text[i] - '0');
    if (d > 9) break;
    m = m * 10 + d;
  }
  size_t digits = i - first;
  size_t fraction = 0;
  if (i < n && text[i] == '.') {
    for (++i; i < n; ++i) {
      const unsigned d = static_cast<unsigned char>(text[i] - '0');
      if (d > 9) return false;
      m = m * 10 + d;
      ++fraction;
    }
    digits += fraction;
  }
  if (i != n || digits == 0 || digits > plain_decimal::kMaxDigits) return false;
  double v;
  if (m >> 53 == 0) {
    // Clinger: m and 10^k (k <= 19 < 23) are exact doubles, and one IEEE
    // division rounds correctly. Measured faster here than the product below:
    // the division's latency overlaps the next cells' work, its extra
    // instructions would not.
    v = static_cast<double>(m) / kPow10[fraction];
  } else if (fraction == 0 ||
             !plain_decimal::DecimalFraction(m, static_cast<unsigned>(fraction), &v)) {
    return false;  // a 16-digit or longer integer, or an undecided product: from_chars
  }
  *value = negative ? -v : v;
  return true;
}

// PlainDecimal for a cell whose bytes may be read up to `readable_end`: a
// plain decimal of at most 8 characters after its sign, with 8 bytes readable
// from its first digit (any cell but the arena's last few), is read by
// ShortDigits; anything else as PlainDecimal does. The same result either way.
[[gnu::always_inline]] inline bool PlainDecimal(std::string_view text, const char* readable_end,
                                                double* value) {
#if FLT_EVAL_METHOD != 0
  return false;
#endif
  static constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  const char* p = text.data();
  size_t n = text.size();
  const bool sign = n > 0 && (p[0] == '-' || p[0] == '+');
  const bool negative = sign && p[0] == '-';
  p += sign ? 1 : 0;
  n -= sign ? 1 : 0;
  uint64_t m = 0;
  unsigned fraction = 0;
  if (n - 1 < 8 && readable_end - p >= 8) {
    if (!plain_decimal::ShortDigits(p, static_cast<unsigned>(n), true, &m, &fraction)) {
      return false;  // not a plain decimal: from_chars decides
    }
    // m < 10^8 and 10^fraction are exact doubles: one division rounds correctly.
    const double v = static_cast<double>(m) / kPow10[fraction];
    // v >= 0: the sign bit set without a branch (signs vary from row to row).
    *value = std::bit_cast<double>(std::bit_cast<uint64_t>(v) | (uint64_t{negative} << 63));
    return true;
  }
  return PlainDecimal(text, value);
}

}  // namespace sluice

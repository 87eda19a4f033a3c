// HashHex: an XXH3-128 hash as sluice writes it everywhere (a file's identity, a
// ClickHouse group's tag): 32 lower-case hex digits, most significant first
// (XXH128's canonical form).
#pragma once

#include <xxhash.h>

#include <string>

namespace sluice {

inline std::string HashHex(XXH128_hash_t hash) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * sizeof(canonical.digest), '0');
  for (size_t i = 0; i < sizeof(canonical.digest); ++i) {
    out[2 * i] = kDigits[canonical.digest[i] >> 4];
    out[2 * i + 1] = kDigits[canonical.digest[i] & 0xf];
  }
  return out;
}

}  // namespace sluice

// ParseFlatObject: a scalar parser for the usual record of a JSON Lines file, an
// object of keys and scalar values, written without simdjson's DOM so that the
// JSON readers need not build and walk a tape for every line.
//
// It accepts only a strict subset of JSON and declines everything else (returns
// false), leaving the verdict to simdjson: so it never accepts what simdjson
// rejects, and what it accepts gives the values simdjson's DOM gives (tested
// against it in tests/format/json_flat_test.cc and by fuzz/jsonl_fuzz.cc). The
// subset: one object (JSON whitespace around and between tokens) of at least one
// member; keys and string values of printable ASCII without escapes (0x20 to 0x7F
// but '"' and '\'); true, false, null; integers of at most 18 digits (int64) but
// -0; decimals whose digits, leading zeros included, number at most 19, make a
// mantissa of at most 2^53 and a power of ten in [-22, 22], whose double one
// multiplication or division gives correctly rounded (as simdjson's) — but -0.0.
// Anything else (nested values, escapes, non-ASCII, other numbers, an empty
// object) goes to simdjson.
//
// Thread-safety: stateless; any thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class FlatKind : uint8_t { kString, kInteger, kDouble, kTrue, kFalse, kNull };

struct FlatField {
  std::string_view key;  // points into the parsed text
  FlatKind kind;
  std::string_view string;  // kString: the value's bytes, inside the parsed text
  int64_t integer;          // kInteger
  double number;            // kDouble
};

// Parses `text` as a flat object into `fields` (its only elements; keys in source
// order, repeats kept). Requires 15 readable bytes after `text` (a StreamBuffer's
// padding, or SIMDJSON_PADDING, give them): strings are searched 16 bytes a step. Returns false,
// `fields` then unspecified, if `text` is not in the subset above.
bool ParseFlatObject(std::string_view text, std::vector<FlatField>& fields);

// What tells `fields` from simdjson's `object` of the same text ("" if nothing):
// keys and strings as bytes, numbers by kind and value (doubles by their bits).
// The property tests/format/json_flat_test.cc and fuzz/jsonl_fuzz.cc check.
std::string FlatDifference(const std::vector<FlatField>& fields, simdjson::dom::object object);

}  // namespace sluice

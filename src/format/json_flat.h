// ParseFlatObject: a scalar parser for the usual record of a JSON Lines file, an
// object of keys and scalar values, written without simdjson's DOM so that the
// JSON readers need not build and walk a tape for every line.
//
// It accepts only a strict subset of JSON and declines everything else (returns
// false), leaving the verdict to simdjson: so it never accepts what simdjson
// rejects, and what it accepts gives the values simdjson's DOM gives (tested
// against it in tests/format/json_flat_test.cc and by fuzz/jsonl_fuzz.cc). The
// subset: one object of at least one member, JSON whitespace around and between
// tokens; keys and string values of ASCII bytes 0x20 to 0x7F without '"' and
// '\' (so without escapes); true, false, null; integers of at most 18 digits,
// but -0; decimals of at most 19 digits (leading zeros included) whose mantissa
// is at most 2^53 and whose power of ten is in [-22, 22], but -0.0: one
// multiplication or division of two exact doubles then gives the correctly
// rounded value, as simdjson's. Anything else (nested values, escapes, non-ASCII
// bytes, other numbers, an empty object) is simdjson's to read.
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
// order, repeats kept). Returns false, `fields` then unspecified, if `text` is
// not in the subset above. Requires 15 readable bytes after `text` (a
// StreamBuffer's padding or SIMDJSON_PADDING): strings are searched 16 bytes a
// step.
bool ParseFlatObject(std::string_view text, std::vector<FlatField>& fields);

// What tells `fields` from simdjson's `object` of the same text ("" if nothing):
// keys and strings as bytes, numbers by kind and value (doubles by their bits).
// The property tests/format/json_flat_test.cc and fuzz/jsonl_fuzz.cc check.
std::string FlatDifference(const std::vector<FlatField>& fields, simdjson::dom::object object);

}  // namespace sluice

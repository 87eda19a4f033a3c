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
// Two aids for JSON Lines: ParseFlatLine finds the line's end as it parses (no
// separate search for the LF), and FlatKeys gives the keys the object is
// expected to have (the previous object's, by position): a key is then compared
// in one step with the bytes where it starts, its closing quote included,
// instead of being searched for, and marked as found (FlatField::expected) so
// that the caller need not look it up again.
//
// Thread-safety: stateless; any thread (a FlatKeys: one owner at a time).
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
  bool expected;            // the key is the one FlatKeys expected at its position
  std::string_view string;  // kString: the value's bytes, inside the parsed text
  int64_t integer;          // kInteger
  double number;            // kDouble
};

// The keys expected at each position of the next flat object.
class FlatKeys {
 public:
  // Expects `key` at `position` from now on. A key outside the subset (one a flat
  // object cannot hold) is expected nowhere: that position's key is searched for.
  void Set(size_t position, std::string_view key);
  // The key expected at `position` followed by '"', with at least 15 readable
  // bytes after it; empty if none.
  std::string_view Quoted(size_t position) const {
    if (position >= quoted_.size()) return {};
    const std::string& q = quoted_[position];
    return std::string_view(q.data(), q.empty() ? 0 : q.size() - kPadding);
  }

  static constexpr size_t kPadding = 15;

 private:
  std::vector<std::string> quoted_;  // key, '"', kPadding bytes; or empty
};

// Parses `text` as a flat object into `fields` (its only elements; keys in source
// order, repeats kept). Returns false, `fields` then unspecified, if `text` is
// not in the subset above. `keys`, if given, are the keys expected (only a
// shortcut: the result is the same without). Requires 15 readable bytes after
// `text` (a StreamBuffer's padding or SIMDJSON_PADDING): strings are searched
// 16 bytes a step.
bool ParseFlatObject(std::string_view text, std::vector<FlatField>& fields,
                     const FlatKeys* keys = nullptr);

// ParseFlatObject for the line that starts at `begin`, whose end it finds: the
// first LF at or after `begin`, or `end` if none comes before it. LF is not
// whitespace here (it ends the line); CR is, as in JSON. Returns the line's end
// if the line is a flat object (then ParseFlatObject of the line gives the same
// fields), else null. Requires 15 readable bytes after `end`.
const char* ParseFlatLine(const char* begin, const char* end, std::vector<FlatField>& fields,
                          const FlatKeys* keys);

// What tells `fields` from simdjson's `object` of the same text ("" if nothing):
// keys and strings as bytes, numbers by kind and value (doubles by their bits).
// The property tests/format/json_flat_test.cc and fuzz/jsonl_fuzz.cc check.
std::string FlatDifference(const std::vector<FlatField>& fields, simdjson::dom::object object);

}  // namespace sluice

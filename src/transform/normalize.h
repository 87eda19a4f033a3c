// Value normalisation (`normalize:` in a table rule): rewrites the text values of
// a file's rows before schema inference and validation, so that both see the
// normalised values. In this order, per cell: trim (ASCII white space around the
// value), null_values (a value equal to one of them becomes NULL), case (lower or
// upper case of ASCII letters, per column) and map (a value equal to a key is
// replaced by its value, per column; one lookup, never chained).
//
// Not to be confused with normalize_names (transform/naming.h), which rewrites
// column NAMES; case and map name columns as they are after normalize_names.
//
// Thread-safety: NormalizeOptions is a value; a Normalizer is immutable after
// construction and Apply may run on several threads at once (on different batches).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/text_batch.h"

namespace sluice {

enum class LetterCase { kLower, kUpper };

struct NormalizeOptions {
  bool trim = false;
  std::vector<std::string> null_values;
  std::map<std::string, LetterCase> letter_case;  // by column name
  // By column name; the inner map finds a string_view without copying it.
  std::map<std::string, std::map<std::string, std::string, std::less<>>> map;

  bool any() const { return trim || !null_values.empty() || !letter_case.empty() || !map.empty(); }
  bool operator==(const NormalizeOptions&) const = default;
};

// Parses "lower" / "upper".
std::optional<LetterCase> ParseLetterCase(std::string_view name);

class Normalizer {
 public:
  explicit Normalizer(NormalizeOptions options);

  // Normalises every cell of `batch`, whose columns are called `names` (the
  // file's column names after normalize_names, one per column of the batch).
  // Null cells stay null. Rewritten values are appended to the batch's arena.
  void Apply(TextBatch& batch, const std::vector<std::string>& names) const;

  const NormalizeOptions& options() const { return options_; }

 private:
  bool IsNullValue(std::string_view value) const {
    // Most cells differ in length from every null value: one bit test rejects them.
    return (null_lengths_ >> (value.size() < 63 ? value.size() : 63) & 1) != 0 &&
           MatchesNullValue(value);
  }
  bool MatchesNullValue(std::string_view value) const;
  NormalizeOptions options_;
  // Bit n set: a null value is n bytes long (bit 63: 63 or more).
  uint64_t null_lengths_ = 0;
};

}  // namespace sluice

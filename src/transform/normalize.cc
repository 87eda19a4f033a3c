#include "transform/normalize.h"

#include <algorithm>
#include <optional>

namespace sluice {
namespace {

// ASCII white space: ' ' and '\t' '\n' '\v' '\f' '\r' (9 to 13).
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

// The first letter of `value` that `to` changes, or value.size().
size_t FirstToCase(std::string_view value, LetterCase to) {
  size_t i = 0;
  if (to == LetterCase::kLower) {
    while (i < value.size() && !IsUpper(value[i])) ++i;
  } else {
    while (i < value.size() && !IsLower(value[i])) ++i;
  }
  return i;
}

}  // namespace

std::optional<LetterCase> ParseLetterCase(std::string_view name) {
  if (name == "lower") return LetterCase::kLower;
  if (name == "upper") return LetterCase::kUpper;
  return std::nullopt;
}

Normalizer::Normalizer(NormalizeOptions options) : options_(std::move(options)) {
  for (const std::string& v : options_.null_values) {
    null_lengths_ |= uint64_t{1} << std::min<size_t>(v.size(), 63);
  }
}

bool Normalizer::IsNullValue(std::string_view value) const {
  // Most cells differ in length from every null value: one bit test rejects them.
  if ((null_lengths_ >> std::min<size_t>(value.size(), 63) & 1) == 0) return false;
  // A short list: comparing is cheaper than hashing.
  for (const std::string& v : options_.null_values) {
    if (v.size() == value.size() && v == value) return true;
  }
  return false;
}

void Normalizer::Apply(TextBatch& batch, const std::vector<std::string>& names) const {
  if (!options_.any()) return;
  const bool trim = options_.trim;
  const bool nulls = !options_.null_values.empty();
  std::string scratch;  // reused: a cell changed to another case is built here
  for (size_t c = 0; c < batch.columns().size() && c < names.size(); ++c) {
    std::optional<LetterCase> letter_case;
    if (auto it = options_.letter_case.find(names[c]); it != options_.letter_case.end()) {
      letter_case = it->second;
    }
    const std::map<std::string, std::string, std::less<>>* map = nullptr;
    if (auto it = options_.map.find(names[c]); it != options_.map.end()) map = &it->second;
    if (!trim && !nulls && !letter_case && map == nullptr) continue;
    // Cells are rewritten in place; the first non-null one is written through
    // ReplaceCell, which is what makes the column lose its typed values (the text
    // is the truth), as when every cell went through it.
    Span* cells = batch.MutableCells(c);
    size_t first = batch.rows();
    for (size_t r = 0; r < batch.rows(); ++r) {
      Span span = cells[r];
      if (span.is_null()) continue;
      if (first == batch.rows()) first = r;
      std::string_view value = batch.View(span);
      // Trimming narrows the span: no bytes are copied. A cell whose ends are not
      // blank (most) costs two compares.
      if (trim && !value.empty() && (IsSpace(value.front()) || IsSpace(value.back()))) {
        size_t front = 0;
        while (front < value.size() && IsSpace(value[front])) ++front;
        size_t back = value.size();
        while (back > front && IsSpace(value[back - 1])) --back;
        span =
            Span{span.offset + static_cast<uint32_t>(front), static_cast<uint32_t>(back - front)};
        value = value.substr(front, back - front);
      }
      if (nulls && IsNullValue(value)) {
        cells[r] = kNullSpan;
        continue;
      }
      if (letter_case) {
        if (size_t from = FirstToCase(value, *letter_case); from < value.size()) {
          scratch.assign(value);
          for (size_t i = from; i < scratch.size(); ++i) {
            char& ch = scratch[i];
            if (*letter_case == LetterCase::kLower && IsUpper(ch)) ch += 'a' - 'A';
            if (*letter_case == LetterCase::kUpper && IsLower(ch)) ch -= 'a' - 'A';
          }
          span = batch.Append(scratch);
          value = batch.View(span);
        }
      }
      if (map != nullptr) {
        if (auto it = map->find(value); it != map->end()) span = batch.Append(it->second);
      }
      cells[r] = span;
    }
    if (first < batch.rows()) batch.ReplaceCell(first, c, cells[first]);
  }
}

}  // namespace sluice

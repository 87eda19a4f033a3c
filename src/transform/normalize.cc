#include "transform/normalize.h"

#include <algorithm>
#include <optional>
#include <vector>

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

bool Normalizer::MatchesNullValue(std::string_view value) const {
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
  const size_t rows = batch.rows();
  // The columns to rewrite, with their per-column steps.
  struct Step {
    Span* cells;
    std::optional<LetterCase> letter_case;
    const std::map<std::string, std::string, std::less<>>* map = nullptr;
  };
  std::vector<Step> steps;
  for (size_t c = 0; c < batch.columns().size() && c < names.size(); ++c) {
    Step step{batch.MutableCells(c), std::nullopt, nullptr};
    if (auto it = options_.letter_case.find(names[c]); it != options_.letter_case.end()) {
      step.letter_case = it->second;
    }
    if (auto it = options_.map.find(names[c]); it != options_.map.end()) step.map = &it->second;
    if (!trim && !nulls && !step.letter_case && step.map == nullptr) continue;
    // Cells are rewritten in place. A column that has a non-null cell loses its
    // typed values (the text is the truth), as if each cell went through
    // ReplaceCell: one call does that.
    for (size_t r = 0; r < rows; ++r) {
      if (!step.cells[r].is_null()) {
        batch.ReplaceCell(r, c, step.cells[r]);
        break;
      }
    }
    steps.push_back(step);
  }
  if (steps.empty()) return;
  std::string scratch;  // reused: a cell changed to another case is built here
  // Row by row: a row's cells are next to each other in the arena (a reader's
  // record), so the bytes are read in the order they lie.
  for (size_t r = 0; r < rows; ++r) {
    for (const Step& step : steps) {
      Span span = step.cells[r];
      if (span.is_null()) continue;
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
        step.cells[r] = kNullSpan;
        continue;
      }
      if (step.letter_case) {
        const LetterCase to = *step.letter_case;
        if (size_t from = FirstToCase(value, to); from < value.size()) {
          scratch.assign(value);
          for (size_t i = from; i < scratch.size(); ++i) {
            char& ch = scratch[i];
            if (to == LetterCase::kLower && IsUpper(ch)) ch += 'a' - 'A';
            if (to == LetterCase::kUpper && IsLower(ch)) ch -= 'a' - 'A';
          }
          span = batch.Append(scratch);
          value = batch.View(span);
        }
      }
      if (step.map != nullptr) {
        if (auto it = step.map->find(value); it != step.map->end()) {
          span = batch.Append(it->second);
        }
      }
      step.cells[r] = span;
    }
  }
}

}  // namespace sluice

#include "transform/normalize.h"

#include <optional>

namespace sluice {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool NeedsCase(std::string_view value, LetterCase to) {
  for (char c : value) {
    if (to == LetterCase::kLower ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z')) return true;
  }
  return false;
}

}  // namespace

std::optional<LetterCase> ParseLetterCase(std::string_view name) {
  if (name == "lower") return LetterCase::kLower;
  if (name == "upper") return LetterCase::kUpper;
  return std::nullopt;
}

// What one column of a batch gets: the per-column steps that name it.
struct Normalizer::ColumnWork {
  std::optional<LetterCase> letter_case;
  const std::map<std::string, std::string, std::less<>>* map = nullptr;
};

Normalizer::Normalizer(NormalizeOptions options) : options_(std::move(options)) {}

bool Normalizer::IsNullValue(std::string_view value) const {
  // A short list: comparing is cheaper than hashing.
  for (const std::string& v : options_.null_values) {
    if (v == value) return true;
  }
  return false;
}

void Normalizer::Apply(TextBatch& batch, const std::vector<std::string>& names) const {
  if (!options_.any()) return;
  std::string scratch;
  for (size_t c = 0; c < batch.columns().size() && c < names.size(); ++c) {
    ColumnWork work;
    if (auto it = options_.letter_case.find(names[c]); it != options_.letter_case.end()) {
      work.letter_case = it->second;
    }
    if (auto it = options_.map.find(names[c]); it != options_.map.end()) work.map = &it->second;
    if (!options_.trim && options_.null_values.empty() && !work.letter_case &&
        work.map == nullptr) {
      continue;
    }
    for (size_t r = 0; r < batch.rows(); ++r) {
      Span span = batch.CellSpan(r, c);
      if (span.is_null()) continue;
      std::string_view value = batch.View(span);
      if (options_.trim) {
        // Trimming narrows the span: no bytes are copied.
        size_t front = 0;
        while (front < value.size() && IsSpace(value[front])) ++front;
        size_t back = value.size();
        while (back > front && IsSpace(value[back - 1])) --back;
        span =
            Span{span.offset + static_cast<uint32_t>(front), static_cast<uint32_t>(back - front)};
        value = value.substr(front, back - front);
      }
      if (!options_.null_values.empty() && IsNullValue(value)) {
        batch.ReplaceCell(r, c, kNullSpan);
        continue;
      }
      if (work.letter_case && NeedsCase(value, *work.letter_case)) {
        scratch.assign(value);
        for (char& ch : scratch) {
          if (*work.letter_case == LetterCase::kLower && ch >= 'A' && ch <= 'Z') ch += 'a' - 'A';
          if (*work.letter_case == LetterCase::kUpper && ch >= 'a' && ch <= 'z') ch -= 'a' - 'A';
        }
        span = batch.Append(scratch);
        value = batch.View(span);
      }
      if (work.map != nullptr) {
        if (auto it = work.map->find(value); it != work.map->end()) {
          span = batch.Append(it->second);
        }
      }
      batch.ReplaceCell(r, c, span);
    }
  }
}

}  // namespace sluice

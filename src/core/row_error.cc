// The one name table of RowErrorKind.
#include "core/row_error.h"

namespace sluice {
namespace {

constexpr std::array<std::string_view, kRowErrorKinds> kNames = {
    "ragged", "too_long", "json",  "encoding",       "type",      "format",  "null",
    "range",  "allowed",  "regex", "unknown_column", "transform", "refused",
};
static_assert(static_cast<size_t>(RowErrorKind::kRefused) + 1 == kRowErrorKinds,
              "kNames lists every RowErrorKind");

}  // namespace

std::string_view RowErrorKindName(RowErrorKind kind) { return kNames[static_cast<size_t>(kind)]; }

std::optional<RowErrorKind> ParseRowErrorKind(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<RowErrorKind>(i);
  }
  return std::nullopt;
}

}  // namespace sluice

// Fuzz target: the cell parsers (integer, float and its round trip, boolean, dates, timestamps).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/cell_parse.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Formats a schema may declare; the first byte picks one, the rest is the cell.
  static const char* const kFormats[] = {
      "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y%m%d", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%s",
      "%j/%Y",    "%b %d %Y"};
  const char* format = kFormats[data[0] % (sizeof(kFormats) / sizeof(kFormats[0]))];
  const std::string_view text =
      sluice::TrimBlanks(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  int64_t i = 0;
  const sluice::ParseResult parsed_int = sluice::ParseInteger(text, &i);
  double d = 0;
  const sluice::ParseResult parsed = sluice::ParseFloat(text, &d);
  // The short-cell paths, which read 8 bytes at a time past the cell (here, into
  // the input's end and the 8 bytes copied after it), agree with the others.
  std::string padded(text);
  padded.append("12.45678", 8);
  const std::string_view cell(padded.data(), text.size());
  int64_t short_int = 0;
  FUZZ_CHECK(sluice::ParseInteger(cell, padded.data() + padded.size(), &short_int) == parsed_int);
  if (parsed_int == sluice::ParseResult::kOk) FUZZ_CHECK(short_int == i);
  double short_float = 0;
  FUZZ_CHECK(sluice::ParseFloat(cell, padded.data() + padded.size(), &short_float) == parsed);
  if (parsed == sluice::ParseResult::kOk) {
    FUZZ_CHECK(std::memcmp(&short_float, &d, sizeof d) == 0);
  }
  // The plain-decimal fast path must agree with from_chars, bit for bit.
  double reference = 0;
  FUZZ_CHECK(sluice::ParseFloatChars(text, &reference) == parsed);
  if (parsed == sluice::ParseResult::kOk) {
    FUZZ_CHECK(std::memcmp(&reference, &d, sizeof d) == 0);
  }
  if (parsed == sluice::ParseResult::kOk) {
    FUZZ_CHECK(std::isfinite(d));
    double back = 0;
    FUZZ_CHECK(sluice::ParseFloat(sluice::FormatFloat(d), &back) == sluice::ParseResult::kOk);
    FUZZ_CHECK(back == d);
  }
  bool b = false;
  (void)sluice::ParseBoolean(text, &b);
  (void)sluice::HasLeadingZero(text);
  int64_t days = 0;
  if (sluice::ParseIsoDate(text, &days)) FUZZ_CHECK(days >= -719528 && days <= 2932896);
  int64_t micros = 0;
  (void)sluice::ParseIsoTimestamp(text, &micros);
  (void)sluice::ParseFormattedDate(text, format, &days);
  (void)sluice::ParseFormattedTimestamp(text, format, &micros);
  return 0;
}

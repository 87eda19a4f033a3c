#include "format/csv_scanner.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "format/byte_search.h"

namespace sluice {
namespace {

// The bytes that end a plain field: the delimiter, the quote, '\n' and '\r'.
// Built once per record (the broadcasts stay in registers across its blocks).
class SpecialBytes {
 public:
  SpecialBytes(char delimiter, char quote)
#if defined(__SSE2__)
      : delimiter_(_mm_set1_epi8(delimiter)),
        quote_(_mm_set1_epi8(quote)),
        lf_(_mm_set1_epi8('\n')),
        cr_(_mm_set1_epi8('\r'))
#else
      : delimiter_(delimiter),
        quote_(quote)
#endif
  {
  }

  // Bit i set when p[i] is one of them; reads p[0..15].
  uint32_t In(const char* p) const {
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, delimiter_), _mm_cmpeq_epi8(v, quote_)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, lf_), _mm_cmpeq_epi8(v, cr_)));
    return static_cast<uint32_t>(_mm_movemask_epi8(hits));
#else
    uint32_t hits = 0;
    for (int i = 0; i < 16; ++i) {
      const char c = p[i];
      if (c == delimiter_ || c == quote_ || c == '\n' || c == '\r') hits |= uint32_t{1} << i;
    }
    return hits;
#endif
  }

 private:
#if defined(__SSE2__)
  __m128i delimiter_, quote_, lf_, cr_;
#else
  char delimiter_, quote_;
#endif
};

}  // namespace

CsvScanner::CsvScanner(char delimiter, char quote) : delimiter_(delimiter), quote_(quote) {}

CsvScanner::Scan CsvScanner::Next(const char* begin, const char* end, bool eof,
                                  std::vector<CsvField>& fields) const {
  fields.clear();
  // Sixteen bytes per step: a mask of the delimiters, quotes and line breaks among
  // them, walked bit by bit, so a field costs a few instructions instead of its
  // own search. Ends at the '\n' at `end` at the latest, in a step that reads at
  // most 15 bytes past it.
  const SpecialBytes specials(delimiter_, quote_);
  const char* field = begin;
  for (const char* block = begin;; block += 16) {
    for (uint32_t hits = specials.In(block); hits != 0; hits &= hits - 1) {
      const char* p = block + std::countr_zero(hits);
      const char c = *p;
      if (c == delimiter_) {
        fields.push_back({static_cast<uint32_t>(field - begin), static_cast<uint32_t>(p - begin),
                          CsvField::kPlain});
        field = p + 1;
        continue;
      }
      // A quote anywhere: the general path, from the record's start.
      if (c == quote_) return NextQuoted(begin, end, eof, fields);
      return EndRecord(begin, field, p, CsvField::kPlain, end, eof, 0, fields);
    }
  }
}

CsvScanner::Scan CsvScanner::EndRecord(const char* begin, const char* field, const char* p,
                                       CsvField::Kind kind, const char* end, bool eof,
                                       uint64_t newlines, std::vector<CsvField>& fields) const {
  fields.push_back({static_cast<uint32_t>(field - begin), static_cast<uint32_t>(p - begin), kind});
  if (p == end) {
    if (!eof) return {Outcome::kNeedMore};
    return {Outcome::kRecord, static_cast<size_t>(p - begin), static_cast<size_t>(p - begin),
            newlines};
  }
  size_t content = p - begin;
  if (*p == '\r') {
    if (p + 1 == end && !eof) return {Outcome::kNeedMore};
    if (p + 1 < end && p[1] == '\n') ++p;
  }
  return {Outcome::kRecord, content, static_cast<size_t>(p + 1 - begin), newlines};
}

CsvScanner::Scan CsvScanner::NextQuoted(const char* begin, const char* end, bool eof,
                                        std::vector<CsvField>& fields) const {
  fields.clear();
  uint64_t newlines = 0;
  const char* p = begin;
  for (;;) {
    const char* field = p;
    CsvField::Kind kind = CsvField::kPlain;
    if (*p == quote_) {
      kind = CsvField::kQuoted;
      const char* q = p + 1;
      for (;;) {
        q = static_cast<const char*>(std::memchr(q, quote_, end - q));
        if (q == nullptr) return {eof ? Outcome::kUnterminated : Outcome::kNeedMore};
        // A quote as the last buffered byte sees the '\n' at *end and closes the
        // field for now; the record then ends at `end` and is scanned again.
        if (q[1] != quote_) break;
        kind = CsvField::kEscaped;
        q += 2;
      }
      newlines += std::count(p + 1, q, '\n');
      p = q + 1;
      if (*p != delimiter_ && *p != '\n' && *p != '\r') {
        kind = CsvField::kEscaped;
        p = FindFirstOf(p, delimiter_, '\n', '\r');
      }
    } else {
      p = FindFirstOf(p, delimiter_, '\n', '\r');
    }
    if (*p == delimiter_) {
      fields.push_back(
          {static_cast<uint32_t>(field - begin), static_cast<uint32_t>(p - begin), kind});
      ++p;
      continue;
    }
    return EndRecord(begin, field, p, kind, end, eof, newlines, fields);
  }
}

std::string CsvScanner::Value(const char* record, const CsvField& field) const {
  std::string_view text(record + field.begin, field.end - field.begin);
  switch (field.kind) {
    case CsvField::kPlain:
      return std::string(text);
    case CsvField::kQuoted:
      return std::string(text.substr(1, text.size() - 2));
    case CsvField::kEscaped:
      break;
  }
  std::string value;
  Unescape(text, [&](std::string_view piece) { value.append(piece); });
  return value;
}

CsvScanner::Skipped CsvScanner::Skip(const char* begin, const char* end, bool eof,
                                     SkipState& state) const {
  Skipped out;
  for (const char* p = begin; p < end; ++p) {
    char c = *p;
    switch (state) {
      case SkipState::kAfterCr:
        out.consumed = p - begin + (c == '\n' ? 1 : 0);
        out.done = true;
        return out;
      case SkipState::kQuotedQuote:
        if (c == quote_) {
          state = SkipState::kQuoted;
          break;
        }
        state = SkipState::kUnquoted;
        [[fallthrough]];
      case SkipState::kFieldStart:
      case SkipState::kUnquoted:
        if (c == delimiter_) {
          state = SkipState::kFieldStart;
        } else if (c == '\n') {
          out.consumed = p + 1 - begin;
          out.done = true;
          ++out.lines;
          return out;
        } else if (c == '\r') {
          ++out.lines;
          state = SkipState::kAfterCr;
        } else if (state == SkipState::kFieldStart && c == quote_) {
          state = SkipState::kQuoted;
        } else {
          state = SkipState::kUnquoted;
        }
        break;
      case SkipState::kQuoted:
        if (c == quote_) {
          state = SkipState::kQuotedQuote;
        } else if (c == '\n') {
          ++out.lines;
        }
        break;
    }
  }
  out.consumed = end - begin;
  out.done = eof;
  out.unterminated = eof && state == SkipState::kQuoted;
  return out;
}

}  // namespace sluice

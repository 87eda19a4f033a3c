#include "format/csv_scanner.h"

#include <algorithm>
#include <cstring>

#include "format/byte_search.h"

namespace sluice {

CsvScanner::CsvScanner(char delimiter, char quote) : delimiter_(delimiter), quote_(quote) {}

CsvScanner::Scan CsvScanner::Next(const char* begin, const char* end, bool eof,
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
    fields.push_back(
        {static_cast<uint32_t>(field - begin), static_cast<uint32_t>(p - begin), kind});
    if (p == end) {
      if (!eof) return {Outcome::kNeedMore};
      return {Outcome::kRecord, static_cast<size_t>(p - begin), static_cast<size_t>(p - begin),
              newlines};
    }
    if (*p == delimiter_) {
      ++p;
      continue;
    }
    size_t content = p - begin;
    if (*p == '\r') {
      if (p + 1 == end && !eof) return {Outcome::kNeedMore};
      if (p + 1 < end && p[1] == '\n') ++p;
    }
    return {Outcome::kRecord, content, static_cast<size_t>(p + 1 - begin), newlines};
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

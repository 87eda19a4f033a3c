// CsvScanner: splits CSV text into records and fields for one dialect (delimiter
// and quote), without copying. Shared by CsvReader and the dialect sniffer.
//
// Grammar (RFC 4180, lenient where common files need it): records end at LF,
// CRLF or a lone CR outside quotes; a field that starts with the quote runs to
// the next quote not doubled, may hold delimiters, CR and LF, and bytes after its
// closing quote are kept literally up to the next delimiter; a quote elsewhere in
// a field is data.
//
// Thread-safety: immutable after construction; may be shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Where a field lies in its record, as offsets from the record's first byte.
struct CsvField {
  enum Kind : uint8_t {
    kPlain,    // unquoted: the bytes are the value
    kQuoted,   // "...": the value is the bytes between the quotes
    kEscaped,  // quoted with doubled quotes or bytes after the closing quote: Unescape
  };
  uint32_t begin;
  uint32_t end;
  Kind kind;
};

class CsvScanner {
 public:
  CsvScanner(char delimiter, char quote);

  enum class Outcome : uint8_t {
    kRecord,        // a whole record: `length` bytes, of which `content` precede the newline
    kNeedMore,      // the record may go on past `end`
    kUnterminated,  // end of input inside a quoted field
  };
  struct Scan {
    Outcome outcome;
    size_t content = 0;
    size_t length = 0;
    uint64_t newlines = 0;  // LFs inside quoted fields
  };

  // Scans the record that starts at `begin` and fills `fields` with its fields.
  // `eof` says no bytes follow `end`. Requires *end == '\n' followed by 15
  // readable bytes, and the record to be shorter than 4 GiB (StreamBuffer gives
  // both). A record with content 0 is a blank line.
  Scan Next(const char* begin, const char* end, bool eof, std::vector<CsvField>& fields) const;

  // The value of `field` of the record at `record`, copied (for headers and sniffing).
  std::string Value(const char* record, const CsvField& field) const;

  // Calls append(std::string_view) with the pieces of the value of `field`, the
  // text of a kEscaped field.
  template <typename Append>
  void Unescape(std::string_view field, Append&& append) const;

  // Where Skip stopped inside a record, so it can resume after a refill.
  enum class SkipState : uint8_t { kFieldStart, kUnquoted, kQuoted, kQuotedQuote, kAfterCr };
  struct Skipped {
    size_t consumed = 0;        // bytes of [begin, end) that belong to the record
    bool done = false;          // the record ended within them
    bool unterminated = false;  // ... at end of input, inside a quoted field
    uint64_t lines = 0;         // line breaks among them
  };
  // Steps through a record too long to buffer, byte by byte, keeping the quote
  // state in `state` (kFieldStart at the record's start). `eof` as for Next.
  Skipped Skip(const char* begin, const char* end, bool eof, SkipState& state) const;

 private:
  // Next for a record that holds a quote: field by field, quoted fields whole.
  Scan NextQuoted(const char* begin, const char* end, bool eof,
                  std::vector<CsvField>& fields) const;
  // Adds the last field, [field, p) of `kind`, where the record ends at *p ('\n',
  // '\r' or `end`), and says how the record ends.
  Scan EndRecord(const char* begin, const char* field, const char* p, CsvField::Kind kind,
                 const char* end, bool eof, uint64_t newlines, std::vector<CsvField>& fields) const;

  char delimiter_;
  char quote_;
};

template <typename Append>
void CsvScanner::Unescape(std::string_view field, Append&& append) const {
  size_t i = 1;
  for (;;) {
    size_t q = field.find(quote_, i);
    append(field.substr(i, q - i));
    if (q + 1 < field.size() && field[q + 1] == quote_) {
      append(std::string_view(&quote_, 1));
      i = q + 2;
      continue;
    }
    append(field.substr(q + 1));
    return;
  }
}

}  // namespace sluice

#include "format/json_reader.h"

#include <array>
#include <string>
#include <utility>

#include "format/byte_search.h"

namespace sluice {
namespace {

constexpr std::array<bool, 256> ByteSet(std::string_view bytes) {
  std::array<bool, 256> set{};
  for (char c : bytes) set[static_cast<unsigned char>(c)] = true;
  return set;
}

// Bytes that end a scalar element (a number or a literal, or garbage that
// simdjson will reject).
constexpr std::array<bool, 256> kScalarEnd = ByteSet(" \t\n\r,:[]{}\"");

Status InvalidAt(uint64_t line, std::string_view what) {
  return Status::InvalidData("line " + std::to_string(line) + ": " + std::string(what));
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Progress of the splitter through one array element (or the top-level object),
// kept across buffer refills. The element is not validated here, only delimited:
// strings (with their escapes) and the nesting of brackets.
struct ElementScan {
  size_t scanned = 0;  // bytes of the element examined so far
  uint64_t newlines = 0;
  size_t depth = 0;
  bool started = false;
  bool scalar = false;
  bool in_string = false;
  bool escaped = false;  // the last byte examined was a backslash in a string

  // Examines [begin + scanned, end); returns true once the element has ended,
  // `scanned` then being its length. `begin` is where the element starts, or
  // where the examination resumes after the examined bytes were dropped.
  // Requires *end == '\n' (a StreamBuffer's data).
  bool Advance(const char* begin, const char* end, bool eof) {
    const char* p = begin + scanned;
    if (!started) {
      started = true;
      scalar = p < end && *p != '{' && *p != '[' && *p != '"';
    }
    if (scalar) {
      while (p < end && !kScalarEnd[static_cast<unsigned char>(*p)]) ++p;
      scanned = p - begin;
      return p < end || eof;
    }
    while (p < end) {
      if (escaped) {
        escaped = false;
        ++p;
        continue;
      }
      p = in_string ? FindFirstOf(p, '"', '\\', '\n')
                    : FindFirstOf(p, '"', '{', '}', '[', ']', '\n');
      if (p == end) break;
      char c = *p++;
      if (c == '\n') {
        ++newlines;
      } else if (in_string) {
        escaped = c == '\\';
        in_string = c != '"';
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else {
        --depth;
      }
      if (depth == 0 && !in_string) {
        scanned = p - begin;
        return true;
      }
    }
    scanned = end - begin;
    return false;
  }
};

}  // namespace

JsonReader::JsonReader(std::unique_ptr<InputStream> input, const ReaderOptions& options)
    : buf_(std::move(input), options.stop, options.max_record_bytes),
      options_(options),
      rows_(options.max_columns) {}

Result<size_t> JsonReader::ReadBatch(TextBatch& out, RowErrorSink& errors) {
  rows_.StartBatch(out);
  if (!error_.ok()) return error_;
  Status read = ReadRows(out, errors);
  // The batch holds its own copy of a long element: the buffer's goes before the
  // batch is written.
  buf_.ReleaseGrowth();
  return RowsThenError(std::move(read), out, error_);
}

Status JsonReader::ReadRows(TextBatch& out, RowErrorSink& errors) {
  RETURN_IF_ERROR(buf_.SkipBom());
  while (expect_ != Expect::kDone && out.rows() < options_.batch_rows &&
         out.memory_bytes() < kBatchArenaBytes) {
    ASSIGN_OR_RETURN(int c, NextToken());
    switch (expect_) {
      case Expect::kDocument:
        if (c == kEndOfInput) return Error("empty JSON document");
        if (c == '[') {
          buf_.Consume(1);
          expect_ = Expect::kFirstElement;
          break;
        }
        if (c != '{') return Error("top-level value must be an object or an array of objects");
        RETURN_IF_ERROR(ReadElement(out, errors));
        expect_ = Expect::kNothing;
        break;
      case Expect::kFirstElement:
        if (c == ']') {
          buf_.Consume(1);
          expect_ = Expect::kNothing;
          break;
        }
        [[fallthrough]];
      case Expect::kElement:
        if (c == kEndOfInput) return Error("unterminated array");
        RETURN_IF_ERROR(ReadElement(out, errors));
        expect_ = Expect::kCommaOrEnd;
        break;
      case Expect::kCommaOrEnd:
        if (c == kEndOfInput) return Error("unterminated array");
        if (c != ',' && c != ']') return Error("expected ',' or ']' after an array element");
        buf_.Consume(1);
        expect_ = c == ',' ? Expect::kElement : Expect::kNothing;
        break;
      case Expect::kNothing:
        if (c != kEndOfInput) return Error("unexpected data after the top-level value");
        expect_ = Expect::kDone;
        break;
      case Expect::kDone:
        break;
    }
  }
  return Status::Ok();
}

Result<int> JsonReader::NextToken() {
  for (;;) {
    const char* p = buf_.data();
    const char* end = p + buf_.size();
    while (p < end && IsJsonSpace(*p)) line_ += *p++ == '\n';
    buf_.Consume(p - buf_.data());
    if (p < end) return static_cast<unsigned char>(*p);
    if (buf_.eof()) return kEndOfInput;
    RETURN_IF_ERROR(buf_.Fill());
  }
}

Status JsonReader::ReadElement(TextBatch& out, RowErrorSink& errors) {
  const uint64_t line = line_;
  const uint64_t offset = buf_.offset();
  ElementScan scan;
  bool too_long = false;
  while (!scan.Advance(buf_.data(), buf_.data() + buf_.size(), buf_.eof())) {
    if (buf_.eof()) return InvalidAt(line, "unexpected end of input inside a value");
    if (scan.scanned > options_.max_record_bytes) {
      if (expect_ == Expect::kDocument) return DocumentTooLong(line);
      // Drop what was examined; the scan goes on to the element's end.
      std::string_view seen(buf_.data(), scan.scanned);
      if (!too_long) errors.Report(TooLongRecord(line, offset, seen, options_.max_record_bytes));
      too_long = true;
      buf_.Consume(seen.size());
      scan.scanned = 0;
    }
    RETURN_IF_ERROR(buf_.Fill());
  }
  std::string_view text(buf_.data(), scan.scanned);
  line_ += scan.newlines;
  if (!too_long && text.size() > options_.max_record_bytes) {
    if (expect_ == Expect::kDocument) return DocumentTooLong(line);
    errors.Report(TooLongRecord(line, offset, text, options_.max_record_bytes));
    too_long = true;
  }
  if (too_long) {
    buf_.Consume(text.size());
    return Status::Ok();
  }
  if (text.empty()) return Error("expected a JSON value");
  // A flat object of scalars is read without simdjson's DOM (json_flat.h).
  if (ParseFlatObject(text, fields_, &rows_.keys())) {
    RETURN_IF_ERROR(rows_.AddRow(fields_, text, line, offset, out));
    buf_.Consume(text.size());
    return Status::Ok();
  }
  simdjson::dom::element element;
  // The buffer's padding lets simdjson read the element in place.
  if (simdjson::error_code error = parser_.parse(text.data(), text.size(), false).get(element)) {
    return InvalidAt(line, std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) {
    errors.Report(RowError{line, offset, "", std::string(text),
                           "array element is not a JSON object", RowErrorKind::kJson,
                           "each element of the top-level array must be a JSON object, {...}"});
  } else {
    RETURN_IF_ERROR(rows_.AddRow(object, text, line, offset, out));
  }
  buf_.Consume(text.size());
  // simdjson's parser keeps the capacity of the longest element it parsed.
  if (text.size() > kLongJsonBytes) parser_ = simdjson::dom::parser();
  return Status::Ok();
}

Status JsonReader::DocumentTooLong(uint64_t line) const {
  return InvalidAt(line, "the document, one JSON object, is longer than max_record_bytes (" +
                             std::to_string(options_.max_record_bytes) +
                             " bytes); an array of objects is read element by element");
}

Status JsonReader::Error(std::string_view what) const { return InvalidAt(line_, what); }

}  // namespace sluice

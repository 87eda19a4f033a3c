#include "format/jsonl_reader.h"

#include <cstring>
#include <string>
#include <utility>

namespace sluice {
namespace {

constexpr char kOneObjectPerLine[] = "JSON lines: each line must be one JSON object, {...}";

}  // namespace

JsonlReader::JsonlReader(std::unique_ptr<InputStream> input, const ReaderOptions& options)
    : buf_(std::move(input), options.stop, options.max_record_bytes),
      options_(options),
      rows_(options.max_columns) {}

Result<size_t> JsonlReader::ReadBatch(TextBatch& out, RowErrorSink& errors) {
  rows_.StartBatch(out);
  if (!error_.ok()) return error_;
  Status read = ReadRows(out, errors);
  // The batch holds its own copy of a long line: the buffer's goes before the
  // batch is written.
  buf_.ReleaseGrowth();
  return RowsThenError(std::move(read), out, error_);
}

Status JsonlReader::ReadRows(TextBatch& out, RowErrorSink& errors) {
  RETURN_IF_ERROR(buf_.SkipBom());
  while (out.rows() < options_.batch_rows && out.memory_bytes() < kBatchArenaBytes) {
    const char* begin = buf_.data();
    size_t size = buf_.size();
    if (size == 0 && buf_.eof()) return Status::Ok();
    if (searched_ == 0 && !skipping_) {
      bool added = false;
      RETURN_IF_ERROR(AddFlatLine(begin, size, out, added));
      if (added) continue;
    }
    const char* newline =
        static_cast<const char*>(std::memchr(begin + searched_, '\n', size - searched_));
    if (newline == nullptr && !buf_.eof()) {
      searched_ = size;
      // Room for max_record_bytes and a CR; past that the line is only skipped.
      if (size > options_.max_record_bytes + 1) {
        if (!skipping_) {
          errors.Report(TooLongRecord(line_, buf_.offset(), std::string_view(begin, size),
                                      options_.max_record_bytes));
        }
        skipping_ = true;
        buf_.Consume(size);
        searched_ = 0;
      }
      RETURN_IF_ERROR(buf_.Fill());
      continue;
    }
    size_t length = newline == nullptr ? size : newline - begin;
    if (!skipping_) {
      RETURN_IF_ERROR(AddLine(std::string_view(begin, length), out, errors));
      // simdjson's parser keeps the capacity of the longest line it parsed, about
      // 14 bytes per byte of line: a long line's is released with it.
      if (length > kLongJsonBytes) parser_ = simdjson::dom::parser();
    }
    skipping_ = false;
    searched_ = 0;
    ++line_;
    buf_.Consume(newline == nullptr ? size : length + 1);
  }
  return Status::Ok();
}

Status JsonlReader::AddFlatLine(const char* begin, size_t size, TextBatch& out, bool& added) {
  const char* end = begin + size;
  const char* stop = ParseFlatLine(begin, end, fields_, &rows_.keys());
  // Without its LF the line may go on past the buffer, unless the stream ended.
  if (stop == nullptr || (stop == end && !buf_.eof())) return Status::Ok();
  std::string_view line(begin, stop - begin);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.size() > options_.max_record_bytes) return Status::Ok();  // AddLine reports it
  RETURN_IF_ERROR(rows_.AddRow(fields_, line, line_, buf_.offset(), out));
  added = true;
  ++line_;
  buf_.Consume(stop == end ? size : stop - begin + 1);
  return Status::Ok();
}

Status JsonlReader::AddLine(std::string_view line, TextBatch& out, RowErrorSink& errors) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return Status::Ok();
  uint64_t offset = buf_.offset();
  if (line.size() > options_.max_record_bytes) {
    errors.Report(TooLongRecord(line_, offset, line, options_.max_record_bytes));
    return Status::Ok();
  }
  // Most lines are flat objects of scalars: read without building simdjson's DOM.
  if (ParseFlatObject(line, fields_)) return rows_.AddRow(fields_, line, line_, offset, out);
  simdjson::dom::element element;
  // The buffer's padding lets simdjson read the line in place.
  if (simdjson::error_code error = parser_.parse(line.data(), line.size(), false).get(element)) {
    errors.Report(RowError{line_, offset, "", std::string(line),
                           std::string("invalid JSON: ") + simdjson::error_message(error),
                           RowErrorKind::kJson, kOneObjectPerLine});
    return Status::Ok();
  }
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) {
    errors.Report(RowError{line_, offset, "", std::string(line), "line is not a JSON object",
                           RowErrorKind::kJson, kOneObjectPerLine});
    return Status::Ok();
  }
  return rows_.AddRow(object, line, line_, offset, out);
}

}  // namespace sluice

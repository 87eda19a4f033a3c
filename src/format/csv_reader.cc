#include "format/csv_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "format/csv_sniffer.h"

namespace sluice {
namespace {

// How much of the stream the dialect is sniffed from, at least (when it has that
// much): the sniffer looks at up to 100 records of it.
constexpr size_t kSniffBytes = 64 << 10;

}  // namespace

CsvReader::CsvReader(std::unique_ptr<InputStream> input, const ReaderOptions& options)
    : buf_(std::move(input), options.stop, options.max_record_bytes), options_(options) {}

Result<size_t> CsvReader::ReadBatch(TextBatch& out, RowErrorSink& errors) {
  out.Clear();
  if (error_.ok() && !scanner_) error_ = Start();
  if (!error_.ok()) return error_;
  if (out.columns() != columns_) out.SetColumns(columns_);
  Status read = ReadRows(out, errors);
  // The batch holds its own copy of a long record: the buffer's goes before the
  // batch is written.
  buf_.ReleaseGrowth();
  return RowsThenError(std::move(read), out, error_);
}

Status CsvReader::Start() {
  RETURN_IF_ERROR(buf_.SkipBom());
  const CsvDialect& given = options_.csv;
  if (!given.delimiter || !given.quote || !given.header) {
    RETURN_IF_ERROR(buf_.FillAtLeast(kSniffBytes));
  }
  dialect_ = SniffCsvDialect(std::string_view(buf_.data(), buf_.size()), buf_.eof(), given);
  scanner_.emplace(*dialect_->delimiter, *dialect_->quote);
  for (;;) {
    if (buf_.size() == 0 && buf_.eof()) return Status::Ok();
    const char* record = buf_.data();
    CsvScanner::Scan scan = scanner_->Next(record, record + buf_.size(), buf_.eof(), fields_);
    if (scan.outcome == CsvScanner::Outcome::kUnterminated) return Unterminated();
    bool too_long = scan.content > options_.max_record_bytes;
    if (scan.outcome == CsvScanner::Outcome::kNeedMore) {
      too_long = buf_.size() > options_.max_record_bytes + 1;
      if (!too_long) {
        RETURN_IF_ERROR(buf_.Fill());
        continue;
      }
    }
    if (too_long) {
      return Status::InvalidData("line " + std::to_string(line_) +
                                 ": first record longer than max_record_bytes (" +
                                 std::to_string(options_.max_record_bytes) + " bytes)");
    }
    if (scan.content == 0) {
      ++line_;
      buf_.Consume(scan.length);
      continue;
    }
    if (fields_.size() > options_.max_columns) {
      return Status::InvalidData(
          "line " + std::to_string(line_) + ": " + std::to_string(fields_.size()) +
          " columns, more than max_columns (" + std::to_string(options_.max_columns) + ")");
    }
    if (!*dialect_->header) {
      // The first record is data: it stays in the buffer for ReadRows.
      for (size_t i = 1; i <= fields_.size(); ++i) {
        columns_.push_back("column_" + std::to_string(i));
      }
      return Status::Ok();
    }
    for (const CsvField& field : fields_) {
      columns_.push_back(scanner_->Value(record, field));
      if (!simdjson::validate_utf8(columns_.back())) {
        return Status::InvalidData("line " + std::to_string(line_) + ": column name " +
                                   std::to_string(columns_.size()) + " is not valid UTF-8");
      }
    }
    line_ += scan.newlines + 1;
    buf_.Consume(scan.length);
    return Status::Ok();
  }
}

Status CsvReader::ReadRows(TextBatch& out, RowErrorSink& errors) {
  Status status = ReadRun(out, errors);
  FlushRun(out);
  return status;
}

void CsvReader::FlushRun(TextBatch& out) {
  if (run_begin_ == nullptr) return;
  out.AppendRaw(std::string_view(run_begin_, run_end_ - run_begin_));
  run_begin_ = nullptr;
  run_end_ = nullptr;
}

Status CsvReader::ReadRun(TextBatch& out, RowErrorSink& errors) {
  // The arena's bytes include the run not yet copied.
  while (out.rows() < options_.batch_rows &&
         out.memory_bytes() + (run_end_ - run_begin_) < kBatchArenaBytes) {
    if (skipping_) {
      RETURN_IF_ERROR(SkipTooLong());
      continue;
    }
    if (buf_.size() == 0 && buf_.eof()) return Status::Ok();
    const char* record = buf_.data();
    CsvScanner::Scan scan = scanner_->Next(record, record + buf_.size(), buf_.eof(), fields_);
    switch (scan.outcome) {
      case CsvScanner::Outcome::kRecord:
        AddRecord(scan, out, errors);
        line_ += scan.newlines + 1;
        buf_.Consume(scan.length);
        break;
      case CsvScanner::Outcome::kNeedMore:
        // The record fits max_record_bytes plus a CRLF, or it never will.
        FlushRun(out);  // the buffer's bytes move
        if (buf_.size() <= options_.max_record_bytes + 1) {
          RETURN_IF_ERROR(buf_.Fill());
          break;
        }
        errors.Report(TooLongRecord(line_, buf_.offset(), std::string_view(record, buf_.size()),
                                    options_.max_record_bytes));
        skipping_ = true;
        skip_state_ = CsvScanner::SkipState::kFieldStart;
        skipped_lines_ = 0;
        break;
      case CsvScanner::Outcome::kUnterminated:
        return Unterminated();
    }
  }
  return Status::Ok();
}

void CsvReader::AddRecord(const CsvScanner::Scan& scan, TextBatch& out, RowErrorSink& errors) {
  if (scan.content == 0) return;  // a blank line
  const char* record = buf_.data();
  if (scan.content > options_.max_record_bytes) {
    FlushRun(out);  // the run must not take the long record in
    errors.Report(TooLongRecord(line_, buf_.offset(), std::string_view(record, scan.content),
                                options_.max_record_bytes));
    return;
  }
  if (fields_.size() != columns_.size()) {
    FlushRun(out);
    errors.Report(RowError{
        line_, buf_.offset(), "", std::string(record, scan.content),
        "expected " + std::to_string(columns_.size()) + " fields, found " +
            std::to_string(fields_.size()),
        RowErrorKind::kRagged,
        "every line needs as many fields as the header; check the delimiter and that fields "
        "holding it are quoted"});
    return;
  }
  if (run_begin_ == nullptr) {
    run_begin_ = record;
    run_offset_ = out.Mark();
  }
  run_end_ = record + scan.length;
  const Span raw{run_offset_ + static_cast<uint32_t>(record - run_begin_),
                 static_cast<uint32_t>(scan.content)};
  cells_.resize(fields_.size());
  for (size_t i = 0; i < fields_.size(); ++i) {
    const CsvField& f = fields_[i];
    switch (f.kind) {
      case CsvField::kPlain:
        cells_[i] = f.end > f.begin ? Span{raw.offset + f.begin, f.end - f.begin} : kNullSpan;
        break;
      case CsvField::kQuoted:
        cells_[i] = Span{raw.offset + f.begin + 1, f.end - f.begin - 2};
        break;
      case CsvField::kEscaped: {
        FlushRun(out);  // the unescaped text goes after it
        uint32_t mark = out.Mark();
        scanner_->Unescape(std::string_view(record + f.begin, f.end - f.begin),
                           [&out](std::string_view piece) { out.AppendRaw(piece); });
        cells_[i] = out.SpanFrom(mark);
        break;
      }
    }
  }
  out.AddRow(line_, buf_.offset(), raw, cells_.data());
}

Status CsvReader::SkipTooLong() {
  CsvScanner::Skipped skipped =
      scanner_->Skip(buf_.data(), buf_.data() + buf_.size(), buf_.eof(), skip_state_);
  buf_.Consume(skipped.consumed);
  skipped_lines_ += skipped.lines;
  if (skipped.unterminated) return Unterminated();
  if (!skipped.done) return buf_.Fill();
  skipping_ = false;
  line_ += skipped_lines_;
  return Status::Ok();
}

Status CsvReader::Unterminated() const {
  return Status::InvalidData("line " + std::to_string(line_) + ": unterminated quoted field");
}

}  // namespace sluice

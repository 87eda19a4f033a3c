#include "format/record_reader.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "format/csv_reader.h"
#include "format/json_reader.h"
#include "format/jsonl_reader.h"
#include "format/parquet_reader.h"

namespace sluice {
namespace {

// Keeps a batch arena (raw text plus unescaped values of at most a few records
// this long) within its 32-bit offsets.
constexpr size_t kMaxRecordBytesLimit = size_t{1} << 30;

std::string Printable(char c) { return c == '\t' ? "tab" : std::string("'") + c + "'"; }

}  // namespace

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kCsv:
      return "csv";
    case Format::kTsv:
      return "tsv";
    case Format::kJson:
      return "json";
    case Format::kJsonl:
      return "jsonl";
    case Format::kParquet:
      return "parquet";
  }
  return "unknown";
}

std::optional<Format> FormatFromPath(std::string_view path) {
  std::string name(path.substr(path.find_last_of('/') + 1));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view compressed : {".gz", ".zst"}) {
    if (name.ends_with(compressed)) {
      name.resize(name.size() - compressed.size());
      break;
    }
  }
  size_t dot = name.find_last_of('.');
  if (dot == std::string::npos) return std::nullopt;
  std::string_view ext = std::string_view(name).substr(dot + 1);
  if (ext == "csv" || ext == "txt") return Format::kCsv;
  if (ext == "tsv" || ext == "tab") return Format::kTsv;
  if (ext == "json") return Format::kJson;
  if (ext == "jsonl" || ext == "ndjson") return Format::kJsonl;
  if (ext == "parquet" || ext == "parq" || ext == "pq") return Format::kParquet;
  return std::nullopt;
}

std::optional<Format> FormatFromMagic(InputStream& input) {
  RandomAccessInput* raw = input.random_access();
  if (raw == nullptr) return std::nullopt;
  char head[4];
  Result<size_t> got = raw->ReadAt(0, head, sizeof(head));
  if (got && *got == 4 && std::string_view(head, 4) == "PAR1") return Format::kParquet;
  return std::nullopt;
}

Result<std::unique_ptr<RecordReader>> OpenReader(Format format, std::unique_ptr<InputStream> input,
                                                 const ReaderOptions& options) {
  if (input == nullptr) return Status::InvalidArgument("no input stream");
  if (options.batch_rows == 0) return Status::InvalidArgument("batch_rows must be at least 1");
  if (options.max_record_bytes == 0 || options.max_record_bytes > kMaxRecordBytesLimit) {
    return Status::InvalidArgument("max_record_bytes must be between 1 and " +
                                   std::to_string(kMaxRecordBytesLimit));
  }
  if (options.max_columns == 0) return Status::InvalidArgument("max_columns must be at least 1");
  switch (format) {
    case Format::kCsv:
    case Format::kTsv: {
      ReaderOptions csv = options;
      if (format == Format::kTsv) {
        if (csv.csv.delimiter.value_or('\t') != '\t') {
          return Status::InvalidArgument("tsv takes no delimiter but tab, not " +
                                         Printable(*csv.csv.delimiter));
        }
        csv.csv.delimiter = '\t';
      }
      if (csv.csv.delimiter &&
          std::string_view(",;\t|").find(*csv.csv.delimiter) == std::string_view::npos) {
        return Status::InvalidArgument("unsupported CSV delimiter " +
                                       Printable(*csv.csv.delimiter) + " (use , ; tab or |)");
      }
      if (csv.csv.quote && *csv.csv.quote != '"' && *csv.csv.quote != '\'') {
        return Status::InvalidArgument("unsupported CSV quote " + Printable(*csv.csv.quote) +
                                       " (use \" or ')");
      }
      return std::unique_ptr<RecordReader>(std::make_unique<CsvReader>(std::move(input), csv));
    }
    case Format::kJson:
      return std::unique_ptr<RecordReader>(std::make_unique<JsonReader>(std::move(input), options));
    case Format::kJsonl:
      return std::unique_ptr<RecordReader>(
          std::make_unique<JsonlReader>(std::move(input), options));
    case Format::kParquet:
      return std::unique_ptr<RecordReader>(
          std::make_unique<ParquetReader>(std::move(input), options));
  }
  return Status::InvalidArgument("unknown format");
}

}  // namespace sluice

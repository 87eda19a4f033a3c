#include "sink/parquet/parquet_url.h"

#include <memory>
#include <utility>

#include "sink/parquet/parquet_sink.h"

namespace sluice {
namespace {

Result<std::unique_ptr<Sink>> OpenParquet(std::string_view url) {
  std::optional<std::string> dir = ParquetSinkDir(url);
  if (!dir) return Status::InvalidArgument("sink URL \"" + std::string(url) + "\" has no folder");
  ASSIGN_OR_RETURN(std::unique_ptr<ParquetSink> sink, ParquetSink::Open(*dir));
  return std::unique_ptr<Sink>(std::move(sink));
}

Result<std::string> ParquetWithPassword(std::string_view, std::string_view) {
  return Status::InvalidArgument("parquet sinks take no password");
}

std::string ParquetRedacted(std::string_view url) { return std::string(url); }

}  // namespace

std::optional<std::string> ParquetSinkDir(std::string_view url) {
  if (!url.starts_with("parquet:")) return std::nullopt;
  std::string_view dir = url.substr(url.find(':') + 1);
  if (dir.starts_with("//")) dir.remove_prefix(2);
  if (dir.empty()) return std::nullopt;
  return std::string(dir);
}

const SinkScheme kParquetScheme = {
    {"parquet"}, &OpenParquet, &ParquetWithPassword, &ParquetRedacted};

}  // namespace sluice

#include "sink/sqlite/sqlite_url.h"

#include <memory>
#include <utility>

#include "sink/sqlite/sqlite_sink.h"

namespace sluice {
namespace {

Result<std::unique_ptr<Sink>> OpenSqlite(std::string_view url) {
  std::optional<std::string> path = SqliteSinkPath(url);
  if (!path) {
    return Status::InvalidArgument("sink URL \"" + std::string(url) + "\" has no database path");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteSink> sink, SqliteSink::Open(*path));
  return std::unique_ptr<Sink>(std::move(sink));
}

Result<std::string> SqliteWithPassword(std::string_view, std::string_view) {
  return Status::InvalidArgument("sqlite sinks take no password");
}

std::string SqliteRedacted(std::string_view url) { return std::string(url); }

}  // namespace

std::optional<std::string> SqliteSinkPath(std::string_view url) {
  if (!url.starts_with("sqlite:")) return std::nullopt;
  std::string_view path = url.substr(url.find(':') + 1);
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) return std::nullopt;
  return std::string(path);
}

const SinkScheme kSqliteScheme = {{"sqlite"}, &OpenSqlite, &SqliteWithPassword, &SqliteRedacted};

}  // namespace sluice

#include "sink/sink.h"

#include <string>

#include "sink/sqlite/sqlite_sink.h"

namespace sluice {
namespace {

// Each opener receives the whole URL; its scheme has already been matched.
using SinkOpener = Result<std::unique_ptr<Sink>> (*)(std::string_view url);

// "sqlite:PATH" or "sqlite://PATH"; PATH is relative or absolute
// ("sqlite:///var/db.sqlite" is the absolute /var/db.sqlite).
Result<std::unique_ptr<Sink>> OpenSqlite(std::string_view url) {
  std::string_view path = url.substr(url.find(':') + 1);
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) {
    return Status::InvalidArgument("sink URL \"" + std::string(url) + "\" has no database path");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteSink> sink, SqliteSink::Open(std::string(path)));
  return std::unique_ptr<Sink>(std::move(sink));
}

struct SinkScheme {
  std::string_view scheme;
  SinkOpener open;
};

constexpr SinkScheme kSchemes[] = {
    {"sqlite", &OpenSqlite},
};

}  // namespace

Result<std::unique_ptr<Sink>> OpenSink(std::string_view url) {
  const size_t colon = url.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view scheme = url.substr(0, colon);
    for (const SinkScheme& known : kSchemes) {
      if (known.scheme == scheme) return known.open(url);
    }
  }
  std::string supported;
  for (const SinkScheme& known : kSchemes) {
    if (!supported.empty()) supported += ", ";
    supported += known.scheme;
  }
  return Status::InvalidArgument("unsupported sink \"" + std::string(url) +
                                 "\" (supported schemes: " + supported + ")");
}

}  // namespace sluice

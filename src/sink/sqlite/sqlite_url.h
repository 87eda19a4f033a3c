// SQLite sink URLs: "sqlite:PATH" or "sqlite://PATH" (PATH relative or absolute;
// "sqlite:///var/db.sqlite" is the absolute /var/db.sqlite), and the sink's
// registry entry. An SQLite URL holds a path and no password.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sink/sink_scheme.h"

namespace sluice {

// The database file of an SQLite sink URL, as written (relative or absolute);
// nullopt for other schemes or an empty path.
std::optional<std::string> SqliteSinkPath(std::string_view url);

// The SQLite sink's registry entry: sqlite. It takes no password.
extern const SinkScheme kSqliteScheme;

}  // namespace sluice

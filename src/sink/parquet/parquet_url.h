// Parquet sink URLs: "parquet:DIR" or "parquet://DIR" (DIR relative or absolute;
// "parquet:///data/lake" is the absolute /data/lake), as for SQLite, and the
// sink's registry entry. A Parquet URL holds a folder and no password.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sink/sink_scheme.h"

namespace sluice {

// The folder of a Parquet sink URL, as written; nullopt for other schemes or an
// empty folder.
std::optional<std::string> ParquetSinkDir(std::string_view url);

// The Parquet sink's registry entry: parquet. It takes no password.
extern const SinkScheme kParquetScheme;

}  // namespace sluice

// Naming rules for columns and tables.
//
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Trims each name (ASCII white space and a UTF-8 BOM); when `snake_case` also
// lower-cases it and turns every run of characters other than [a-z0-9] into one
// '_' (no leading/trailing '_'). NUL bytes become '_'. Empty names become "column_<n>" (1-based
// position); repeated names get "_2", "_3", ... in order of appearance.
std::vector<std::string> NormalizeColumnNames(const std::vector<std::string>& names,
                                              bool snake_case);

// The table name for a file when none is configured: the base name up to its first
// '.', lower snake_case as above, with a trailing run of digits, '-' and '_' removed
// (so "Sensors-2026-11-01.csv.gz" → "sensors" and "orders_007.json" → "orders");
// "data" if nothing is left; prefixed with "t_" if it starts with a digit.
std::string TableNameFromPath(std::string_view path);

}  // namespace sluice

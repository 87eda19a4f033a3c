// Metadata columns appended to every row of a load: the source file (_file), the
// record's line (_line) and the load time (_loaded_at, UTC timestamp).
//
// Thread-safety: free functions and values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"

namespace sluice {

struct MetadataOptions {
  bool file = false;
  bool line = false;
  bool loaded_at = false;
  bool any() const { return file || line || loaded_at; }
};

// Parses a list such as [file, line, loaded_at]. Errors: InvalidArgument naming
// the unknown entry.
Result<MetadataOptions> ParseMetadataOptions(const std::vector<std::string>& names);

// The column definitions the options add, in order (_file, _line, _loaded_at).
std::vector<ColumnDef> MetadataColumns(const MetadataOptions& options);

// Fills the metadata values of every row of `batch`, whose trailing columns must
// be MetadataColumns(options) and may be shorter than batch.rows() (validation
// fills only the schema's columns); they are extended to batch.rows(). `file` must outlive the
// batch's use. `loaded_at_us` is microseconds since the epoch.
void FillMetadata(const MetadataOptions& options, const std::string& file, int64_t loaded_at_us,
                  Batch& batch);

}  // namespace sluice

// Sink: loads one file's rows into one table atomically, and answers after a
// crash whether a load was committed.
//
// Protocol per file: Begin → Write* → Commit | Abort. Commit makes all rows of
// the load visible together with a commit marker for its LoadId, or nothing.
// IsCommitted(load) reads the marker; the pipeline uses it to finish loads that
// were in flight when sluice stopped. Rows whose record key already exists in
// the table are skipped and counted, not loaded twice.
//
// Errors are classified by each sink in one place: Unavailable/Timeout (retry
// with backoff), InvalidData (the data was refused: quarantine), InvalidArgument
// (configuration: fatal), Internal.
//
// Thread-safety: a Sink is one connection; each worker opens its own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"

namespace sluice {

struct LoadId {
  std::string id;    // the file's content hash; unique per load
  std::string file;  // the file's path, for the marker's record
};

struct LoadCounts {
  uint64_t inserted = 0;
  uint64_t skipped_by_key = 0;  // rows whose key already existed
};

class Sink {
 public:
  virtual ~Sink() = default;

  // The table as it exists in the database (columns in order, types mapped back),
  // or nullopt if it does not exist.
  virtual Result<std::optional<TableDef>> DescribeTable(std::string_view name) = 0;
  // Creates the table if it does not exist (with a unique index on the key, if
  // any). Does not alter an existing table.
  virtual Status EnsureTable(const TableDef& table) = 0;
  // Adds to the existing `table` those of `columns` it lacks, each nullable (their
  // `nullable` is ignored), after its present columns. Safe when several workers
  // or processes add the same column at once: a column that exists by the time
  // it would be added is left as it is, whatever its type, so callers describe
  // the table again afterwards. Returns the columns this call added. Requires no
  // load in progress. Errors: InvalidArgument (a name the sink refuses), NotFound
  // (no such table), Unavailable.
  virtual Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                                    const std::vector<ColumnDef>& columns) = 0;

  // Starts the load of one file into `table` (which must exist). Requires no load
  // in progress.
  virtual Status Begin(const TableDef& table, const LoadId& load) = 0;
  // Appends rows; `batch` columns must be the table's columns in order.
  virtual Status Write(const Batch& batch) = 0;
  // Makes the load's rows and its commit marker visible atomically.
  virtual Result<LoadCounts> Commit() = 0;
  // Discards the load in progress, if any.
  virtual void Abort() noexcept = 0;

  // True if a load with this id was committed.
  virtual Result<bool> IsCommitted(std::string_view load_id) = 0;
  // Checks the connection (cheap round trip).
  virtual Status Ping() = 0;
};

// Opens a sink for a URL: "sqlite:PATH" (also "sqlite://PATH"). Errors:
// InvalidArgument (unknown scheme, bad URL), Unavailable (cannot connect).
Result<std::unique_ptr<Sink>> OpenSink(std::string_view url);

// `url` fit for logs and messages: any password (a URI's user info, a password
// parameter, a PostgreSQL conninfo password) replaced by "***".
std::string RedactSinkUrl(std::string_view url);

}  // namespace sluice

// Sink: loads the rows of one file, or of a group of files, into one table
// atomically, and answers after a crash whether a load was committed.
//
// Protocol: Begin(table, loads) → Write(batch, i)* → Commit | Abort. A load is
// one file; a group of small files for the same table shares one Begin…Commit,
// so it pays the sink's fixed costs (round trips, transactions, inserts) once.
// Commit makes the rows of every load visible together with a commit marker for
// each LoadId, or nothing. IsCommitted(load) reads the marker; the pipeline uses
// it to finish loads that were in flight when sluice stopped. Rows whose record
// key already exists in the table are skipped and counted, not loaded twice.
//
// Errors are classified by each sink in one place: Unavailable/Timeout (retry
// with backoff), InvalidData (the data was refused: quarantine), InvalidArgument
// (configuration: fatal), PermissionDenied (the database refuses sluice's
// credentials or privileges, or its database is missing: fatal at start-up, at run
// time the sink is down and files wait), Internal. No message holds a password.
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

  // Starts the loads of one or more files (distinct ids) into `table`, which must
  // exist. Requires no load in progress. AlreadyExists if any of them is
  // committed.
  virtual Status Begin(const TableDef& table, const std::vector<LoadId>& loads) = 0;
  // Appends rows of loads[load]; `batch` columns must be the table's columns in
  // order. The rows of a load come after those of the loads before it (`load`
  // never decreases within one Begin…Commit).
  virtual Status Write(const Batch& batch, size_t load) = 0;
  // Makes the rows of every load and their commit markers visible atomically;
  // returns the counts of each load, in Begin's order.
  virtual Result<std::vector<LoadCounts>> Commit() = 0;
  // Discards the loads in progress, if any.
  virtual void Abort() noexcept = 0;

  // True if a load with this id was committed.
  virtual Result<bool> IsCommitted(std::string_view load_id) = 0;
  // Called at start-up for a load into `table` that was in flight when sluice
  // stopped and is not committed: removes what that attempt may have stored. A
  // transactional sink's rollback left nothing (the default does nothing); a sink
  // without transactions (ClickHouse) starts removing its rows now rather than at
  // the load's next Begin, so they cannot meet other files' rows meanwhile. Best
  // effort; Begin stays the guarantee.
  virtual void DiscardAttempt(const std::string& table, const LoadId& load) noexcept {
    (void)table;
    (void)load;
  }
  // Checks the connection (cheap round trip).
  virtual Status Ping() = 0;
};

// "load ID" or, for a group, "load ID and N more": names loads in messages.
std::string DescribeLoads(const std::vector<LoadId>& loads);

// Internal unless `batch`'s columns are `table`'s columns in order (names and
// types) with a value and a null flag for every row: what Sink::Write requires.
Status CheckBatchFitsTable(const Batch& batch, const TableDef& table);

// The database file of an SQLite sink URL ("sqlite:PATH" or "sqlite://PATH"), as
// written (relative or absolute); nullopt for other schemes or an empty path.
std::optional<std::string> SqliteSinkPath(std::string_view url);

// Opens a sink for a URL: "sqlite:PATH" (also "sqlite://PATH"). Errors:
// InvalidArgument (unknown scheme, bad URL), Unavailable (cannot connect).
Result<std::unique_ptr<Sink>> OpenSink(std::string_view url);

// `url` with its password replaced by `password` (any byte but NUL), for a password
// kept out of the URL (a password file): PostgreSQL URLs get a last `password`
// parameter, which libpq prefers to one in the user info or earlier; ClickHouse
// URLs get it in the user info (user "default" unless the URL names one). The
// result holds the password: show it only through RedactSinkUrl. Errors:
// InvalidArgument (an SQLite URL, as SQLite takes no password; unknown scheme; a
// URL the scheme's parser would not read back with exactly this password).
Result<std::string> SinkUrlWithPassword(std::string_view url, std::string_view password);

// Every byte but RFC 3986's unreserved characters ([A-Za-z0-9-._~]) as %XX.
std::string PercentEncode(std::string_view text);

// `url` fit for logs and messages: any password replaced by "***", found by the
// parser that connects (RedactPostgresUrl, RedactClickHouseUrl); for another
// scheme, a URI's user info after its first ':' up to the last '@' and any
// password parameter.
std::string RedactSinkUrl(std::string_view url);

// `message` with `password` (as is, and percent-encoded with upper- or lower-case
// hex digits) replaced by "***": for driver messages, which may repeat what they
// were given. An empty password changes nothing.
std::string ScrubPassword(std::string message, std::string_view password);

}  // namespace sluice

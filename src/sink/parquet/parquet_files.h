// The on-disk layout of the Parquet sink (parquet_sink.h) and the durable file
// operations it is made of. Under the sink's folder DIR:
//
//   DIR/TABLE/_schema                 the table's definition (JSON)
//   DIR/TABLE/FIRST-ID.parquet        the rows of one load, or of a group of loads
//   DIR/TABLE/.FIRST-ID.parquet.tmp   a load being written (dot: no glob sees it;
//                                     every temporary file is .NAME.tmp)
//   DIR/TABLE/.lock                   flock: keyed loads and schema changes
//   DIR/SIDE/FIRST-ID.parquet         the side table's rows (aggregates) of that
//                                     load or group, when Begin named a side table
//   DIR/_sluice/loads/ID.json         the commit marker of each load id
//   DIR/_sluice/keys/TABLE/FIRST-ID.keys  the keys a keyed load's file added
//
// Names become file names through FileName: percent-encoded outside
// [A-Za-z0-9-._~], and a leading '.' or '_' too, so no table shadows _sluice or
// hides itself, and no name escapes its folder.
//
// Every file is written to a temporary name, synced, renamed into place, and its
// folder synced: a reader (or a crash) sees the whole file or none.
//
// Thread-safety: pure functions over the file system; callers order the writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "core/unique_fd.h"

namespace sluice::parquet_sink {

// The longest name, encoded, that the sink accepts (NAME_MAX leaves room for the
// suffixes).
inline constexpr size_t kMaxEncodedName = 200;

// `name` as one path component (see above). Never empty for a non-empty name.
std::string FileName(std::string_view name);
// InvalidArgument unless `name` encodes to at most kMaxEncodedName bytes; `what`
// ("table", "load id") names it in the message.
Status CheckFileName(std::string_view name, std::string_view what);

// Unavailable (PermissionDenied for EACCES/EPERM/EROFS) naming `what` and errno.
Status ErrnoStatus(const std::string& what, int error);

// mkdir, where it does not exist yet.
Status MakeDirectory(const std::string& path);
// fsync of a folder, so the names created or renamed in it are durable.
Status SyncDirectory(const std::string& path);
// Syncs `fd` (open on `from`) and renames `from` to `to`, then syncs `folder`
// (both lie in it) unless `sync_folder` is false.
Status PublishFile(int fd, const std::string& from, const std::string& to,
                   const std::string& folder, bool sync_folder = true);
// The temporary name of `path` (in `folder`): ".NAME.tmp" beside it. One name per
// path, so a crashed attempt's temporary file is overwritten by the next attempt,
// or removed by whoever knows the path; callers never write one path at once
// (a load id is in flight once; _schema is written under the table's lock).
std::string TemporaryPath(const std::string& folder, const std::string& path);
// Writes `content` to `path` (in `folder`) through TemporaryPath, synced; the
// folder too unless the caller syncs it once after several files.
Status WriteFileDurably(const std::string& folder, const std::string& path,
                        std::string_view content, bool sync_folder = true);
// The whole file; nullopt if it does not exist.
Result<std::optional<std::string>> ReadWholeFile(const std::string& path);
// unlink, where it exists; errors are ignored (best effort).
void RemoveQuietly(const std::string& path);
bool Exists(const std::string& path);
// The names in a folder (not "." or ".."); empty if it does not exist.
Result<std::vector<std::string>> ListDirectory(const std::string& path);

// An exclusive flock on `path` (created if missing), held until the fd closes.
Result<UniqueFd> LockFile(const std::string& path);

// A table's _schema as JSON text, and back (Internal if it does not parse).
std::string SchemaJson(const TableDef& table);
Result<TableDef> ParseSchemaJson(std::string_view text, const std::string& path);

// A commit marker: the load, its rows, and the data file that holds them
// (relative to DIR), which must exist for the load to count as committed.
struct Marker {
  std::string load_id;
  std::string file;
  uint64_t rows = 0;
  std::string table;
  std::string data;
  std::vector<std::string> group;  // every load id of the data file, in order
  // The group's side-table file (relative to DIR), or empty: written before the
  // data file's rename, it is removed with the markers when that never happened.
  std::string side;
};
std::string MarkerJson(const Marker& marker);
Result<Marker> ParseMarkerJson(std::string_view text, const std::string& path);

}  // namespace sluice::parquet_sink

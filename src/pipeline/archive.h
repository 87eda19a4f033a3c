// Moving files without ever overwriting, and writing reports atomically.
//
// Thread-safety: free functions; safe to call concurrently (collisions are
// resolved by the kernel with RENAME_NOREPLACE / O_EXCL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/status.h"
#include "core/unique_fd.h"
#include "source/landed_file.h"

namespace sluice {

// Moves `from` to `dir`/`relative` (creating folders). If that name is taken,
// tries "<stem>.1<ext>", "<stem>.2<ext>", ... where <ext> is everything from the
// first '.' of the base name (so "a.csv.gz" → "a.1.csv.gz"). Falls back to copy
// and delete across file systems. Returns the final path. Errors: Unavailable.
Result<std::string> MoveNoClobber(const std::string& from, const std::string& dir,
                                  const std::string& relative);

// How a landed file left the source folder.
struct Archived {
  std::string final_path;  // where its bytes are now ("deleted" for DeleteLanded)
  // Its path names another file now (it replaced this one during its job): that
  // file was left in, or put back into, the source folder, under this path or a
  // free name beside it, and must be sighted again as a new file.
  bool newcomer = false;
};

// Moves the landed `file`, found at `relative` below `folder`, to
// `dir`/`relative` without overwriting (names as MoveNoClobber). The directory
// entry is renamed relative to descriptors (renameat2, RENAME_NOREPLACE) and
// only while it still is `file` (or a link inside the folder to it): first to a
// pending name in the archive folder's kPendingFolder (PendingName, kArchiving,
// recording `relative`), where it is
// checked to be the entry that was checked, then to its final name there. If the
// path names another file (or another file was swapped in at the last moment),
// that file stays in (or goes back to) the source folder and the bytes of `file`
// that were hashed are copied to the archive from its descriptor (mode and mtime
// kept), as they are when `dir` (or the folder of `relative` in it) is on another
// file system. A crash between the
// renames leaves the pending name, which SettleLeftovers resolves. Errors:
// Unavailable.
Result<Archived> ArchiveLanded(const SourceFolder& folder, const std::string& relative,
                               const LandedFile& file, const std::string& dir);

// Removes `relative` below `folder` if it still is `file`; a file that replaced
// it stays (newcomer). The entry is first renamed to a pending name beside it
// (PendingName, kRemoving) and checked there; a crash before its removal or
// put-back leaves that name, which SettleLeftovers resolves. Errors: Unavailable.
Result<Archived> DeleteLanded(const SourceFolder& folder, const std::string& relative,
                              const LandedFile& file);

// An entry on its way out of the source folder, under a hidden name (the watcher
// ignores names starting with '.') that records its original base name:
//   kRemoving:  ".sluice-removing-<pid>-<n>-<name>" beside the original, before
//               it is removed (DeleteLanded, and ArchiveLanded across file systems)
//   kArchiving: ".sluice-archiving-<pid>-<n>-<path>" in the archive folder's
//               pending folder (kPendingFolder), before it takes its final name;
//               `name` is then the path relative to the archive folder, recorded
//               with '%' as "%25" and '/' as "%2F" (PendingPath reads it back)
// <n> is a counter of the process. A name too long for NAME_MAX with the prefix is
// shortened, keeping its start and its extensions ("a.csv.gz"), so a file put back
// under it still reads as the same format; a path too long keeps only its
// (shortened) base name.
enum class PendingKind { kRemoving, kArchiving };
std::string PendingName(PendingKind kind, const std::string& name);

struct ParsedPending {
  PendingKind kind = PendingKind::kRemoving;
  int64_t pid = 0;
  std::string name;  // as recorded: the original base name, or the encoded path
};
// The parts of a PendingName; nullopt for any other name (earlier versions'
// ".sluice-removing-<pid>-<n>" included: ParseEarlierRemovingName).
std::optional<ParsedPending> ParsePendingName(const std::string& entry);

// The relative path a kArchiving name recorded; nullopt if a part of it is empty,
// "." or ".." (never a name a move made).
std::optional<std::string> PendingPath(const std::string& recorded);

// An earlier version's removal name, ".sluice-removing-<pid>-<n>" (no name
// recorded): {pid, n}; nullopt for any other name.
std::optional<std::pair<int64_t, int64_t>> ParseEarlierRemovingName(const std::string& entry);

// The hidden folder of an archive folder (processed/, quarantine/) holding what is
// on its way in: files being archived (kArchiving names) and new archive files
// being written (PendingArchive). A start finds them by reading this one folder,
// never by walking the archive; inside the archive folder, it is on its file
// system, so the renames out of it stay atomic.
inline constexpr char kPendingFolder[] = ".sluice-pending";

// Opens the pending folder of the archive folder open as `root` (creating it if
// `create`), never through a link. Errors: NotFound (absent, not `create`),
// Unavailable.
Result<UniqueFd> OpenPendingFolder(int root, bool create);

// The process id in the name of a PendingArchive's temporary file
// (".<name>.sluice-tmp-<pid>-<n>"); nullopt for any other name.
std::optional<int64_t> ArchiveTemporaryPid(const std::string& entry);

// Renames `from` in `from_dir` to `name` in `to_dir`, or to the first free name
// of NumberedName(name, n), never over another entry (RENAME_NOREPLACE). Returns
// the name it took. Errors: Unavailable (errno of the rename).
Result<std::string> RenameNoClobber(int from_dir, const std::string& from, int to_dir,
                                    const std::string& name);

// `target`, or for n > 0 its n-th numbered name ("a.csv.gz" → "a.1.csv.gz"): the
// names MoveNoClobber and PendingArchive::Publish try, in order.
std::string NumberedName(const std::string& target, int n);

// The name under which a file is archived as Parquet: `relative` with its
// compression extension (.gz, .zst) and then its format extension replaced by
// ".parquet" ("in/orders.csv.gz" → "in/orders.parquet").
std::string ParquetArchiveName(const std::string& relative);

// A new archive file being written under a temporary hidden name in the archive
// folder's pending folder, so that the archive holds the whole file or none of
// it. Publish() makes it durable and names it; if it is never published,
// destruction removes it (a crash leaves a ".<name>.sluice-tmp-<pid>-<n>" file in
// the pending folder, never a partial archive; SettleLeftovers removes it).
class PendingArchive {
 public:
  // Creates the temporary file for `dir`/`relative` (creating folders). Errors:
  // Unavailable.
  static Result<PendingArchive> Create(const std::string& dir, const std::string& relative);
  PendingArchive(PendingArchive&& other) noexcept;
  PendingArchive& operator=(PendingArchive&&) = delete;
  ~PendingArchive();

  int fd() const { return fd_; }
  const std::string& temp_path() const { return temp_; }

  // Syncs the file, renames it to `dir`/`relative` or a free name beside it (names
  // as MoveNoClobber), syncs the folder, and returns the final path. Errors:
  // Unavailable.
  Result<std::string> Publish();

 private:
  PendingArchive(int fd, std::string temp, std::string dir, std::string relative)
      : fd_(fd), temp_(std::move(temp)), dir_(std::move(dir)), relative_(std::move(relative)) {}
  int fd_ = -1;
  std::string temp_;  // empty once published or moved from
  std::string dir_;
  std::string relative_;
};

// Writes `content` to `path` through a temporary file and rename, so readers see
// the whole file or none. Errors: Unavailable.
Status WriteFileAtomic(const std::string& path, const std::string& content);

// `path` relative to `root` when it lies below it, else its base name. Both must be
// absolute; the comparison is lexical (symlinks are not resolved).
std::string RelativeTo(const std::string& path, const std::string& root);

}  // namespace sluice

// Moving files without ever overwriting, and writing reports atomically.
//
// Thread-safety: free functions; safe to call concurrently (collisions are
// resolved by the kernel with RENAME_NOREPLACE / O_EXCL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
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
// pending name in the archive folder (PendingName, kArchiving), where it is
// checked to be the entry that was checked, then to its final name there. If the
// path names another file (or another file was swapped in at the last moment),
// that file stays in (or goes back to) the source folder and the bytes of `file`
// that were hashed are copied to the archive from its descriptor (mode and mtime
// kept), as they are when `dir` is on another file system. A crash between the
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
//   kArchiving: ".sluice-archiving-<pid>-<n>-<name>" in the archive folder (at the
//               original's relative folder), before it takes its final name there
// <n> is a counter of the process. A name too long for NAME_MAX with the prefix is
// shortened, keeping its start and its extensions ("a.csv.gz"), so a file put back
// under it still reads as the same format.
enum class PendingKind { kRemoving, kArchiving };
std::string PendingName(PendingKind kind, const std::string& name);

struct ParsedPending {
  PendingKind kind = PendingKind::kRemoving;
  int64_t pid = 0;
  std::string name;  // the original base name, as recorded
};
// The parts of a PendingName; nullopt for any other name (earlier versions'
// ".sluice-removing-<pid>-<n>" included).
std::optional<ParsedPending> ParsePendingName(const std::string& entry);

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

// A new archive file being written under a temporary hidden name beside its final
// name, so that the archive holds the whole file or none of it. Publish() makes
// it durable and names it; if it is never published, destruction removes it (a
// crash leaves a hidden ".<name>.sluice-tmp-*" file, never a partial archive).
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

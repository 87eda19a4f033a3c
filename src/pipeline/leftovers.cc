#include "pipeline/leftovers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <utility>

#include "core/unique_fd.h"
#include "observe/log.h"
#include "pipeline/archive.h"
#include "source/landed_file.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

// Deeper than any landing layout; a bound on the walk, not a rule for files.
constexpr size_t kMaxDepth = 64;

// In an archive folder's kPendingFolder, a folder (so that a listing of the
// archive's files shows none of sluice's own) saying that the archive was once
// searched for the pending names earlier versions left in its folders: after
// that, a start reads the pending folder only.
constexpr char kSearchedMark[] = "earlier-names-settled";

enum class Kind {
  kRemoving,         // ".sluice-removing-<pid>-<n>-<name>"
  kEarlierRemoving,  // ".sluice-removing-<pid>-<n>", an earlier version's: no name
  kArchiving,        // ".sluice-archiving-<pid>-<n>-<name or encoded path>"
  kTemporary,        // ".<name>.sluice-tmp-<pid>-<n>": an unpublished PendingArchive
};

struct Found {
  std::string folder;  // relative to the folder read, "" for itself
  std::string entry;   // the hidden name
  Kind kind = Kind::kRemoving;
  int64_t pid = 0;
  int64_t n = 0;       // kEarlierRemoving: the counter of its name
  std::string target;  // the original path, relative to the folder (not for kTemporary)
};

std::string Join(const std::string& folder, const std::string& name) {
  return folder.empty() ? name : folder + "/" + name;
}

// What the hidden `entry` of `folder` is, if one of `kinds`. `in_pending`: it is
// in a kPendingFolder, where a kArchiving name records the whole path.
std::optional<Found> Classify(const std::string& folder, const std::string& entry,
                              std::initializer_list<Kind> kinds, bool in_pending) {
  auto wanted = [&](Kind k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
  Found found{folder, entry};
  if (auto parsed = ParsePendingName(entry)) {
    found.kind = parsed->kind == PendingKind::kRemoving ? Kind::kRemoving : Kind::kArchiving;
    found.pid = parsed->pid;
    if (found.kind == Kind::kArchiving && in_pending) {
      auto path = PendingPath(parsed->name);
      if (!path) return std::nullopt;  // never a name a move made: left alone
      found.target = *path;
    } else {
      found.target = Join(folder, parsed->name);
    }
  } else if (auto earlier = ParseEarlierRemovingName(entry)) {
    found.kind = Kind::kEarlierRemoving;
    found.pid = earlier->first;
    found.n = earlier->second;
  } else if (auto pid = ArchiveTemporaryPid(entry)) {
    found.kind = Kind::kTemporary;
    found.pid = *pid;
  } else {
    return std::nullopt;
  }
  if (!wanted(found.kind)) return std::nullopt;
  return found;
}

// Reads the folder open as `opened` (`relative` below the folder read): the
// regular files and symlinks of `kinds` into `out`, the subfolders (not hidden,
// not links) into `subfolders`. Errors: Unavailable when it cannot be read.
Status ReadFolder(const UniqueFd& opened, const std::string& relative,
                  std::initializer_list<Kind> kinds, bool in_pending, std::vector<Found>& out,
                  std::vector<std::string>* subfolders) {
  const int fd = openat(opened.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd < 0 ? nullptr : fdopendir(fd);  // owns `fd` from here on
  if (dir == nullptr) {
    const Status failed = Status::Unavailable("cannot read " + (relative.empty() ? "." : relative) +
                                              ": " + std::strerror(errno));
    if (fd >= 0) close(fd);
    return failed;
  }
  while (const struct dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st {};
      if (fstatat(dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode)   ? DT_DIR
             : S_ISREG(st.st_mode) ? DT_REG
             : S_ISLNK(st.st_mode) ? DT_LNK
                                   : DT_UNKNOWN;
    }
    if (name.front() == '.') {
      if (type != DT_REG && type != DT_LNK) continue;
      if (auto found = Classify(relative, name, kinds, in_pending)) out.push_back(*found);
    } else if (type == DT_DIR && subfolders != nullptr) {
      subfolders->push_back(Join(relative, name));
    }
  }
  closedir(dir);
  return Status::Ok();
}

// The hidden names of `kinds` below `folder`, walked without following links and
// without entering hidden folders (the watcher reports nothing there, so nothing
// there is archived or removed). A subfolder that cannot be read is passed over,
// and `complete` (if given) is then set to false.
Result<std::vector<Found>> Walk(const SourceFolder& folder, std::initializer_list<Kind> kinds,
                                bool* complete = nullptr) {
  std::vector<Found> out;
  // Folders still to read, opened one at a time (beneath the folder: a folder
  // swapped for a link meanwhile is not followed out of it).
  std::vector<std::string> todo{""};
  while (!todo.empty()) {
    const std::string relative = std::move(todo.back());
    todo.pop_back();
    auto opened =
        folder.OpenBeneath(relative.empty() ? "." : relative, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    const size_t depth = relative.empty() ? 0 : std::count(relative.begin(), relative.end(), '/');
    std::vector<std::string> subfolders;
    Status read = opened ? ReadFolder(*opened, relative, kinds, false, out, &subfolders)
                         : Status::Unavailable(opened.error().message());
    if (!read.ok()) {
      if (relative.empty()) return Status::Unavailable(folder.path() + ": " + read.message());
      if (complete != nullptr) *complete = false;
      continue;
    }
    if (depth < kMaxDepth) todo.insert(todo.end(), subfolders.begin(), subfolders.end());
  }
  return out;
}

// The content hash of `relative` below `folder`; nullopt when it cannot be read
// there (a link leading outside the folder, not a regular file, gone).
Result<std::optional<std::string>> HashOf(const SourceFolder& folder, const std::string& relative) {
  auto landed = LandedFile::Open(folder, relative);
  if (!landed) {
    const StatusCode code = landed.error().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kInvalidData) {
      return std::optional<std::string>();
    }
    return landed.error();
  }
  ASSIGN_OR_RETURN(FileFingerprint fp, landed->Fingerprint());
  return std::optional<std::string>(fp.hash);
}

// Whether the ledger knows `hash` as finished at `relative` (loaded, a duplicate
// of a loaded file, or quarantined): its bytes are where the record says.
Result<bool> Known(Ledger& ledger, const std::string& relative, const std::string& hash) {
  ASSIGN_OR_RETURN(std::vector<FileRecord> records, ledger.FindByName(relative));
  for (const FileRecord& r : records) {
    if (r.identity.hash == hash &&
        (r.state == FileState::kLoaded || r.state == FileState::kDuplicate ||
         r.state == FileState::kQuarantined)) {
      return true;
    }
  }
  return false;
}

// Whether the leftover `found` below `folder` holds content the ledger knows as
// finished at its original path. Content that cannot be read through `folder` is
// not known.
Result<bool> KnownContent(const SourceFolder& folder, const Found& found, Ledger& ledger) {
  ASSIGN_OR_RETURN(std::optional<std::string> hash,
                   HashOf(folder, Join(found.folder, found.entry)));
  if (!hash) return false;
  return Known(ledger, found.target, *hash);
}

// Whether the ledger knows the content of `found` below `folder` as finished at
// any path (an earlier version's name records none).
Result<bool> KnownAnywhere(const SourceFolder& folder, const Found& found, Ledger& ledger) {
  ASSIGN_OR_RETURN(std::optional<std::string> hash,
                   HashOf(folder, Join(found.folder, found.entry)));
  if (!hash) return false;
  ASSIGN_OR_RETURN(std::vector<FileRecord> records, ledger.FindByHash(*hash));
  for (const FileRecord& r : records) {
    if (r.state == FileState::kLoaded || r.state == FileState::kDuplicate ||
        r.state == FileState::kQuarantined) {
      return true;
    }
  }
  return false;
}

std::string FolderOf(const std::string& relative) {
  return fs::path(relative).parent_path().string();
}
std::string BaseOf(const std::string& relative) { return fs::path(relative).filename().string(); }

class Settler {
 public:
  Settler(const SourceFolder& source, Ledger& ledger, int64_t skip_pid)
      : source_(source), ledger_(ledger), skip_pid_(skip_pid) {}

  // The leftovers of the source folder (one walk).
  Status Source() {
    ASSIGN_OR_RETURN(std::vector<Found> found,
                     Walk(source_, {Kind::kRemoving, Kind::kEarlierRemoving}));
    for (const Found& f : found) {
      if (Skipped(f)) continue;
      Removing(f);
    }
    return Status::Ok();
  }

  // The leftovers of the archive folder `archive`: those of its pending folder;
  // and, until it has been done once, those earlier versions left in its folders.
  void Archive(const SourceFolder& archive) {
    auto root = OpenFolder(archive, "");
    if (!root) return Failed(archive.path(), root.error());
    auto pending = OpenPendingFolder(root->get(), /*create=*/false);
    if (pending) {
      std::vector<Found> found;
      Status read = ReadFolder(*pending, kPendingFolder, {Kind::kArchiving, Kind::kTemporary},
                               /*in_pending=*/true, found, nullptr);
      if (!read.ok()) return Failed(Where(archive, kPendingFolder, ""), read);
      for (const Found& f : found) Settle(archive, f);
      struct stat st {};
      if (fstatat(pending->get(), kSearchedMark, &st, AT_SYMLINK_NOFOLLOW) == 0) return;
    } else if (pending.error().code() != StatusCode::kNotFound) {
      return Failed(Where(archive, kPendingFolder, ""), pending.error());
    }
    // Once per archive folder: the whole walk an earlier version's names need.
    bool complete = true;
    auto earlier = Walk(archive, {Kind::kArchiving, Kind::kTemporary}, &complete);
    if (!earlier) return Failed(archive.path(), earlier.error());
    const uint64_t failed_before = settled_.failed;
    for (const Found& f : *earlier) Settle(archive, f);
    if (!complete || settled_.failed != failed_before) return;  // searched again next time
    if (!pending) pending = OpenPendingFolder(root->get(), /*create=*/true);
    if (!pending || (mkdirat(pending->get(), kSearchedMark, 0755) != 0 && errno != EEXIST)) {
      LogWarn("leftovers_search_not_marked",
              {{"folder", archive.path()}, {"action", "searched again at the next start"}});
    }
  }

  const LeftoversSettled& settled() const { return settled_; }

 private:
  bool Skipped(const Found& found) const { return skip_pid_ > 0 && found.pid == skip_pid_; }

  void Settle(const SourceFolder& archive, const Found& found) {
    if (Skipped(found)) return;
    if (found.kind == Kind::kArchiving) Archiving(archive, found);
    if (found.kind == Kind::kTemporary) Temporary(archive, found);
  }

  // A ".sluice-removing-" entry of the source folder: removed or put back. An
  // earlier version's ".sluice-removing-<pid>-<n>" records no name: content the
  // ledger knows at any path is removed, anything else is put back as
  // "recovered-<pid>-<n>" (its format is not known either: one of unknown type is
  // quarantined, never lost).
  void Removing(const Found& found) {
    const bool earlier = found.kind == Kind::kEarlierRemoving;
    const std::string path = Where(source_, found.folder, found.entry);
    auto dir = OpenFolder(source_, found.folder);
    auto known = !dir      ? Result<bool>(dir.error())
                 : earlier ? KnownAnywhere(source_, found, ledger_)
                           : KnownContent(source_, found, ledger_);
    if (!known) return Failed(path, known.error());
    if (*known) return Remove(*dir, path, found.entry, "removed");
    // A newcomer: back under its name (or a free name beside it), to be sighted
    // as any new file.
    PutBack(path, *dir, found.entry, *dir, found.folder,
            earlier ? "recovered-" + std::to_string(found.pid) + "-" + std::to_string(found.n)
                    : BaseOf(found.target));
  }

  // A ".sluice-archiving-" entry of the archive folder `archive`: its move
  // finished, or put back into the source folder.
  void Archiving(const SourceFolder& archive, const Found& found) {
    const std::string path = Where(archive, found.folder, found.entry);
    auto dir = OpenFolder(archive, found.folder);
    auto known = dir ? KnownContent(archive, found, ledger_) : Result<bool>(dir.error());
    if (!known) return Failed(path, known.error());
    const std::string folder = FolderOf(found.target);
    if (*known) {
      auto to = OpenFolder(archive, folder);
      if (!to) {
        // Its folder in the archive was removed meanwhile: made again, beneath.
        std::error_code ec;
        fs::create_directories(fs::path(archive.path()) / folder, ec);
        to = OpenFolder(archive, folder);
      }
      if (!to) return Failed(path, to.error());
      auto named = RenameNoClobber(dir->get(), found.entry, to->get(), BaseOf(found.target));
      if (!named) return Failed(path, named.error());
      ++settled_.archived;
      LogInfo("leftover_settled",
              {{"file", path}, {"action", "archived"}, {"to", Where(archive, folder, *named)}});
      return;
    }
    // Back into the folder it came from; if that is gone, the source folder's top.
    std::string back_folder = folder;
    auto back = OpenFolder(source_, back_folder);
    if (!back) {
      back_folder.clear();
      back = OpenFolder(source_, back_folder);
    }
    if (!back) return Failed(path, back.error());
    PutBack(path, *dir, found.entry, *back, back_folder, BaseOf(found.target));
  }

  // An archive file a stop kept from being published: never the only copy (the
  // loaded file leaves the source folder only once its archive is published).
  void Temporary(const SourceFolder& archive, const Found& found) {
    const std::string path = Where(archive, found.folder, found.entry);
    auto dir = OpenFolder(archive, found.folder);
    if (!dir) return Failed(path, dir.error());
    Remove(*dir, path, found.entry, "removed unpublished archive file");
  }

  void Remove(const UniqueFd& dir, const std::string& path, const std::string& entry,
              const char* action) {
    if (unlinkat(dir.get(), entry.c_str(), 0) != 0) {
      return Failed(path,
                    Status::Unavailable(std::string("cannot remove: ") + std::strerror(errno)));
    }
    ++settled_.removed;
    LogInfo("leftover_settled", {{"file", path}, {"action", action}});
  }

  // Renames `entry` of `from` to `name` (or a free name beside it) in `to`, the
  // folder `to_folder` of the source folder, where it is sighted as a new file.
  void PutBack(const std::string& path, const UniqueFd& from, const std::string& entry,
               const UniqueFd& to, const std::string& to_folder, const std::string& name) {
    auto named = RenameNoClobber(from.get(), entry, to.get(), name);
    if (!named) return Failed(path, named.error());
    ++settled_.restored;
    LogInfo("leftover_settled",
            {{"file", path}, {"action", "restored"}, {"to", Where(source_, to_folder, *named)}});
  }

  static std::string Where(const SourceFolder& folder, const std::string& sub,
                           const std::string& name) {
    return (fs::path(folder.path()) / Join(sub, name)).string();
  }
  static Result<UniqueFd> OpenFolder(const SourceFolder& folder, const std::string& sub) {
    return folder.OpenBeneath(sub.empty() ? "." : sub, O_PATH | O_DIRECTORY);
  }

  void Failed(const std::string& path, const Status& why) {
    ++settled_.failed;
    LogError(
        "leftover_not_settled",
        {{"file", path}, {"error", why.ToString()}, {"action", "tried again at the next start"}});
  }

  const SourceFolder& source_;
  Ledger& ledger_;
  const int64_t skip_pid_;
  LeftoversSettled settled_;
};

}  // namespace

Result<LeftoversSettled> SettleLeftovers(const std::string& source,
                                         const std::vector<std::string>& archive_dirs,
                                         Ledger& ledger, int64_t skip_pid) {
  auto folder = SourceFolder::Open(source);
  if (!folder) return Status::Unavailable(folder.error().message());
  Settler settler(*folder, ledger, skip_pid);
  RETURN_IF_ERROR(settler.Source());
  for (const std::string& dir : archive_dirs) {
    auto archive = SourceFolder::Open(dir);
    if (!archive) continue;  // not made yet: nothing was archived there
    settler.Archive(*archive);
  }
  return settler.settled();
}

}  // namespace sluice

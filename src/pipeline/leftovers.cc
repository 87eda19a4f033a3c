#include "pipeline/leftovers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
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

struct Found {
  std::string folder;  // relative to the folder walked, "" for itself
  std::string entry;   // the pending name
  ParsedPending parsed;
};

std::string Join(const std::string& folder, const std::string& name) {
  return folder.empty() ? name : folder + "/" + name;
}

// The pending names of `kind` below `folder`, walked without following links and
// without entering hidden folders (the watcher reports nothing there, so nothing
// there is archived or removed). A subfolder that cannot be read is passed over.
Result<std::vector<Found>> FindPending(const SourceFolder& folder, PendingKind kind) {
  std::vector<Found> out;
  // Folders still to read, opened one at a time (beneath the folder: a folder
  // swapped for a link meanwhile is not followed out of it).
  std::vector<std::string> todo{""};
  while (!todo.empty()) {
    const std::string relative = std::move(todo.back());
    todo.pop_back();
    auto opened =
        folder.OpenBeneath(relative.empty() ? "." : relative, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!opened) {
      if (relative.empty()) return Status::Unavailable(opened.error().message());
      continue;
    }
    const int fd = fcntl(opened->get(), F_DUPFD_CLOEXEC, 0);
    DIR* dir = fd < 0 ? nullptr : fdopendir(fd);  // owns `fd` from here on
    if (dir == nullptr) {
      if (fd >= 0) close(fd);
      if (relative.empty()) {
        return Status::Unavailable("cannot read " + folder.path() + ": " + std::strerror(errno));
      }
      continue;
    }
    const size_t depth = relative.empty() ? 0 : std::count(relative.begin(), relative.end(), '/');
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
        auto parsed = ParsePendingName(name);
        if (parsed && parsed->kind == kind) out.push_back({relative, name, std::move(*parsed)});
      } else if (type == DT_DIR && depth < kMaxDepth) {
        todo.push_back(Join(relative, name));
      }
    }
    closedir(dir);
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

// Whether the leftover `found` below `folder` holds content the ledger knows.
// Content that cannot be read through `folder` is not known.
Result<bool> KnownContent(const SourceFolder& folder, const Found& found, Ledger& ledger) {
  ASSIGN_OR_RETURN(std::optional<std::string> hash,
                   HashOf(folder, Join(found.folder, found.entry)));
  if (!hash) return false;
  return Known(ledger, Join(found.folder, found.parsed.name), *hash);
}

class Settler {
 public:
  Settler(const SourceFolder& source, Ledger& ledger) : source_(source), ledger_(ledger) {}

  // A ".sluice-removing-" entry of the source folder: removed or put back.
  void Removing(const Found& found) {
    const std::string path = Where(source_, found.folder, found.entry);
    auto dir = OpenFolder(source_, found.folder);
    auto known = dir ? KnownContent(source_, found, ledger_) : Result<bool>(dir.error());
    if (!known) return Failed(path, known.error());
    if (*known) {
      if (unlinkat(dir->get(), found.entry.c_str(), 0) != 0) {
        return Failed(path,
                      Status::Unavailable(std::string("cannot remove: ") + std::strerror(errno)));
      }
      ++settled_.removed;
      LogInfo("leftover_settled", {{"file", path}, {"action", "removed"}});
      return;
    }
    // A newcomer: back under its name (or a free name beside it), to be sighted
    // as any new file.
    auto named = RenameNoClobber(dir->get(), found.entry, dir->get(), found.parsed.name);
    if (!named) return Failed(path, named.error());
    ++settled_.restored;
    LogInfo("leftover_settled",
            {{"file", path}, {"action", "restored"}, {"to", Where(source_, found.folder, *named)}});
  }

  // A ".sluice-archiving-" entry of the archive folder `archive`: its move
  // finished, or put back into the source folder.
  void Archiving(const SourceFolder& archive, const Found& found) {
    const std::string path = Where(archive, found.folder, found.entry);
    auto dir = OpenFolder(archive, found.folder);
    auto known = dir ? KnownContent(archive, found, ledger_) : Result<bool>(dir.error());
    if (!known) return Failed(path, known.error());
    if (*known) {
      auto named = RenameNoClobber(dir->get(), found.entry, dir->get(), found.parsed.name);
      if (!named) return Failed(path, named.error());
      ++settled_.archived;
      LogInfo(
          "leftover_settled",
          {{"file", path}, {"action", "archived"}, {"to", Where(archive, found.folder, *named)}});
      return;
    }
    // Back into the folder it came from; if that is gone, the source folder's top.
    std::string folder = found.folder;
    auto back = OpenFolder(source_, folder);
    if (!back) {
      folder.clear();
      back = OpenFolder(source_, folder);
    }
    if (!back) return Failed(path, back.error());
    auto named = RenameNoClobber(dir->get(), found.entry, back->get(), found.parsed.name);
    if (!named) return Failed(path, named.error());
    ++settled_.restored;
    LogInfo("leftover_settled",
            {{"file", path}, {"action", "restored"}, {"to", Where(source_, folder, *named)}});
  }

  const LeftoversSettled& settled() const { return settled_; }

 private:
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
  LeftoversSettled settled_;
};

}  // namespace

Result<LeftoversSettled> SettleLeftovers(const std::string& source,
                                         const std::vector<std::string>& archive_dirs,
                                         Ledger& ledger, int64_t skip_pid) {
  auto folder = SourceFolder::Open(source);
  if (!folder) return Status::Unavailable(folder.error().message());
  Settler settler(*folder, ledger);
  ASSIGN_OR_RETURN(std::vector<Found> removing, FindPending(*folder, PendingKind::kRemoving));
  for (const Found& found : removing) {
    if (skip_pid <= 0 || found.parsed.pid != skip_pid) settler.Removing(found);
  }
  for (const std::string& dir : archive_dirs) {
    auto archive = SourceFolder::Open(dir);
    if (!archive) continue;  // not made yet: nothing was archived there
    auto archiving = FindPending(*archive, PendingKind::kArchiving);
    if (!archiving) {
      LogError("leftover_not_settled", {{"file", dir}, {"error", archiving.error().ToString()}});
      continue;
    }
    for (const Found& found : *archiving) {
      if (skip_pid <= 0 || found.parsed.pid != skip_pid) settler.Archiving(*archive, found);
    }
  }
  return settler.settled();
}

}  // namespace sluice

#include "pipeline/archive.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "core/unique_fd.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

std::string Candidate(const fs::path& target, int n) {
  if (n == 0) return target.string();
  std::string base = target.filename().string();
  size_t dot = base.find('.', 1);  // a leading '.' is part of the stem
  std::string stem = dot == std::string::npos ? base : base.substr(0, dot);
  std::string ext = dot == std::string::npos ? "" : base.substr(dot);
  return (target.parent_path() / (stem + "." + std::to_string(n) + ext)).string();
}

}  // namespace

std::string NumberedName(const std::string& target, int n) { return Candidate(target, n); }

namespace {

constexpr std::string_view kRemovingPrefix = ".sluice-removing-";
constexpr std::string_view kArchivingPrefix = ".sluice-archiving-";

// Reads "<digits>-" at `pos` of `text`, moving `pos` past it.
std::optional<int64_t> Number(const std::string& text, size_t& pos) {
  const size_t start = pos;
  int64_t value = 0;
  while (pos < text.size() && pos - start < 18 && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + (text[pos++] - '0');
  }
  if (pos == start || pos >= text.size() || text[pos] != '-') return std::nullopt;
  ++pos;
  return value;
}

// `path` with '%' as "%25" and '/' as "%2F": one directory entry's name.
std::string EncodePath(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string PendingName(PendingKind kind, const std::string& name) {
  static std::atomic<uint64_t> counter{0};
  const std::string tag =
      std::string(kind == PendingKind::kRemoving ? kRemovingPrefix : kArchivingPrefix) +
      std::to_string(getpid()) + "-" + std::to_string(counter++) + "-";
  const size_t room = NAME_MAX - tag.size();
  std::string recorded = name;
  if (kind == PendingKind::kArchiving) {
    recorded = EncodePath(name);
    // Too deep to record: its base name only (put back at the top of the folder).
    if (recorded.size() > room) recorded = EncodePath(fs::path(name).filename().string());
  }
  if (recorded.size() <= room) return tag + recorded;
  // Too long to record whole: its start and its extensions, or failing that its end.
  const size_t dot = recorded.find('.', 1);
  const std::string ext = dot == std::string::npos ? "" : recorded.substr(dot);
  if (ext.size() <= room / 2) return tag + recorded.substr(0, room - ext.size()) + ext;
  return tag + recorded.substr(recorded.size() - room);
}

std::optional<ParsedPending> ParsePendingName(const std::string& entry) {
  ParsedPending out;
  size_t pos = 0;
  if (entry.starts_with(kRemovingPrefix)) {
    out.kind = PendingKind::kRemoving;
    pos = kRemovingPrefix.size();
  } else if (entry.starts_with(kArchivingPrefix)) {
    out.kind = PendingKind::kArchiving;
    pos = kArchivingPrefix.size();
  } else {
    return std::nullopt;
  }
  auto pid = Number(entry, pos);
  if (!pid || !Number(entry, pos)) return std::nullopt;
  out.pid = *pid;
  out.name = entry.substr(pos);
  if (out.name.empty() || out.name == "." || out.name == "..") return std::nullopt;
  return out;
}

std::optional<std::string> PendingPath(const std::string& recorded) {
  std::string path;
  for (size_t i = 0; i < recorded.size(); ++i) {
    // Any other '%' is itself: a shortened name may have cut an escape.
    if (recorded.compare(i, 3, "%2F") == 0) {
      path += '/';
      i += 2;
    } else if (recorded.compare(i, 3, "%25") == 0) {
      path += '%';
      i += 2;
    } else {
      path += recorded[i];
    }
  }
  for (const auto& part : fs::path(path)) {
    if (part.empty() || part == "." || part == "..") return std::nullopt;
  }
  if (path.empty() || path.front() == '/' || path.ends_with('/') ||
      path.find("//") != std::string::npos) {
    return std::nullopt;
  }
  return path;
}

std::optional<std::pair<int64_t, int64_t>> ParseEarlierRemovingName(const std::string& entry) {
  if (!entry.starts_with(kRemovingPrefix)) return std::nullopt;
  // "<pid>-<n>" to the end: as Number, with the end standing for the last '-'.
  std::string rest = entry.substr(kRemovingPrefix.size()) + "-";
  size_t pos = 0;
  auto pid = Number(rest, pos);
  if (!pid) return std::nullopt;
  auto n = Number(rest, pos);
  if (!n || pos != rest.size()) return std::nullopt;
  return std::make_pair(*pid, *n);
}

std::optional<int64_t> ArchiveTemporaryPid(const std::string& entry) {
  constexpr std::string_view kTemp = ".sluice-tmp-";
  const size_t at = entry.rfind(kTemp);
  if (entry.size() < 2 || entry.front() != '.' || at == std::string::npos || at < 2) {
    return std::nullopt;
  }
  std::string rest = entry.substr(at + kTemp.size()) + "-";
  size_t pos = 0;
  auto pid = Number(rest, pos);
  if (!pid || !Number(rest, pos) || pos != rest.size()) return std::nullopt;
  return pid;
}

Result<UniqueFd> OpenPendingFolder(int root, bool create) {
  if (create && mkdirat(root, kPendingFolder, 0755) != 0 && errno != EEXIST) {
    return Status::Unavailable(std::string("cannot create ") + kPendingFolder + ": " +
                               std::strerror(errno));
  }
  const int fd = openat(root, kPendingFolder, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(std::string(kPendingFolder) + " is absent");
    return Status::Unavailable(std::string("cannot open ") + kPendingFolder + ": " +
                               std::strerror(errno));
  }
  return UniqueFd(fd);
}

Result<std::string> RenameNoClobber(int from_dir, const std::string& from, int to_dir,
                                    const std::string& name) {
  for (int n = 0; n < 100000; ++n) {
    std::string candidate = Candidate(fs::path(name), n);
    if (renameat2(from_dir, from.c_str(), to_dir, candidate.c_str(), RENAME_NOREPLACE) == 0) {
      return candidate;
    }
    if (errno != EEXIST) {
      return Status::Unavailable("cannot rename " + from + " to " + candidate + ": " +
                                 std::strerror(errno));
    }
  }
  return Status::Unavailable("no free name for " + name);
}

namespace {

Status Errno(const std::string& what) {
  return Status::Unavailable(what + ": " + std::strerror(errno));
}

// Copies `from` to a new file `to` (O_EXCL) and fsyncs it. EEXIST is reported via errno.
bool CopyExclusive(const std::string& from, const std::string& to) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    int saved = errno;
    close(in);
    errno = saved;
    return false;
  }
  char buf[1 << 16];
  bool ok = true;
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0 || write(out, buf, n) != n) {
      ok = false;
      break;
    }
  }
  ok = ok && fsync(out) == 0;
  close(in);
  close(out);
  if (!ok) unlink(to.c_str());
  return ok;
}

bool SameEntry(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// The directory entry `name` of `parent` (`relative` below `folder`) if it is
// `file` itself, or a symlink inside the folder that leads to it.
std::optional<struct stat> EntryOf(const SourceFolder& folder, int parent, const std::string& name,
                                   const std::string& relative, const LandedFile& file) {
  struct stat entry {};
  if (fstatat(parent, name.c_str(), &entry, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  if (S_ISREG(entry.st_mode)) {
    if (file.SameFile(entry)) return entry;
  } else if (S_ISLNK(entry.st_mode)) {
    auto target = folder.Stat(relative);
    if (target.has_value() && file.SameFile(*target)) return entry;
  }
  return std::nullopt;
}

bool Exists(int dir, const std::string& name) {
  struct stat st {};
  return fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

// Copies the bytes of `file` that were hashed to a new file in `dir` (a free name
// for `name`), with the original's permissions and mtime, and fsyncs it. Returns
// its path under `dir_path`.
Result<std::string> CopyLanded(const LandedFile& file, int dir, const std::string& name,
                               const fs::path& dir_path) {
  const struct stat& st = file.opened_stat();
  for (int n = 0; n < 100000; ++n) {
    std::string candidate = Candidate(fs::path(name), n);
    int raw =
        openat(dir, candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
    if (raw < 0) {
      if (errno == EEXIST) continue;
      return Errno("cannot create " + (dir_path / candidate).string());
    }
    UniqueFd out(raw);
    const uint64_t size = file.fingerprint().size;
    std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(1 << 20);
    bool ok = true;
    for (uint64_t done = 0; ok && done < size;) {
      ssize_t got = pread(file.fd(), buffer.get(), std::min<uint64_t>(size - done, 1 << 20),
                          static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      ok = got > 0;
      for (ssize_t put = 0; ok && put < got;) {
        ssize_t w = write(out.get(), buffer.get() + put, static_cast<size_t>(got - put));
        if (w < 0 && errno == EINTR) continue;
        ok = w > 0;
        put += w;
      }
      done += static_cast<uint64_t>(got);
    }
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ok = ok && futimens(out.get(), times) == 0 && fsync(out.get()) == 0;
    if (!ok) {
      Status failed =
          Errno("cannot copy " + file.name() + " to " + (dir_path / candidate).string());
      unlinkat(dir, candidate.c_str(), 0);
      return failed;
    }
    return (dir_path / candidate).string();
  }
  return Status::Unavailable("no free name for " + (dir_path / name).string());
}

// Removes `name` of `parent` if it is still `entry`. It is first renamed to a
// pending name and checked there, so a file swapped in meanwhile is put back
// rather than removed. Returns whether it was removed.
Result<bool> RemoveEntry(int parent, const std::string& name, const struct stat& entry) {
  const std::string hidden = PendingName(PendingKind::kRemoving, name);
  if (renameat2(parent, name.c_str(), parent, hidden.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == ENOENT) return false;
    return Errno("cannot remove " + name);
  }
  struct stat moved {};
  if (fstatat(parent, hidden.c_str(), &moved, AT_SYMLINK_NOFOLLOW) == 0 &&
      SameEntry(moved, entry)) {
    if (unlinkat(parent, hidden.c_str(), 0) != 0) return Errno("cannot remove " + name);
    return true;
  }
  // A file that is not ours goes back where it came from, never over another.
  auto put_back = RenameNoClobber(parent, hidden, parent, name);
  // If it cannot, it stays under its pending name, which the next start settles.
  if (!put_back) return put_back.error();
  return false;
}

struct Place {
  UniqueFd parent;  // the directory holding the entry, beneath the source folder
  std::string name;
};

Result<Place> PlaceOf(const SourceFolder& folder, const std::string& relative) {
  fs::path rel(relative);
  const std::string sub = rel.parent_path().string();
  Place place;
  place.name = rel.filename().string();
  ASSIGN_OR_RETURN(place.parent, folder.OpenBeneath(sub.empty() ? "." : sub, O_PATH | O_DIRECTORY));
  return place;
}

}  // namespace

Result<Archived> ArchiveLanded(const SourceFolder& folder, const std::string& relative,
                               const LandedFile& file, const std::string& dir) {
  auto place = PlaceOf(folder, relative);
  if (!place) return Status::Unavailable(place.error().message());
  const fs::path target_dir = (fs::path(dir) / relative).parent_path();
  std::error_code ec;
  fs::create_directories(target_dir, ec);
  if (ec) return Status::Unavailable("cannot create " + target_dir.string() + ": " + ec.message());
  int raw = open(target_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) return Errno("cannot open " + target_dir.string());
  UniqueFd target(raw);
  raw = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) return Errno("cannot open " + dir);
  UniqueFd root(raw);
  ASSIGN_OR_RETURN(UniqueFd staging, OpenPendingFolder(root.get(), /*create=*/true));
  const fs::path staging_dir = fs::path(dir) / kPendingFolder;
  // A folder of the archive that is another file system (a mount inside it) is
  // reached by a copy, as another file system is: the second rename could not be.
  struct stat staging_st {
  }, target_st{};
  if (fstat(staging.get(), &staging_st) != 0 || fstat(target.get(), &target_st) != 0) {
    return Errno("cannot read " + target_dir.string());
  }
  const bool same_fs = staging_st.st_dev == target_st.st_dev;
  const int parent = place->parent.get();
  const std::string& name = place->name;

  Archived out;
  std::optional<struct stat> entry = EntryOf(folder, parent, name, relative, file);
  // A pending name that another process's entry holds is skipped (the counter
  // makes a clash unlikely; an entry planted under it stays).
  for (int attempt = 0; entry && attempt < 100; ++attempt) {
    const std::string pending = PendingName(PendingKind::kArchiving, relative);
    if (same_fs &&
        renameat2(parent, name.c_str(), staging.get(), pending.c_str(), RENAME_NOREPLACE) == 0) {
      struct stat moved {};
      if (fstatat(staging.get(), pending.c_str(), &moved, AT_SYMLINK_NOFOLLOW) == 0 &&
          SameEntry(moved, *entry)) {
        auto final_name = RenameNoClobber(staging.get(), pending, target.get(), name);
        if (!final_name) {
          return Status::Unavailable("cannot name " + (staging_dir / pending).string() + ": " +
                                     final_name.error().message());
        }
        out.final_path = (target_dir / *final_name).string();
        return out;
      }
      // Another file was swapped in between the check and the rename.
      auto put_back = RenameNoClobber(staging.get(), pending, parent, name);
      if (!put_back) {
        return Status::Unavailable("cannot put " + (staging_dir / pending).string() + " back to " +
                                   relative + ": " + put_back.error().message());
      }
      entry.reset();
      break;
    }
    if (!same_fs) errno = EXDEV;
    if (errno == EEXIST) continue;
    if (errno == ENOENT) {
      entry.reset();
      break;
    }
    if (errno != EXDEV) return Errno("cannot move " + relative + " to " + target_dir.string());
    // Another file system: copy, then remove the original if it is still ours.
    ASSIGN_OR_RETURN(out.final_path, CopyLanded(file, target.get(), name, target_dir));
    ASSIGN_OR_RETURN(bool removed, RemoveEntry(parent, name, *entry));
    out.newcomer = !removed && Exists(parent, name);
    return out;
  }
  // The path no longer names this file: archive the bytes that were loaded.
  out.newcomer = Exists(parent, name);
  ASSIGN_OR_RETURN(out.final_path, CopyLanded(file, target.get(), name, target_dir));
  return out;
}

Result<Archived> DeleteLanded(const SourceFolder& folder, const std::string& relative,
                              const LandedFile& file) {
  auto place = PlaceOf(folder, relative);
  if (!place) return Status::Unavailable(place.error().message());
  Archived out{"deleted", false};
  std::optional<struct stat> entry =
      EntryOf(folder, place->parent.get(), place->name, relative, file);
  bool removed = false;
  if (entry) {
    ASSIGN_OR_RETURN(removed, RemoveEntry(place->parent.get(), place->name, *entry));
  }
  out.newcomer = !removed && Exists(place->parent.get(), place->name);
  return out;
}

Result<std::string> MoveNoClobber(const std::string& from, const std::string& dir,
                                  const std::string& relative) {
  fs::path target = fs::path(dir) / relative;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return Status::Unavailable("cannot create " + target.parent_path().string() + ": " +
                               ec.message());
  for (int n = 0; n < 100000; ++n) {
    std::string candidate = Candidate(target, n);
    if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, candidate.c_str(), RENAME_NOREPLACE) == 0) {
      return candidate;
    }
    if (errno == EEXIST) continue;
    if (errno != EXDEV) return Errno("cannot move " + from + " to " + candidate);
    if (CopyExclusive(from, candidate)) {
      if (unlink(from.c_str()) != 0) return Errno("cannot remove " + from);
      return candidate;
    }
    if (errno != EEXIST) return Errno("cannot copy " + from + " to " + candidate);
  }
  return Status::Unavailable("no free name for " + target.string());
}

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Errno("cannot write " + tmp);
  bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  ok = std::fflush(f) == 0 && ok;
  ok = fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot write " + path);
    std::remove(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

std::string ParquetArchiveName(const std::string& relative) {
  fs::path path(relative);
  std::string base = path.filename().string();
  for (const char* compression : {".gz", ".zst"}) {
    if (base.size() > std::strlen(compression) + 1 && base.ends_with(compression)) {
      base.resize(base.size() - std::strlen(compression));
      break;
    }
  }
  const size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return (path.parent_path() / (base + ".parquet")).string();
}

Result<PendingArchive> PendingArchive::Create(const std::string& dir, const std::string& relative) {
  static std::atomic<uint64_t> counter{0};
  const fs::path target = fs::path(dir) / relative;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return Status::Unavailable("cannot create " + target.parent_path().string() + ": " +
                               ec.message());
  }
  UniqueFd root(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return Errno("cannot open " + dir);
  ASSIGN_OR_RETURN(UniqueFd staging, OpenPendingFolder(root.get(), /*create=*/true));
  // Named after its final name, so that a start can tell what it was.
  std::string name = "." + target.filename().string();
  const std::string tag =
      ".sluice-tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  if (name.size() + tag.size() > NAME_MAX) name.resize(NAME_MAX - tag.size());
  name += tag;
  const std::string temp = (fs::path(dir) / kPendingFolder / name).string();
  int fd = openat(staging.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create " + temp);
  return PendingArchive(fd, temp, dir, relative);
}

PendingArchive::PendingArchive(PendingArchive&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      temp_(std::exchange(other.temp_, std::string())),
      dir_(std::move(other.dir_)),
      relative_(std::move(other.relative_)) {}

PendingArchive::~PendingArchive() {
  if (fd_ >= 0) close(fd_);
  if (!temp_.empty()) unlink(temp_.c_str());
}

Result<std::string> PendingArchive::Publish() {
  if (fsync(fd_) != 0) return Errno("cannot sync " + temp_);
  if (close(std::exchange(fd_, -1)) != 0) return Errno("cannot write " + temp_);
  ASSIGN_OR_RETURN(std::string final_path, MoveNoClobber(temp_, dir_, relative_));
  temp_.clear();
  // The rename is durable once the folder holding the new name is synced.
  UniqueFd folder(
      open(fs::path(final_path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (folder.get() < 0 || fsync(folder.get()) != 0) {
    return Errno("cannot sync the folder of " + final_path);
  }
  return final_path;
}

std::string RelativeTo(const std::string& path, const std::string& root) {
  // Lexical on purpose: a symlink keeps its own name below the root.
  fs::path rel =
      fs::path(path).lexically_normal().lexically_relative(fs::path(root).lexically_normal());
  if (rel.empty() || *rel.begin() == "..") return fs::path(path).filename().string();
  return rel.string();
}

}  // namespace sluice

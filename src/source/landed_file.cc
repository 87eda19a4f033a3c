#include "source/landed_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "source/posix_status.h"

namespace sluice {
namespace {

// `path` relative to `dir` when it lies strictly below it (both lexically normal).
std::optional<std::string> Below(const std::string& path, const std::string& dir) {
  if (dir.empty() || path.size() <= dir.size() + 1 || !path.starts_with(dir)) return std::nullopt;
  if (dir.back() == '/') return path.substr(dir.size());
  if (path[dir.size()] != '/') return std::nullopt;
  return path.substr(dir.size() + 1);
}

// openat2(2), retried while it reports a concurrent rename (EAGAIN); -1 and errno
// on failure.
int OpenAt2(int dirfd, const std::string& path, int flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = resolve;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if ((errno != EAGAIN && errno != EINTR) || attempt == 100) return -1;
  }
}

std::string Outside(const std::string& relative, const std::string& root) {
  return relative + " " + std::string(kOutsideFolder) + " " + root + "; not opened";
}

}  // namespace

Result<SourceFolder> SourceFolder::Open(const std::string& root) {
  int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR) return Status::InvalidArgument("not a directory: " + root);
    return ErrnoStatus(errno, "open", root);
  }
  UniqueFd owned(fd);
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(root.c_str(), nullptr), &std::free);
  if (real == nullptr) return ErrnoStatus(errno, "resolve", root);
  std::string given = std::filesystem::path(root).lexically_normal().string();
  if (given.size() > 1 && given.back() == '/') given.pop_back();
  return SourceFolder(std::move(owned), std::move(given), real.get());
}

Result<std::string> SourceFolder::Relative(const std::string& path) const {
  const std::string normal = std::filesystem::path(path).lexically_normal().string();
  if (auto rel = Below(normal, canonical_)) return *rel;
  if (auto rel = Below(normal, given_)) return *rel;
  return Status::NotFound(path + " is not below the source folder " + canonical_);
}

Result<UniqueFd> SourceFolder::OpenBeneath(const std::string& relative, int flags) const {
  flags |= O_CLOEXEC;
  if (relative.empty() || relative.front() == '/') {
    return Status::NotFound(Outside(relative, canonical_));
  }
  int fd = OpenAt2(fd_.get(), relative, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  if (err == ENOSYS || err == EPERM) {
    // No openat2 (before Linux 5.6, or refused by a seccomp filter): open the
    // path only as a reference (O_PATH opens nothing), check where it really
    // is, and only then open it for real through that very reference.
    int ref = ::openat(fd_.get(), relative.c_str(), O_PATH | O_CLOEXEC | (flags & O_DIRECTORY));
    if (ref < 0) return ErrnoStatus(errno, "open", relative);
    UniqueFd reference(ref);
    const std::string proc = "/proc/self/fd/" + std::to_string(ref);
    std::vector<char> target(PATH_MAX + 1);
    ssize_t n = ::readlink(proc.c_str(), target.data(), PATH_MAX);
    if (n < 0) return ErrnoStatus(errno, "resolve", relative);
    if (!Below(std::string(target.data(), static_cast<size_t>(n)), canonical_)) {
      return Status::NotFound(Outside(relative, canonical_));
    }
    if (flags & O_PATH) return reference;
    fd = ::open(proc.c_str(), flags);
    if (fd < 0) return ErrnoStatus(errno, "open", relative);
    return UniqueFd(fd);
  }
  if (err == EXDEV || err == ELOOP) {
    // The watcher accepts a symlink whose canonical target lies inside the
    // folder, also an absolute one, which RESOLVE_BENEATH refuses. Open that
    // target beneath the folder without following any link: whatever the path
    // names by then, nothing outside the folder is opened.
    std::unique_ptr<char, decltype(&std::free)> real(
        ::realpath((canonical_ + "/" + relative).c_str(), nullptr), &std::free);
    std::optional<std::string> inside;
    if (real != nullptr) inside = Below(real.get(), canonical_);
    if (!inside) return Status::NotFound(Outside(relative, canonical_));
    fd = OpenAt2(fd_.get(), *inside, flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd >= 0) return UniqueFd(fd);
    err = errno;
    if (err == EXDEV || err == ELOOP) return Status::NotFound(Outside(relative, canonical_));
  }
  return ErrnoStatus(err, "open", relative);
}

Result<struct stat> SourceFolder::Stat(const std::string& relative) const {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenBeneath(relative, O_PATH));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", relative);
  return st;
}

Result<LandedFile> LandedFile::Open(const SourceFolder& folder, const std::string& relative) {
  // O_NONBLOCK keeps a FIFO from blocking open(); O_NOCTTY a terminal from
  // becoming ours. Neither matters to regular files, the only kind accepted.
  ASSIGN_OR_RETURN(UniqueFd fd, folder.OpenBeneath(relative, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", relative);
  if (!S_ISREG(st.st_mode)) return Status::InvalidData("not a regular file: " + relative);
  // Advice only: a failure changes nothing but read-ahead.
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return LandedFile(std::move(fd), relative, st);
}

Result<FileFingerprint> LandedFile::Fingerprint() {
  uint64_t hashed = 0;
  ASSIGN_OR_RETURN(std::string hash, HashDescriptor(fd_.get(), name_, hashed));
  struct stat after {};
  if (::fstat(fd_.get(), &after) != 0) return ErrnoStatus(errno, "stat", name_);
  if (hashed != static_cast<uint64_t>(stat_.st_size) || after.st_size != stat_.st_size ||
      MtimeNs(after) != MtimeNs(stat_)) {
    return Status::Unavailable("file changed while hashing");
  }
  fingerprint_ = FileFingerprint{std::move(hash), hashed, MtimeNs(stat_)};
  return fingerprint_;
}

Status LandedFile::CheckUnchanged() const {
  struct stat now {};
  if (::fstat(fd_.get(), &now) != 0) return ErrnoStatus(errno, "stat", name_);
  const uint64_t size = static_cast<uint64_t>(now.st_size);
  if (size != fingerprint_.size) {
    return Status::Unavailable(name_ + " changed since it was hashed (" +
                               std::to_string(fingerprint_.size) + " bytes, now " +
                               std::to_string(size) + ")");
  }
  if (MtimeNs(now) != fingerprint_.mtime_ns) {
    return Status::Unavailable(name_ + " changed since it was hashed (rewritten in place)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<InputStream>> LandedFile::Stream() const {
  return OpenDescriptorInput(fd_.get(), fingerprint_.size, name_);
}

Result<uint64_t> LandedFile::DecodedSize(uint64_t limit) const {
  char head[4];
  ssize_t got = ::pread(fd_.get(), head, std::min<uint64_t>(sizeof head, fingerprint_.size), 0);
  if (got < 0) return ErrnoStatus(errno, "read", name_);
  if (DetectCompression(std::string_view(head, static_cast<size_t>(got))) == Compression::kNone) {
    return fingerprint_.size;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in, Stream());
  std::vector<char> buffer(size_t{64} << 10);
  uint64_t total = 0;
  while (total <= limit) {
    ASSIGN_OR_RETURN(size_t got, in->Read(buffer.data(), buffer.size()));
    if (got == 0) break;
    total += got;
  }
  return total;
}

}  // namespace sluice

// A landed file opened once, beneath its source folder, for the whole of its job.
//
// The bytes hashed, the bytes loaded and the bytes archived must be the same
// bytes, and never bytes from outside the source folder. So the file is opened
// once, relative to a descriptor of the source folder (openat2 with
// RESOLVE_BENEATH: a symlink is followed only while it stays inside the folder),
// hashed from that descriptor, read again from it for loading (up to the size
// hashed), and compared with fstat (size, mtime) before its load commits. Whether
// its path still names it is answered beneath the folder too (SourceFolder::Stat).
//
// Symlinks: the watcher reports a symlink whose canonical target lies inside the
// folder, absolute or relative; such a link is still opened (its target is
// resolved and opened beneath the folder without following any further link). A
// link leading outside, or a magic link (/proc/<pid>/fd/...), is never followed.
// On kernels without openat2 (before 5.6), the file is opened O_PATH, its
// /proc/self/fd path checked to lie inside the folder, and only then reopened.
//
// Thread-safety: SourceFolder is immutable after Open (share it); a LandedFile
// has one owner, but the streams it opens are independent of it and of each other.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/input_stream.h"
#include "core/status.h"
#include "core/unique_fd.h"
#include "source/file_input.h"

namespace sluice {

// In the message of the NotFound for a path that leads outside the folder.
inline constexpr std::string_view kOutsideFolder = "leads outside the source folder";

class SourceFolder {
 public:
  // Opens the folder `root` (absolute). Errors: NotFound, InvalidArgument (not a
  // directory), Unavailable.
  static Result<SourceFolder> Open(const std::string& root);

  // The folder's canonical path (symlinks resolved).
  const std::string& path() const { return canonical_; }
  int fd() const { return fd_.get(); }

  // `path` (absolute, below the folder as given or as canonical) relative to the
  // folder. Errors: NotFound when it is not below the folder.
  Result<std::string> Relative(const std::string& path) const;

  // Opens `relative` beneath the folder with open(2) `flags` (O_CLOEXEC is
  // added; O_PATH and O_DIRECTORY allowed). Symlinks are followed only inside the
  // folder. Errors: NotFound (no such file, or the path leads outside the folder:
  // the message says so), Unavailable (anything else).
  Result<UniqueFd> OpenBeneath(const std::string& relative, int flags) const;

  // What `relative` names now, resolved as OpenBeneath would (so through a link
  // inside the folder, to its target). Errors: as OpenBeneath.
  Result<struct stat> Stat(const std::string& relative) const;

 private:
  SourceFolder(UniqueFd fd, std::string given, std::string canonical)
      : fd_(std::move(fd)), given_(std::move(given)), canonical_(std::move(canonical)) {}

  UniqueFd fd_;  // O_PATH | O_DIRECTORY
  std::string given_;
  std::string canonical_;
};

class LandedFile {
 public:
  // Opens `relative` beneath `folder` for reading. Errors: as
  // SourceFolder::OpenBeneath; InvalidData if it is not a regular file.
  static Result<LandedFile> Open(const SourceFolder& folder, const std::string& relative);

  // Hashes the whole file from the descriptor. Errors: Unavailable for I/O, and
  // "file changed while hashing" when the descriptor's size or mtime moved while
  // it was hashed (it is still being written). Afterwards fingerprint() holds it.
  Result<FileFingerprint> Fingerprint();
  const FileFingerprint& fingerprint() const { return fingerprint_; }

  // Ok if the file still holds what was hashed: the descriptor's size and mtime
  // are those of the fingerprint. Errors: Unavailable "<name> changed since it
  // was hashed (...)", naming what moved.
  Status CheckUnchanged() const;

  // A decoded stream of the bytes that were hashed (offset 0 to the fingerprint's
  // size), independent of this object's lifetime. Requires Fingerprint().
  // Errors: as OpenDescriptorInput.
  Result<std::unique_ptr<InputStream>> Stream() const;

  // The decoded size of the hashed bytes if it is at most `limit`, else some
  // number above `limit` (decoding stops there). Errors: as the stream's Read.
  Result<uint64_t> DecodedSize(uint64_t limit) const;

  // True if `st` is this very file (same device and inode).
  bool SameFile(const struct stat& st) const {
    return st.st_dev == stat_.st_dev && st.st_ino == stat_.st_ino;
  }
  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  // Permission bits and mtime as opened, for a copy of the file.
  const struct stat& opened_stat() const { return stat_; }

 private:
  LandedFile(UniqueFd fd, std::string name, const struct stat& st)
      : fd_(std::move(fd)), name_(std::move(name)), stat_(st) {}

  UniqueFd fd_;
  std::string name_;  // relative path, for messages
  struct stat stat_;  // at open
  FileFingerprint fingerprint_;
};

}  // namespace sluice

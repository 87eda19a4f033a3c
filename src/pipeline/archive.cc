#include "pipeline/archive.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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

}  // namespace

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

std::string RelativeTo(const std::string& path, const std::string& root) {
  // Lexical on purpose: a symlink keeps its own name below the root.
  fs::path rel =
      fs::path(path).lexically_normal().lexically_relative(fs::path(root).lexically_normal());
  if (rel.empty() || *rel.begin() == "..") return fs::path(path).filename().string();
  return rel.string();
}

}  // namespace sluice

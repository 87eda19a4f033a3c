// How the source stage turns errno values and stat(2) times into sluice's
// vocabulary: one reading for the watcher, file input and landed files.
//
// Thread-safety: pure functions.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "core/status.h"

namespace sluice {

// strerror(err), thread-safe.
inline std::string ErrnoMessage(int err) { return std::generic_category().message(err); }

// "<op> <path>: <reason>" as NotFound (ENOENT, ENOTDIR: the file went away) or
// Unavailable (anything else: worth trying again later).
inline Status ErrnoStatus(int err, std::string_view op, const std::string& path) {
  std::string message = std::string(op) + " " + path + ": " + ErrnoMessage(err);
  if (err == ENOENT || err == ENOTDIR) return Status::NotFound(std::move(message));
  return Status::Unavailable(std::move(message));
}

// The modification time in nanoseconds since the epoch.
inline int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace sluice

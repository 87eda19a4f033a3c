// Moving files without ever overwriting, and writing reports atomically.
//
// Thread-safety: free functions; safe to call concurrently (collisions are
// resolved by the kernel with RENAME_NOREPLACE / O_EXCL).
#pragma once

#include <string>

#include "core/status.h"

namespace sluice {

// Moves `from` to `dir`/`relative` (creating folders). If that name is taken,
// tries "<stem>.1<ext>", "<stem>.2<ext>", ... where <ext> is everything from the
// first '.' of the base name (so "a.csv.gz" → "a.1.csv.gz"). Falls back to copy
// and delete across file systems. Returns the final path. Errors: Unavailable.
Result<std::string> MoveNoClobber(const std::string& from, const std::string& dir,
                                  const std::string& relative);

// Writes `content` to `path` through a temporary file and rename, so readers see
// the whole file or none. Errors: Unavailable.
Status WriteFileAtomic(const std::string& path, const std::string& content);

// `path` relative to `root` when it lies below it, else its base name. Both must be
// absolute; the comparison is lexical (symlinks are not resolved).
std::string RelativeTo(const std::string& path, const std::string& root);

}  // namespace sluice

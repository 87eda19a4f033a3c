// The watcher's path rules, kept apart from its inotify and scan machinery:
// which relative paths it accepts (hidden parts, partial-download suffixes,
// recursion, include/exclude globs), which folders it skips, and how paths are
// spelled (absolute, normal, no trailing slash) so they compare as strings.
// GlobMatches and WouldWatch (declared in dir_watcher.h) are built on these.
//
// Thread-safety: pure functions (they read the file system for canonical names).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "source/dir_watcher.h"

namespace sluice {

// True if `path` is `dir` or lies below it (both absolute and normalised).
bool IsUnder(std::string_view path, std::string_view dir);
// `dir` + "/" + `name`, without doubling a trailing slash.
std::string Join(const std::string& dir, std::string_view name);
// `path` below `root` as a relative path, or nullopt when it is not below it.
std::optional<std::string> RelativeTo(std::string_view path, std::string_view root);
// An absolute, lexically normal spelling of `path` without a trailing slash.
std::string Normalise(const std::filesystem::path& path);
// The name, recursion and glob rules for a path relative to the root.
bool AcceptsRelative(const WatchOptions& options, const std::string& rel);
// True if the directory `dir` (canonical) is not entered because of a skip dir
// (canonical): a scan skips the sub-directories under one, but never the root.
bool SkippedDir(const std::string& dir, const std::string& root,
                const std::vector<std::string>& skip_dirs);
// `path` with symlinks in its existing part resolved, normalised.
std::string WeaklyCanonical(const std::string& path);

}  // namespace sluice

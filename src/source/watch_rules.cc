// The path rules of the watcher, apart from its inotify and scan machinery.
#include "source/watch_rules.h"

#include <fnmatch.h>

#include <algorithm>
#include <system_error>

namespace sluice {

namespace fs = std::filesystem;

namespace {

// Names that download tools and copiers give files still being written.
constexpr std::string_view kPartialSuffixes[] = {".tmp", ".part", ".crdownload", "._COPYING_"};

}  // namespace

bool IsUnder(std::string_view path, std::string_view dir) {
  if (!path.starts_with(dir)) return false;
  return path.size() == dir.size() || dir.ends_with('/') || path[dir.size()] == '/';
}

std::string Join(const std::string& dir, std::string_view name) {
  std::string path = dir;
  if (!path.ends_with('/')) path += '/';
  path += name;
  return path;
}

std::optional<std::string> RelativeTo(std::string_view path, std::string_view root) {
  if (!IsUnder(path, root) || path.size() == root.size()) return std::nullopt;
  path.remove_prefix(root.size());
  if (path.starts_with('/')) path.remove_prefix(1);
  return std::string(path);
}

std::string Normalise(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  std::string out = (ec ? path : absolute).lexically_normal().string();
  while (out.size() > 1 && out.ends_with('/')) out.pop_back();
  return out;
}

bool AcceptsRelative(const WatchOptions& options, const std::string& rel) {
  if (!options.recursive && rel.find('/') != std::string::npos) return false;
  size_t start = 0;
  for (;;) {
    size_t end = rel.find('/', start);
    std::string_view part = std::string_view(rel).substr(start, end - start);
    if (part.empty() || part.starts_with('.')) return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const std::string base = rel.substr(start);
  for (std::string_view suffix : kPartialSuffixes) {
    if (base.ends_with(suffix)) return false;
  }
  auto matches = [&](const std::string& pattern) { return GlobMatches(pattern, rel); };
  if (!options.include.empty() &&
      std::none_of(options.include.begin(), options.include.end(), matches)) {
    return false;
  }
  return std::none_of(options.exclude.begin(), options.exclude.end(), matches);
}

bool SkippedDir(const std::string& dir, const std::string& root,
                const std::vector<std::string>& skip_dirs) {
  if (dir == root) return false;
  return std::any_of(skip_dirs.begin(), skip_dirs.end(),
                     [&dir](const std::string& skip) { return IsUnder(dir, skip); });
}

std::string WeaklyCanonical(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  return Normalise(ec ? fs::path(path) : canonical);
}

bool WouldWatch(const WatchOptions& options, const std::string& path) {
  const std::string root = WeaklyCanonical(options.root);
  const std::string file = WeaklyCanonical(path);
  std::optional<std::string> rel = RelativeTo(file, root);
  if (!rel || !AcceptsRelative(options, *rel)) return false;
  std::vector<std::string> skip_dirs;
  for (const std::string& dir : options.skip_dirs) skip_dirs.push_back(WeaklyCanonical(dir));
  return !SkippedDir(Normalise(fs::path(file).parent_path()), root, skip_dirs);
}

bool GlobMatches(const std::string& pattern, std::string_view relative_path) {
  std::string rel(relative_path);
  if (pattern.find('/') != std::string::npos) {
    return fnmatch(pattern.c_str(), rel.c_str(), FNM_PATHNAME) == 0;
  }
  size_t slash = rel.rfind('/');
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  return fnmatch(pattern.c_str(), base.c_str(), 0) == 0;
}

}  // namespace sluice

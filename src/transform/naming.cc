#include "transform/naming.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace sluice {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string_view Trim(std::string_view name) {
  // A BOM survives on the first header cell of files saved by spreadsheet tools,
  // sometimes after or before blanks.
  while (true) {
    if (name.starts_with(kBom)) {
      name.remove_prefix(kBom.size());
    } else if (!name.empty() && IsSpace(name.front())) {
      name.remove_prefix(1);
    } else {
      break;
    }
  }
  while (!name.empty() && IsSpace(name.back())) name.remove_suffix(1);
  return name;
}

std::string SnakeCase(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_underscore = false;
  for (char ch : name) {
    const char lower = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
    if (!IsLowerAlnum(lower)) {
      pending_underscore = true;
      continue;
    }
    // Only a run between two kept characters becomes '_', so none lead or trail.
    if (pending_underscore && !out.empty()) out += '_';
    pending_underscore = false;
    out += lower;
  }
  return out;
}

}  // namespace

std::vector<std::string> NormalizeColumnNames(const std::vector<std::string>& names,
                                              bool snake_case) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    std::string_view trimmed = Trim(names[i]);
    std::string name = snake_case ? SnakeCase(trimmed) : std::string(trimmed);
    // Databases take identifiers as C strings: a NUL (legal in a JSON key) would
    // cut the name short, so it becomes '_'.
    std::replace(name.begin(), name.end(), '\0', '_');
    if (name.empty()) name = "column_" + std::to_string(i + 1);
    out.push_back(std::move(name));
  }
  // A suffix never takes a name that some other column has as its own, so that
  // ["a", "a", "a_2"] keeps "a_2" for the third column and gives the second "a_3".
  // Each name remembers the last suffix it gave out, so n copies of one name cost
  // O(n), not O(n^2): a suffix "_k" names one base only, and each candidate is
  // tried at most once.
  std::unordered_set<std::string> taken(out.begin(), out.end());
  std::unordered_set<std::string> used;
  std::unordered_map<std::string, size_t> next_suffix;
  used.reserve(out.size());
  for (std::string& name : out) {
    if (used.insert(name).second) continue;
    size_t& n = next_suffix.try_emplace(name, 2).first->second;
    for (;; ++n) {
      std::string candidate = name + "_" + std::to_string(n);
      if (taken.count(candidate) == 0 && used.count(candidate) == 0) {
        name = std::move(candidate);
        break;
      }
    }
    ++n;
    used.insert(name);
  }
  return out;
}

std::string TableNameFromPath(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  base = base.substr(0, base.find('.'));
  std::string name = SnakeCase(base);
  // Dates, sequence numbers and their separators distinguish files of one table.
  while (!name.empty() &&
         ((name.back() >= '0' && name.back() <= '9') || name.back() == '_' || name.back() == '-')) {
    name.pop_back();
  }
  if (name.empty()) return "data";
  if (name.front() >= '0' && name.front() <= '9') name.insert(0, "t_");
  return name;
}

}  // namespace sluice

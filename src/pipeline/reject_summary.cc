#include "pipeline/reject_summary.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/row_error.h"
#include "pipeline/archive.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

// Examples are shown, not kept: a raw record may be megabytes.
constexpr size_t kExampleRawLimit = 1000;

// The string member `key` of `row`, or "" (value() would throw on another type).
std::string StringMember(const nlohmann::ordered_json& row, const char* key) {
  if (!row.is_object()) return "";
  auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get<std::string>() : "";
}

// Groups rows one at a time, then orders the groups by count.
class Grouper {
 public:
  void Add(const nlohmann::ordered_json& row) {
    std::string kind = StringMember(row, "kind");
    auto [it, added] = groups_.try_emplace(kind);
    RejectGroup& g = it->second;
    g.kind = kind;
    if (g.example.is_null() && row.is_object()) {
      g.example = row;
      if (g.example.contains("raw") && g.example["raw"].is_string()) {
        std::string raw = g.example["raw"].get<std::string>();
        if (raw.size() > kExampleRawLimit) g.example["raw"] = raw.substr(0, kExampleRawLimit);
      }
    }
    ++g.count;
  }

  // Sets the count of `kind` (from a report's totals), creating its group.
  void SetCount(const std::string& kind, uint64_t count) {
    RejectGroup& g = groups_[kind];
    g.kind = kind;
    g.count = count;
  }

  RejectSummary Finish(std::string source) {
    RejectSummary out;
    out.source = std::move(source);
    for (auto& [kind, g] : groups_) {
      out.rows += g.count;
      out.groups.push_back(std::move(g));
    }
    std::stable_sort(out.groups.begin(), out.groups.end(),
                     [](const RejectGroup& a, const RejectGroup& b) { return a.count > b.count; });
    return out;
  }

 private:
  std::map<std::string, RejectGroup> groups_;
};

std::optional<nlohmann::ordered_json> ReadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::ordered_json::parse(text.str(), nullptr, false);
  if (json.is_discarded()) return std::nullopt;
  return json;
}

std::optional<RejectSummary> FromReport(const std::string& report_path) {
  std::optional<nlohmann::ordered_json> report = ReadJson(report_path);
  if (!report || !report->is_object()) return std::nullopt;
  if (std::string rejects = StringMember(*report, "rejects_file"); !rejects.empty()) {
    Result<RejectSummary> all = SummarizeRejectsFile(rejects);
    if (all) return *all;
  }
  const auto& errors = report->value("errors", nlohmann::ordered_json::array());
  if (!errors.is_array() || errors.empty()) return std::nullopt;
  Grouper grouper;
  for (const auto& row : errors) grouper.Add(row);
  // The report keeps the first rows only; its totals count them all.
  const auto& totals = report->value("rejected_by_reason", nlohmann::ordered_json::object());
  if (totals.is_object()) {
    for (const auto& item : totals.items()) {
      if (item.value().is_number_unsigned()) {
        grouper.SetCount(item.key(), item.value().get<uint64_t>());
      }
    }
  }
  return grouper.Finish(report_path);
}

// The first line of the rejects file at `path` names `file`.
bool NamesFile(const fs::path& path, const std::string& file) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!std::getline(in, line)) return false;
  auto row = nlohmann::ordered_json::parse(line, nullptr, false);
  return StringMember(row, "file") == file;
}

std::optional<RejectSummary> FromLoadedFile(const FileRecord& record,
                                            const std::string& quarantine_dir,
                                            const std::string& source_dir) {
  const fs::path target =
      fs::path(quarantine_dir) / (RelativeTo(record.identity.path, source_dir) + ".rejects.jsonl");
  const std::string base = target.filename().string();
  std::optional<fs::path> best;
  auto best_distance = std::chrono::microseconds::max();
  std::error_code ec;
  // Incremented with an error_code: the range-for's ++ would throw.
  for (fs::directory_iterator it(target.parent_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    if (!IsNoClobberName(entry.path().filename().string(), base)) continue;
    std::error_code file_ec;
    if (!entry.is_regular_file(file_ec) || !NamesFile(entry.path(), record.identity.path)) {
      continue;
    }
    auto written = fs::last_write_time(entry.path(), file_ec);
    if (file_ec) continue;
    auto written_us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::file_clock::to_sys(written).time_since_epoch());
    auto distance = written_us - std::chrono::microseconds(record.finished_at_us);
    if (distance < distance.zero()) distance = -distance;
    if (!best || distance < best_distance) {
      best = entry.path();
      best_distance = distance;
    }
  }
  if (!best) return std::nullopt;
  Result<RejectSummary> summary = SummarizeRejectsFile(best->string());
  if (!summary) return std::nullopt;
  return *summary;
}

}  // namespace

Result<RejectSummary> SummarizeRejectsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot read " + path);
  Grouper grouper;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    grouper.Add(nlohmann::ordered_json::parse(line, nullptr, false));
  }
  if (in.bad()) return Status::Unavailable("cannot read " + path);
  return grouper.Finish(path);
}

std::optional<RejectSummary> FindRejects(const FileRecord& record,
                                         const std::string& quarantine_dir,
                                         const std::string& source_dir) {
  if (record.rows_rejected == 0) return std::nullopt;
  if (record.state == FileState::kQuarantined) {
    if (record.final_path.empty()) return std::nullopt;
    return FromReport(record.final_path + ".error.json");
  }
  if (record.state != FileState::kLoaded) return std::nullopt;
  return FromLoadedFile(record, quarantine_dir, source_dir);
}

nlohmann::ordered_json RejectSummaryJson(const RejectSummary& summary) {
  nlohmann::ordered_json by_reason = nlohmann::ordered_json::object();
  for (const RejectGroup& g : summary.groups) {
    nlohmann::ordered_json group = {{"count", g.count}};
    if (!g.example.is_null()) group["example"] = g.example;
    by_reason[g.kind] = std::move(group);
  }
  return {{"from", summary.source}, {"rows", summary.rows}, {"by_reason", std::move(by_reason)}};
}

}  // namespace sluice

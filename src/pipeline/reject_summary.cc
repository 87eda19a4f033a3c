#include "pipeline/reject_summary.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/row_error.h"

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

// The rejects file the report names if `try_its_rejects` (false: it is the
// record's, known to be gone) and it can be read, else the report's counts and
// first rows.
std::optional<RejectSummary> FromReport(const std::string& report_path, bool try_its_rejects) {
  std::optional<nlohmann::ordered_json> report = ReadJson(report_path);
  if (!report || !report->is_object()) return std::nullopt;
  if (std::string rejects = StringMember(*report, "rejects_file");
      try_its_rejects && !rejects.empty()) {
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

std::optional<RejectSummary> FindRejects(const FileRecord& record) {
  const bool quarantined = record.state == FileState::kQuarantined;
  if (!quarantined && record.state != FileState::kLoaded) return std::nullopt;
  const std::string report =
      quarantined && !record.final_path.empty() ? record.final_path + ".error.json" : "";
  if (record.rejects_file.empty()) {
    if (report.empty() || record.rows_rejected == 0) return std::nullopt;
    return FromReport(report, true);
  }
  Result<RejectSummary> all = SummarizeRejectsFile(record.rejects_file);
  if (all) return *all;
  std::optional<RejectSummary> summary;
  if (!report.empty()) summary = FromReport(report, false);
  if (!summary) summary.emplace();
  summary->gone = record.rejects_file;
  return summary;
}

nlohmann::ordered_json RejectSummaryJson(const RejectSummary& summary) {
  nlohmann::ordered_json by_reason = nlohmann::ordered_json::object();
  for (const RejectGroup& g : summary.groups) {
    nlohmann::ordered_json group = {{"count", g.count}};
    if (!g.example.is_null()) group["example"] = g.example;
    by_reason[g.kind] = std::move(group);
  }
  nlohmann::ordered_json out = {
      {"from", summary.source}, {"rows", summary.rows}, {"by_reason", std::move(by_reason)}};
  if (!summary.gone.empty()) out["gone"] = summary.gone;
  return out;
}

}  // namespace sluice

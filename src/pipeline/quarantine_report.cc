#include "pipeline/quarantine_report.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "observe/json_text.h"
#include "pipeline/archive.h"
#include "pipeline/rejects.h"

namespace sluice {

std::string QuarantineReportJson(const QuarantineReport& r) {
  nlohmann::ordered_json report = {{"file", r.file},           {"quarantined_as", r.quarantined_as},
                                   {"hash", r.hash},           {"table", r.table},
                                   {"reason", r.reason},       {"time", FormatTimeUtc(r.time_us)},
                                   {"rows_read", r.rows_read}, {"rows_rejected", r.rows_rejected}};
  report["rejected_by_reason"] = RejectCountsJson(r.rejected_by_kind);
  // Its own rejects file: the obvious name may belong to another file's rejects.
  if (!r.rejects_file.empty()) report["rejects_file"] = r.rejects_file;
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const RowError& e : r.errors) errors.push_back(RejectLog::ToJsonValue(r.file, e));
  report["errors"] = std::move(errors);
  return JsonText(report, 2) + "\n";
}

Status WriteQuarantineReport(const QuarantineReport& report) {
  return WriteFileAtomic(report.quarantined_as + ".error.json", QuarantineReportJson(report));
}

}  // namespace sluice

// sluice status: what the ledger knows, and for one file its rejects by reason
// and its aggregates.
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/clock.h"
#include "core/text_table.h"
#include "ledger/ledger.h"
#include "observe/json_text.h"
#include "pipeline/reject_summary.h"
#include "pipeline/status_json.h"

namespace sluice::cli {
namespace {

std::string Age(int64_t micros) {
  if (micros == 0) return "-";
  time_t secs = static_cast<time_t>(micros / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::string Seconds(int64_t from_us, int64_t to_us) {
  if (from_us == 0 || to_us < from_us) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(to_us - from_us) / 1e6);
  return buf;
}

// One line of a rejects file, shown briefly: "line 3: why".
std::string Describe(const nlohmann::ordered_json& row) {
  if (!row.is_object()) return "-";
  std::string out;
  if (auto line = row.find("line"); line != row.end() && line->is_number()) {
    out = "line " + line->dump() + ": ";
  }
  if (auto reason = row.find("reason"); reason != row.end() && reason->is_string()) {
    out += reason->get<std::string>();
  }
  return out;
}

void PrintRejects(const RejectSummary& summary) {
  if (!summary.gone.empty()) std::cout << "  rejects      " << summary.gone << " is gone\n";
  if (summary.source.empty()) return;
  std::cout << "  rejects      " << summary.rows << " by reason, from " << summary.source << "\n";
  for (const RejectGroup& g : summary.groups) {
    std::cout << "    " << std::left << std::setw(15) << (g.kind.empty() ? "-" : g.kind)
              << std::right << std::setw(8) << g.count << "  e.g. " << Describe(g.example) << "\n";
    if (g.example.is_object()) {
      if (auto hint = g.example.find("hint");
          hint != g.example.end() && hint->is_string() && !hint->get<std::string>().empty()) {
        std::cout << std::string(29, ' ') << "hint: " << hint->get<std::string>() << "\n";
      }
    }
  }
}

// A statistic as the aggregates table shows it: ten significant digits, "-"
// when there is none (no value, or stddev of fewer than two).
std::string Statistic(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "%.10g", *v);
  return buf;
}

// The file's aggregates kept in the ledger, as an aligned table (the group
// columns first), then the means flagged with their expected band.
void PrintAggregates(const FileAggregates& aggregates) {
  std::cout << "  aggregates   in " << aggregates.aggregates_table << ", loaded "
            << FormatTimeUtc(aggregates.loaded_at_us) << "\n";
  TextTable table;
  std::vector<std::string> header;
  for (const std::string& by : aggregates.by) header.push_back(DisplayCell(by, 40));
  const size_t first = header.size();
  for (const char* name : {"column", "count", "nulls", "min", "max", "mean", "stddev"}) {
    header.emplace_back(name);
  }
  table.AddHeader(std::move(header));
  for (size_t c = first + 1; c < first + 7; ++c) table.AlignRight(c);
  for (const AggregateRecord& r : aggregates.rows) {
    std::vector<std::string> row;
    for (size_t i = 0; i < aggregates.by.size(); ++i) {
      row.push_back(DisplayCell(i < r.group.size() ? r.group[i] : std::nullopt, 40));
    }
    row.push_back(DisplayCell(r.column, 40));
    row.push_back(std::to_string(r.count));
    row.push_back(std::to_string(r.nulls));
    for (const auto& v : {r.min, r.max, r.mean, r.stddev}) row.push_back(Statistic(v));
    table.AddRow(std::move(row));
  }
  std::istringstream lines(table.Render());
  for (std::string line; std::getline(lines, line);) std::cout << "    " << line << "\n";
  for (const AggregateRecord& r : aggregates.rows) {
    if (!r.flagged) continue;
    std::string group;
    for (size_t i = 0; i < r.group.size() && i < aggregates.by.size(); ++i) {
      group += (group.empty() ? " (" : ", ") + VisibleText(aggregates.by[i]) + "=" +
               DisplayCell(r.group[i], 40);
    }
    if (!group.empty()) group += ")";
    std::cout << "  flagged      " << VisibleText(r.column) << group << ": mean "
              << Statistic(r.mean) << " outside the expected " << Statistic(r.low) << " .. "
              << Statistic(r.high) << "\n";
  }
}

// `sluice status --file NAME`: every record of that file, most recent first, with
// its rejects grouped by reason and its aggregates.
int ExplainFile(Ledger& ledger, const std::string& name, bool json) {
  auto records = ledger.FindByName(name);
  if (!records) return Fail(records.error());
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const FileRecord& r : *records) {
      nlohmann::ordered_json record = FileRecordJson(r);
      if (auto rejects = FindRejects(r)) {
        record["rejects"] = RejectSummaryJson(*rejects);
      }
      auto aggregates = ledger.AggregatesOf(r.id);
      if (!aggregates) return Fail(aggregates.error());
      if (*aggregates) record["aggregates"] = FileAggregatesJson(**aggregates);
      out.push_back(std::move(record));
    }
    std::cout << JsonText(out) << "\n";
    return records->empty() ? 1 : 0;
  }
  if (records->empty()) {
    std::cerr << "sluice: the ledger has no file named " << name << "\n";
    return 1;
  }
  for (const auto& r : *records) {
    std::cout << r.identity.path << "\n"
              << "  state        " << FileStateName(r.state) << "\n"
              << "  table        " << (r.table.empty() ? "-" : r.table) << "\n"
              << "  hash         " << r.identity.hash << "\n"
              << "  size         " << r.identity.size << " bytes\n"
              << "  seen         " << Age(r.seen_at_us) << "\n"
              << "  started      " << Age(r.started_at_us) << "\n"
              << "  finished     " << Age(r.finished_at_us) << "\n"
              << "  took         " << Seconds(r.started_at_us, r.finished_at_us) << "\n"
              << "  attempts     " << r.attempts << "\n"
              << "  rows         loaded=" << r.rows_loaded << " rejected=" << r.rows_rejected
              << " skipped=" << r.rows_skipped << " filtered=" << r.rows_filtered << "\n"
              << "  went to      " << (r.final_path.empty() ? "-" : r.final_path) << "\n";
    if (!r.rejects_file.empty()) std::cout << "  rejects file " << r.rejects_file << "\n";
    if (!r.duplicate_of.empty()) std::cout << "  same as      " << r.duplicate_of << "\n";
    if (!r.error.empty()) std::cout << "  error        " << r.error << "\n";
    if (auto rejects = FindRejects(r)) PrintRejects(*rejects);
    auto aggregates = ledger.AggregatesOf(r.id);
    if (!aggregates) return Fail(aggregates.error());
    if (*aggregates) PrintAggregates(**aggregates);
  }
  return 0;
}

int Status(const CLI::App& cmd, const SharedOptions& o, size_t recent, bool json,
           const std::string& file) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  auto ledger = Ledger::Open(config->ledger);
  if (!ledger) return Fail(ledger.error());
  if (!file.empty()) return ExplainFile(**ledger, file, json);
  auto report = (*ledger)->Report(recent);
  if (!report) return Fail(report.error());
  if (json) {
    std::cout << JsonText(LedgerReportJson(*report)) << "\n";
    return 0;
  }

  std::cout << "ledger " << config->ledger << "\n\nfiles\n";
  for (FileState s : {FileState::kLoaded, FileState::kDuplicate, FileState::kQuarantined,
                      FileState::kProcessing, FileState::kPending}) {
    auto it = report->files_by_state.find(s);
    std::cout << "  " << std::left << std::setw(12) << FileStateName(s)
              << (it == report->files_by_state.end() ? 0 : it->second) << "\n";
  }
  std::cout << "rows\n  loaded      " << report->rows_loaded << "\n  rejected    "
            << report->rows_rejected << "\n  filtered    " << report->rows_filtered << "\n";
  if (!report->recent.empty()) {
    std::cout << "\nrecent files\n";
    for (const auto& r : report->recent) {
      std::cout << "  " << Age(r.finished_at_us ? r.finished_at_us : r.seen_at_us) << "  "
                << std::setw(11) << FileStateName(r.state) << " " << r.identity.path << " → "
                << (r.table.empty() ? "-" : r.table) << "  rows=" << r.rows_loaded
                << " rejected=" << r.rows_rejected << "\n";
    }
  }
  if (!report->recent_errors.empty()) {
    std::cout << "\nrecent errors\n";
    for (const auto& r : report->recent_errors) {
      std::cout << "  " << Age(r.finished_at_us ? r.finished_at_us : r.seen_at_us) << "  "
                << r.identity.path << ": " << r.error << "\n";
    }
  }
  if (!report->columns_added.empty()) {
    std::cout << "\ncolumns added\n";
    for (const auto& c : report->columns_added) {
      std::cout << "  " << Age(c.added_at_us) << "  " << c.table << "." << c.column << " " << c.type
                << "  by " << c.file << "\n";
    }
  }
  return 0;
}

}  // namespace

void AddStatusCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SharedOptions>();
  auto recent = std::make_shared<size_t>(10);
  auto json = std::make_shared<bool>(false);
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "status", "Show the ledger: files per state, rows, recent errors, added columns");
  AddLedgerOptions(*cmd, *o);
  cmd->add_option("--recent", *recent, "How many recent files and errors to list (default 10)");
  cmd->add_flag("--json", *json, "Print JSON (the same document as /api/status, from the ledger)");
  cmd->add_option(
      "--file", *file,
      "Explain one file (base name, relative or absolute path; exit 1 if unknown): when seen, "
      "hash, timings, rows, where it and its rejects went, its rejects by reason (with an "
      "example each), its aggregates (column, count, nulls, min, max, mean, stddev)");
  cmd->callback([cmd, o, recent, json, file, &exit_code] {
    exit_code = Status(*cmd, *o, *recent, *json, *file);
  });
}

}  // namespace sluice::cli

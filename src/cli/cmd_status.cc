// sluice status: what the ledger knows.
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/options.h"
#include "ledger/ledger.h"

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

int Status(const CLI::App& cmd, const SharedOptions& o, size_t recent) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  auto ledger = Ledger::Open(config->ledger);
  if (!ledger) return Fail(ledger.error());
  auto report = (*ledger)->Report(recent);
  if (!report) return Fail(report.error());

  std::cout << "ledger " << config->ledger << "\n\nfiles\n";
  for (FileState s : {FileState::kLoaded, FileState::kDuplicate, FileState::kQuarantined,
                      FileState::kProcessing, FileState::kPending}) {
    auto it = report->files_by_state.find(s);
    std::cout << "  " << std::left << std::setw(12) << FileStateName(s)
              << (it == report->files_by_state.end() ? 0 : it->second) << "\n";
  }
  std::cout << "rows\n  loaded      " << report->rows_loaded << "\n  rejected    "
            << report->rows_rejected << "\n";
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
  return 0;
}

}  // namespace

void AddStatusCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SharedOptions>();
  auto recent = std::make_shared<size_t>(10);
  CLI::App* cmd =
      app.add_subcommand("status", "Show the ledger: files per state, rows, recent errors");
  AddLedgerOptions(*cmd, *o);
  cmd->add_option("--recent", *recent, "How many recent files and errors to list (default 10)");
  cmd->callback([cmd, o, recent, &exit_code] { exit_code = Status(*cmd, *o, *recent); });
}

}  // namespace sluice::cli

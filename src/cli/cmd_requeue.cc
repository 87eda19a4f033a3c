// sluice requeue PATH...: give quarantined files another chance.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/options.h"
#include "ledger/ledger.h"
#include "pipeline/archive.h"

namespace fs = std::filesystem;

namespace sluice::cli {
namespace {

// Removes a quarantine report and the rejects file it names (that file's name is
// its own, not necessarily the data file's name + ".rejects.jsonl"). Best effort:
// what cannot be removed stays as a record of the earlier attempt.
void RemoveReport(const std::string& report_path) {
  std::ifstream in(report_path);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json report = nlohmann::json::parse(text.str(), nullptr, false);
    if (report.is_object() && report.contains("rejects_file") &&
        report["rejects_file"].is_string()) {
      // sluice keeps a file's rejects beside it; anything else is not ours to remove.
      const fs::path rejects = report["rejects_file"].get<std::string>();
      std::error_code ec;
      if (rejects.parent_path() == fs::path(report_path).parent_path()) fs::remove(rejects, ec);
    }
  }
  std::error_code ec;
  fs::remove(report_path, ec);
}

int Requeue(const CLI::App& cmd, const SharedOptions& o, const std::vector<std::string>& paths) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  auto ledger = Ledger::Open(config->ledger);
  if (!ledger) return Fail(ledger.error());
  int code = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    std::string path = fs::absolute(p, ec).lexically_normal().string();
    auto records = (*ledger)->FindByPath(path);
    if (!records) return Fail(records.error());
    if (records->empty()) {
      std::cerr << "sluice: " << p << " is not a quarantined file in the ledger\n";
      code = 1;
      continue;
    }
    const FileRecord& r = records->front();
    if (!fs::exists(path, ec)) {
      std::cerr << "sluice: " << p << " does not exist\n";
      code = 1;
      continue;
    }
    // Back to where it was found, under its own name unless that is taken. The
    // ledger accepts the file first and holds its write lock while it moves, so a
    // running sluice sees it only as pending.
    fs::path original = r.identity.path;
    std::string moved;
    auto requeued = (*ledger)->Requeue(r.identity.hash, [&]() -> Status {
      ASSIGN_OR_RETURN(moved, MoveNoClobber(path, original.parent_path().string(),
                                            original.filename().string()));
      return Status::Ok();
    });
    if (!requeued) return Fail(requeued.error());
    if (*requeued == 0) {
      std::cerr << "sluice: " << p << " is no longer quarantined in the ledger\n";
      code = 1;
      continue;
    }
    RemoveReport(path + ".error.json");
    std::cout << "requeued " << p << " → " << moved << "\n";
  }
  return code;
}

}  // namespace

void AddRequeueCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SharedOptions>();
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "requeue", "Move quarantined files back to the source folder so they are loaded again");
  AddLedgerOptions(*cmd, *o);
  cmd->add_option("PATH", *paths, "Quarantined files")->required();
  cmd->callback([cmd, o, paths, &exit_code] { exit_code = Requeue(*cmd, *o, *paths); });
}

}  // namespace sluice::cli

// sluice requeue PATH...: give quarantined files another chance.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/options.h"
#include "ledger/ledger.h"
#include "pipeline/archive.h"

namespace fs = std::filesystem;

namespace sluice::cli {
namespace {

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
    // Back to where it was found, under its own name unless that is taken.
    fs::path original = r.identity.path;
    auto moved = MoveNoClobber(path, original.parent_path().string(), original.filename().string());
    if (!moved) return Fail(moved.error());
    auto requeued = (*ledger)->Requeue(r.identity.hash);
    if (!requeued) return Fail(requeued.error());
    fs::remove(path + ".error.json", ec);
    fs::remove(path + ".rejects.jsonl", ec);
    std::cout << "requeued " << p << " → " << *moved << "\n";
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

// sluice run / sluice once.
#include <atomic>
#include <csignal>
#include <memory>

#include "cli/commands.h"
#include "cli/options.h"
#include "observe/log.h"
#include "pipeline/engine.h"

namespace sluice::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) { g_stop.store(true); }

int Run(const CLI::App& cmd, const SharedOptions& o, bool once) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  SetupLogging(config->log_format, LogLevel::kInfo);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto engine = Engine::Create(*config);
  if (!engine) {
    LogError("fatal", {{"error", engine.error().message()}});
    return 1;
  }
  auto summary = (*engine)->Run(once, g_stop);
  if (!summary) {
    LogError("fatal", {{"error", summary.error().message()}});
    return 1;
  }
  if (!once) return 0;
  if (summary->failed > 0) return 1;
  return summary->quarantined > 0 ? 2 : 0;
}

}  // namespace

void AddRunCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SharedOptions>();
  CLI::App* run = app.add_subcommand(
      "run", "Watch the source folder and load files until SIGINT/SIGTERM (exit 0)");
  CLI::App* once = app.add_subcommand(
      "once",
      "Load every ready file, then exit: 0 all loaded or duplicates, 2 some quarantined, 1 fatal");
  for (CLI::App* cmd : {run, once}) {
    AddEngineOptions(*cmd, *o);
    AddTableOptions(*cmd, *o);
  }
  run->callback([run, o, &exit_code] { exit_code = Run(*run, *o, false); });
  once->callback([once, o, &exit_code] { exit_code = Run(*once, *o, true); });
}

}  // namespace sluice::cli

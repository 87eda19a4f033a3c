// sluice run / sluice once.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/options.h"
#include "observe/http_server.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "observe/progress.h"
#include "pipeline/engine.h"
#include "sink/sink.h"

namespace sluice::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) { g_stop.store(true); }

constexpr char kDefaultHttp[] = "127.0.0.1:9464";

// Serves the HTTP endpoints for `engine` as `http` asks ("off", or HOST:PORT;
// empty means the default). A default address that is taken only warns, so that
// several sluices can run side by side; an address asked for must work.
Result<std::unique_ptr<HttpServer>> StartHttp(const std::string& http, Engine& engine) {
  if (http == "off") return std::unique_ptr<HttpServer>();
  std::string address = http.empty() ? kDefaultHttp : http;
  ASSIGN_OR_RETURN(auto host_port, ParseHttpAddress(address));
  HttpHandlers handlers;
  handlers.metrics = [] { return GlobalMetrics().Expose(); };
  handlers.ready = [&engine] { return engine.Ready(); };
  handlers.status_json = [&engine] { return engine.StatusJson(50); };
  handlers.aggregates_json = [&engine](const std::string& table) {
    return engine.AggregatesJson(table);
  };
  handlers.quarantine_dir = engine.quarantine_dir();
  auto server = HttpServer::Start(host_port.first, host_port.second, std::move(handlers));
  if (!server) {
    if (!http.empty()) return server.error();
    LogWarn("http_disabled", {{"error", server.error().message()}});
    return std::unique_ptr<HttpServer>();
  }
  LogInfo("http_listening",
          {{"address", host_port.first + ":" + std::to_string((*server)->port())}});
  return server;
}

int Run(const CLI::App& cmd, const SharedOptions& o, const std::string& http, bool once) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  // Read here rather than in BuildConfig: only run and once connect to the sink.
  if (Status read = ApplySinkPasswordFile(*config); !read.ok()) return Fail(read);
  if (http != "off" && !http.empty()) {
    auto parsed = ParseHttpAddress(http);
    if (!parsed) return Fail(parsed.error());
  }
  // `once` on a terminal shows a progress bar instead of a line per file;
  // warnings and errors still print.
  const bool bar = once && config->log_format == LogFormat::kText && isatty(STDERR_FILENO);
  SetupLogging(config->log_format, bar ? LogLevel::kWarn : LogLevel::kInfo);
  SetSinkWarningHandler([](std::string_view event, std::string_view message) {
    LogWarn(event, {{"message", message}});
  });
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto engine = Engine::Create(*config);
  // A daemon outlives its database's restarts: while the sink cannot be reached
  // at start-up, `run` waits for it (files wait in the source folder meanwhile);
  // `once` and configuration errors fail at once.
  for (int seconds = 1; !once && !engine && engine.error().IsTransient() && !g_stop.load();
       seconds = std::min(seconds * 2, 30)) {
    GlobalMetrics().SetSinkUp(false);
    LogWarn("sink_unavailable", {{"error", engine.error().message()}, {"retry_in_s", seconds}});
    for (int i = 0; i < seconds * 10 && !g_stop.load(); ++i) usleep(100'000);
    if (!g_stop.load()) engine = Engine::Create(*config);
  }
  if (!engine && g_stop.load()) return 0;
  if (!engine) {
    LogError("fatal", {{"error", engine.error().message()}});
    return 1;
  }
  auto server = StartHttp(once && http.empty() ? "off" : http, **engine);
  if (!server) {
    LogError("fatal", {{"error", server.error().message()}});
    return 1;
  }
  std::optional<ProgressBar> progress;
  if (bar) {
    progress.emplace(stderr);
    (*engine)->OnProgress([&progress](const ProgressCounts& c) { progress->Update(c); });
  }
  auto summary = (*engine)->Run(once, g_stop);
  progress.reset();
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
  auto http = std::make_shared<std::string>();
  CLI::App* run = app.add_subcommand(
      "run", "Watch the source folder and load files until SIGINT/SIGTERM (exit 0)");
  CLI::App* once = app.add_subcommand(
      "once",
      "Load every ready file, then exit: 0 all loaded or duplicates, 2 some quarantined, 1 fatal");
  for (CLI::App* cmd : {run, once}) {
    AddEngineOptions(*cmd, *o);
    AddTableOptions(*cmd, *o);
  }
  run->add_option("--http", *http,
                  "Serve /metrics, /healthz, /readyz, /api/status and the status page on "
                  "HOST:PORT, or off (default 127.0.0.1:9464)");
  once->add_option("--http", *http, "As for run; off by default for once");
  run->callback([run, o, http, &exit_code] { exit_code = Run(*run, *o, *http, false); });
  once->callback([once, o, http, &exit_code] { exit_code = Run(*once, *o, *http, true); });
}

}  // namespace sluice::cli

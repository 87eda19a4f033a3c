// The sluice binary: parses the command line and runs one sub-command.
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // A worker keeps every file it was handed open from its hash to its archive
  // (up to 64 at once), so the usual soft limit of 1024 descriptors is too few
  // for many workers; the hard limit is what the system allows.
  struct rlimit files {};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &files);
  }
  CLI::App app{"sluice: load every file that lands in a folder into a database, exactly once"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sluice 0.1.0");
  int exit_code = 0;
  sluice::cli::AddRunCommands(app, exit_code);
  sluice::cli::AddStatusCommand(app, exit_code);
  sluice::cli::AddInspectCommands(app, exit_code);
  sluice::cli::AddRequeueCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 1;
  }
  return exit_code;
}

// The sluice binary: parses the command line and runs one sub-command.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
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

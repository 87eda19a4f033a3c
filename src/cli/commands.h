// The sub-commands of the `sluice` binary. Each Add*Command registers its
// options and its handler on `app`; the handler sets `exit_code`.
//
// Thread-safety: called from main only.
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::cli {

void AddRunCommands(CLI::App& app, int& exit_code);  // run, once
void AddStatusCommand(CLI::App& app, int& exit_code);
void AddInspectCommands(CLI::App& app, int& exit_code);  // infer, check
void AddRequeueCommand(CLI::App& app, int& exit_code);

}  // namespace sluice::cli

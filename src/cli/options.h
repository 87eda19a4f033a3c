// Options shared by several sub-commands, and how they become a Config:
// defaults < config file < environment < command line.
//
// Thread-safety: called from main only.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/config.h"

namespace sluice::cli {

struct SharedOptions {
  std::string config;
  std::string source, sink, sink_password_file, ledger, processed, quarantine, after_load, table,
      schema, key, metadata, log_format, format, delimiter, schema_evolution;
  int workers = 0;
  int max_crashes = -1;
  int64_t max_rejects = -1;
  int64_t max_columns = 0;
  double max_reject_ratio = -1;
  int64_t settle_ms = -1;
  double rescan_seconds = -1;
  double retry_budget_seconds = -1;
  bool normalize_names = false;
  bool recursive = false;
  bool no_header = false;
  std::vector<std::string> include, exclude;
};

// Registers the options that select files, the sink and the ledger (run, once).
void AddEngineOptions(CLI::App& cmd, SharedOptions& o);
// Registers the options that shape how one file is read and validated (run, once,
// check, infer).
void AddTableOptions(CLI::App& cmd, SharedOptions& o);
// Registers -c/--config and --ledger only (status, requeue).
void AddLedgerOptions(CLI::App& cmd, SharedOptions& o);

// Builds the configuration: defaults, then the config file (-c, SLUICE_CONFIG, or
// ./sluice.yaml if present), then the environment, then the options given on
// `cmd`. Errors: InvalidArgument / NotFound naming the culprit.
Result<Config> BuildConfig(const CLI::App& cmd, const SharedOptions& o);

// Prints "sluice: <message>" on stderr and returns 1.
int Fail(const Status& status);

}  // namespace sluice::cli

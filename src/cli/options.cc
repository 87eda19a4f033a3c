#include "cli/options.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace sluice::cli {
namespace {

bool Given(const CLI::App& cmd, const std::string& name) {
  try {
    return cmd.get_option(name)->count() > 0;
  } catch (const CLI::OptionNotFound&) {
    return false;
  }
}

}  // namespace

void AddEngineOptions(CLI::App& cmd, SharedOptions& o) {
  AddLedgerOptions(cmd, o);
  cmd.add_option("--source", o.source, "Landing folder to watch (default ./data)");
  cmd.add_option("--sink", o.sink, "Where rows go, e.g. sqlite:./sluice.db (default)");
  cmd.add_option("--sink-password-file", o.sink_password_file,
                 "File whose first line is the sink's password (PostgreSQL, ClickHouse, MySQL); "
                 "beats a password in the URL");
  cmd.add_option("--processed", o.processed, "Where loaded files go (default ./processed)");
  cmd.add_option("--quarantine", o.quarantine,
                 "Where refused files, reports and rejects go (default ./quarantine)");
  cmd.add_option("--after-load", o.after_load, "What happens to a loaded file")
      ->check(CLI::IsMember({"move", "delete", "keep", "parquet"}));
  cmd.add_option("--workers", o.workers, "Files loaded in parallel (default: cores)")
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--recursive", o.recursive, "Watch sub-folders too");
  cmd.add_option("--include", o.include, "Only files matching this glob (repeatable)");
  cmd.add_option("--exclude", o.exclude, "Skip files matching this glob (repeatable)");
  cmd.add_option("--settle-ms", o.settle_ms,
                 "A file is read once unchanged this long (default 1000)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--rescan-seconds", o.rescan_seconds, "Periodic rescan interval (default 30)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--retry-budget-seconds", o.retry_budget_seconds,
                 "How long a file retries a failing sink before the sink is reported "
                 "down (default 30)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--max-crashes", o.max_crashes,
                 "Quarantine a file that was loading when sluice stopped this many times "
                 "(default 3; 0: never)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--schema-evolution", o.schema_evolution,
                 "none (default): a file with columns its table lacks is quarantined; "
                 "add_columns: they are added")
      ->check(CLI::IsMember({"none", "add_columns"}));
  cmd.add_option("--log-format", o.log_format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
}

void AddTableOptions(CLI::App& cmd, SharedOptions& o) {
  cmd.add_option("--table", o.table, "Target table (default: from the file name)");
  cmd.add_option("--schema", o.schema, "Schema YAML (default: inferred)");
  cmd.add_option("--key", o.key, "Record key columns, comma-separated");
  cmd.add_option("--metadata", o.metadata, "Metadata columns to add: file,line,loaded_at");
  cmd.add_option("--max-rejects", o.max_rejects, "Bad rows tolerated per file (default 0)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--max-columns", o.max_columns,
                 "A file with more columns is quarantined (default " +
                     std::to_string(kDefaultMaxColumns) + ")")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-reject-ratio", o.max_reject_ratio, "Bad-row ratio tolerated per file")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_flag("--normalize-names", o.normalize_names, "Column names to lower snake_case");
  cmd.add_option("--format", o.format, "csv, tsv, json or jsonl (default: from the extension)")
      ->check(CLI::IsMember({"csv", "tsv", "json", "jsonl"}));
  cmd.add_option("--delimiter", o.delimiter, "CSV delimiter (default: sniffed)");
  cmd.add_flag("--no-header", o.no_header, "The CSV has no header row");
}

void AddLedgerOptions(CLI::App& cmd, SharedOptions& o) {
  cmd.add_option("-c,--config", o.config, "Configuration file (default ./sluice.yaml if present)");
  cmd.add_option("--ledger", o.ledger, "Ledger database (default ./sluice-ledger.db)");
}

Result<Config> BuildConfig(const CLI::App& cmd, const SharedOptions& o) {
  Config c;
  std::string config_path = o.config;
  if (config_path.empty()) {
    if (const char* env = std::getenv("SLUICE_CONFIG"); env != nullptr && *env != '\0') {
      config_path = env;
    } else {
      std::error_code ec;
      if (std::filesystem::exists("sluice.yaml", ec)) config_path = "sluice.yaml";
    }
  }
  if (!config_path.empty()) RETURN_IF_ERROR(LoadConfigFile(config_path, c));
  RETURN_IF_ERROR(ApplyEnvironment(c));

  if (Given(cmd, "--source")) c.source = o.source;
  if (Given(cmd, "--sink")) c.sink = o.sink;
  if (Given(cmd, "--sink-password-file")) c.sink_password_file = o.sink_password_file;
  if (Given(cmd, "--ledger")) c.ledger = o.ledger;
  if (Given(cmd, "--processed")) c.processed = o.processed;
  if (Given(cmd, "--quarantine")) c.quarantine = o.quarantine;
  if (Given(cmd, "--workers")) c.workers = o.workers;
  if (Given(cmd, "--recursive")) c.recursive = o.recursive;
  if (Given(cmd, "--include")) c.include = o.include;
  if (Given(cmd, "--exclude")) c.exclude = o.exclude;
  if (Given(cmd, "--settle-ms")) c.settle = std::chrono::milliseconds(o.settle_ms);
  if (Given(cmd, "--rescan-seconds")) {
    c.rescan = std::chrono::milliseconds(static_cast<int64_t>(o.rescan_seconds * 1000));
  }
  if (Given(cmd, "--retry-budget-seconds")) {
    c.retry_budget = std::chrono::milliseconds(static_cast<int64_t>(o.retry_budget_seconds * 1000));
  }
  if (Given(cmd, "--max-crashes")) c.max_crashes = o.max_crashes;
  if (Given(cmd, "--log-format")) ParseLogFormat(o.log_format, &c.log_format);

  TableRule& r = c.overrides;
  if (Given(cmd, "--after-load")) r.after_load = ParseAfterLoad(o.after_load);
  if (Given(cmd, "--table")) r.table = o.table;
  if (Given(cmd, "--schema-evolution"))
    r.schema_evolution = ParseSchemaEvolution(o.schema_evolution);
  if (Given(cmd, "--schema")) {
    auto schema = LoadSchemaFile(o.schema);
    if (!schema) return schema.error();
    r.schema = std::move(*schema);
    r.schema_origin = o.schema;
  }
  if (Given(cmd, "--key")) r.key = SplitList(o.key);
  if (Given(cmd, "--metadata")) {
    auto m = ParseMetadataOptions(SplitList(o.metadata));
    if (!m) return m.error().WithContext("--metadata");
    r.metadata = *m;
  }
  if (Given(cmd, "--max-rejects")) r.max_rejects = static_cast<uint64_t>(o.max_rejects);
  if (Given(cmd, "--max-columns")) r.max_columns = static_cast<uint64_t>(o.max_columns);
  if (Given(cmd, "--max-reject-ratio")) r.max_reject_ratio = o.max_reject_ratio;
  if (Given(cmd, "--normalize-names")) r.normalize_names = true;
  if (Given(cmd, "--format")) r.format = FormatFromPath("x." + o.format);
  if (Given(cmd, "--delimiter")) {
    std::string d = o.delimiter == "\\t" || o.delimiter == "tab" ? "\t" : o.delimiter;
    if (d.size() != 1) return Status::InvalidArgument("--delimiter: expected one character");
    r.dialect.delimiter = d[0];
  }
  if (Given(cmd, "--no-header")) r.dialect.header = false;
  return c;
}

int Fail(const Status& status) {
  std::cerr << "sluice: " << status.message() << "\n";
  return 1;
}

}  // namespace sluice::cli

// Config: everything `sluice run` / `sluice once` need, from defaults, the YAML
// configuration file, the environment and the command line (in rising order of
// precedence; the command line is applied by the CLI on top of LoadConfig).
//
// Thread-safety: values; read-only once the engine starts.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "format/record_reader.h"
#include "observe/log.h"
#include "schema/schema.h"
#include "source/dir_watcher.h"
#include "transform/aggregates.h"
#include "transform/metadata.h"
#include "transform/naming.h"
#include "transform/normalize.h"

namespace sluice {

// kParquet: the loaded rows are archived in processed/ as a Parquet file, then the
// original is removed.
enum class AfterLoad { kMove, kDelete, kKeep, kParquet };
// Parses "move" / "delete" / "keep" / "parquet".
std::optional<AfterLoad> ParseAfterLoad(std::string_view name);

// What a file with columns its existing table lacks does: kNone quarantines it;
// kAddColumns adds them to the table (nullable) before loading.
enum class SchemaEvolution { kNone, kAddColumns };
// Parses "none" / "add_columns".
std::optional<SchemaEvolution> ParseSchemaEvolution(std::string_view name);

// A derived column (`derive:` entry): its name and expression text.
struct DerivedColumn {
  std::string name;
  std::string expr;
  bool operator==(const DerivedColumn&) const = default;
};

// Per-table settings. Every field is optional so that a rule can override only
// some of the defaults; Resolve() fills the gaps.
struct TableRule {
  std::string match;  // glob; empty in defaults/overrides
  std::optional<std::string> table;
  std::optional<Schema> schema;
  std::optional<std::string> schema_origin;  // file the schema came from, for messages
  std::optional<std::vector<std::string>> key;
  std::optional<uint64_t> max_rejects;
  std::optional<double> max_reject_ratio;
  std::optional<uint64_t> max_columns;
  std::optional<AfterLoad> after_load;
  std::optional<Format> format;
  CsvDialect dialect;
  std::optional<bool> normalize_names;
  std::optional<MetadataOptions> metadata;
  std::optional<SchemaEvolution> schema_evolution;
  // Row transforms (docs/configuration.md#transforms). Each key is taken whole
  // from the first level that sets it (a rule's derive replaces the defaults').
  std::optional<NormalizeOptions> normalize;
  std::optional<std::vector<DerivedColumn>> derive;
  std::optional<std::string> filter;
  std::optional<std::vector<std::string>> drop;
  // Per-file aggregates (docs/transforms.md#aggregates), taken whole like derive;
  // `aggregates: false` sets aggregates_off instead (none, whatever the defaults say).
  std::optional<AggregateSpec> aggregates;
  bool aggregates_off = false;
  // Where the rule is, for messages: "FILE: tables[1] (match \"x*\")" or "FILE: defaults".
  std::string origin;
};

// The settings for one file, all decided.
struct TablePlan {
  std::string table;
  std::optional<Schema> schema;  // declared; nullopt = use the table's or infer
  std::vector<std::string> key;
  std::optional<uint64_t> max_rejects;  // both unset: no bad row tolerated
  std::optional<double> max_reject_ratio;
  // A file with more columns is quarantined (ReaderOptions::max_columns).
  size_t max_columns = kDefaultMaxColumns;
  AfterLoad after_load = AfterLoad::kMove;
  std::optional<Format> format;  // nullopt: from the file name
  CsvDialect dialect;
  bool normalize_names = false;
  MetadataOptions metadata;
  SchemaEvolution schema_evolution = SchemaEvolution::kNone;
  NormalizeOptions normalize;
  std::vector<DerivedColumn> derive;
  std::string filter;  // empty: none
  std::vector<std::string> drop;
  // The rules derive and filter come from, for messages (TableRule::origin).
  std::string derive_origin;
  std::string filter_origin;
  // Per-file aggregates into a table of their own; nullopt: none.
  std::optional<AggregateSpec> aggregates;

  // True if derive, filter or drop apply to the rows after validation.
  bool transforms_rows() const { return !derive.empty() || !filter.empty() || !drop.empty(); }

  // The options its reader is opened with (dialect, max_columns).
  ReaderOptions Reader() const;
  // True if `rejected` bad rows out of `total` rows read are within the thresholds.
  bool WithinThreshold(uint64_t rejected, uint64_t total) const;
  // True if `rejected` already exceeds max_rejects and no ratio could rescue it.
  bool CountExceeded(uint64_t rejected) const;
};

struct Config {
  std::string source = "./data";
  std::string sink = "sqlite:./sluice.db";
  // A file whose first line is the sink's password (empty: none); it replaces a
  // password in `sink` once ApplySinkPasswordFile has read it.
  std::string sink_password_file;
  std::string ledger = "./sluice-ledger.db";
  std::string processed = "./processed";
  std::string quarantine = "./quarantine";
  int workers = 0;  // 0: number of cores
  std::chrono::milliseconds settle{1000};
  std::chrono::milliseconds rescan{30000};
  // How long one file's load retries a transient sink fault (backoff with jitter)
  // before the file is left pending and, if the sink does not answer a ping, the
  // sink is reported down.
  std::chrono::milliseconds retry_budget{30000};
  // A file that was being loaded when sluice stopped (killed, or crashed by the
  // file) this many times is quarantined instead of tried again: a file that
  // crashes sluice must not stop all loading under a restarting supervisor.
  // 0: never.
  int max_crashes = 3;
  bool recursive = false;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  LogFormat log_format = LogFormat::kText;

  TableRule defaults;             // `defaults:` in the file
  std::vector<TableRule> tables;  // `tables:`, first match wins
  TableRule overrides;            // command line and environment; beat any rule

  // The plan for a file at `relative_path` (below the source folder).
  TablePlan Resolve(const std::string& relative_path) const;
};

// Reads the YAML configuration file into `config` (fields it does not mention keep
// their values). Errors: NotFound, InvalidArgument naming the file, key and line.
Status LoadConfigFile(const std::string& path, Config& config);

// Applies SLUICE_SOURCE, SLUICE_SINK, SLUICE_SINK_PASSWORD_FILE, SLUICE_LEDGER, SLUICE_PROCESSED,
// SLUICE_QUARANTINE, SLUICE_AFTER_LOAD, SLUICE_WORKERS, SLUICE_TABLE,
// SLUICE_SCHEMA, SLUICE_SCHEMA_EVOLUTION, SLUICE_LOG_FORMAT. Errors: InvalidArgument naming the
// variable.
Status ApplyEnvironment(Config& config);

// Reads the password in config.sink_password_file, if set, into config.sink (see
// SinkUrlWithPassword), so that every connection to the sink uses it: the file's
// first line without its line ending. Errors: InvalidArgument naming the file,
// never the password (the file cannot be read, its first line is empty, or the
// sink is SQLite, which takes no password).
Status ApplySinkPasswordFile(Config& config);

// What the watcher of the source folder watches for this configuration (the
// processed and quarantine folders skipped), for `run`; `once` scans only.
WatchOptions MakeWatchOptions(const Config& config);

// Refuses what sluice writes where its own watcher would pick it up as a file to
// load: the processed or quarantine folder being the source folder (archived
// files and reports would be loaded again, for ever; one below it is skipped),
// and the ledger or an SQLite sink's database with their -wal, -shm, -journal
// and .lock files, wherever MakeWatchOptions' watcher would report them (a hidden
// name, a sub-folder of a non-recursive watch, the globs and the skipped folders
// exclude them). Paths are compared with symlinks resolved. Creates nothing.
// Errors: InvalidArgument naming the path, the source folder and the way out.
Status CheckOutputsOutsideSource(const Config& config);

// Parses a comma-separated list ("a,b ,c" → {a,b,c}).
std::vector<std::string> SplitList(std::string_view text);

}  // namespace sluice

// The ledger's schema: creating it in a new database, and the migrations that
// let a ledger written by an older sluice open (each additive, so older sluices
// keep opening newer ledgers of the same schema version).
#include <cstdlib>
#include <string>

#include "ledger/ledger_impl.h"

namespace sluice {
namespace {

constexpr int kSchemaVersion = 1;
constexpr char kFormatName[] = "sluice-ledger";

constexpr char kSchema[] = R"sql(
CREATE TABLE files(
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  table_name TEXT NOT NULL,
  state TEXT NOT NULL,
  rows_loaded INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  rows_skipped INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  duplicate_of TEXT NOT NULL DEFAULT '',
  final_path TEXT NOT NULL DEFAULT '',
  seen_at_us INTEGER NOT NULL DEFAULT 0,
  started_at_us INTEGER NOT NULL DEFAULT 0,
  finished_at_us INTEGER NOT NULL DEFAULT 0,
  crashes INTEGER NOT NULL DEFAULT 0,
  rejects_file TEXT NOT NULL DEFAULT '',
  rows_filtered INTEGER NOT NULL DEFAULT 0);
CREATE INDEX files_hash ON files(hash);
CREATE INDEX files_path ON files(path, size, mtime_ns);
CREATE INDEX files_state ON files(state);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

// Added after schema version 1 without changing it: a ledger that lacks the table
// gets it when opened, and older sluices ignore it.
constexpr char kColumnsAddedSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS columns_added(
  id INTEGER PRIMARY KEY,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  column_type TEXT NOT NULL,
  file TEXT NOT NULL,
  added_at_us INTEGER NOT NULL);
)sql";

// The copy of recent per-file aggregates (aggregate_records.h), added after
// schema version 1 like columns_added. One row per file kept (aggregate_files:
// its table, and the JSON array of its group columns' names), and one per
// column and group of it (aggregates: the group's values as a JSON array of
// strings and nulls, the statistics, and whether the mean was flagged against
// the band [expected_low, expected_high]). Its table and loaded_at are repeated
// in each row so that the history a mean is compared with is one range of an
// index that holds the means too (read without the table).
constexpr char kAggregatesSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS aggregate_files(
  file_id INTEGER PRIMARY KEY,
  table_name TEXT NOT NULL,
  aggregates_table TEXT NOT NULL,
  loaded_at_us INTEGER NOT NULL,
  by_columns TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aggregate_files_latest
  ON aggregate_files(table_name, loaded_at_us, file_id);
CREATE TABLE IF NOT EXISTS aggregates(
  file_id INTEGER NOT NULL,
  table_name TEXT NOT NULL,
  loaded_at_us INTEGER NOT NULL,
  group_values TEXT NOT NULL,
  column_name TEXT NOT NULL,
  count INTEGER NOT NULL,
  nulls INTEGER NOT NULL,
  min REAL,
  max REAL,
  mean REAL,
  stddev REAL,
  flagged INTEGER NOT NULL DEFAULT 0,
  expected_low REAL,
  expected_high REAL);
CREATE INDEX IF NOT EXISTS aggregates_file ON aggregates(file_id);
CREATE INDEX IF NOT EXISTS aggregates_history
  ON aggregates(table_name, column_name, group_values, loaded_at_us, file_id, mean);
)sql";

// Columns added after schema version 1 like columns_added: a ledger that lacks
// one gets it when opened (older sluices select their columns by name and ignore
// it). Records written before have its default.
struct AddedColumn {
  const char* name;
  const char* add;
};
constexpr AddedColumn kAddedColumns[] = {
    {"crashes", "ALTER TABLE files ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0"},
    // Before it, `status --file` looked for a loaded file's rejects by name.
    {"rejects_file", "ALTER TABLE files ADD COLUMN rejects_file TEXT NOT NULL DEFAULT ''"},
    // Rows a table's filter skipped (transforms).
    {"rows_filtered", "ALTER TABLE files ADD COLUMN rows_filtered INTEGER NOT NULL DEFAULT 0"},
};

// The meta entry that says `attempts` counts failed attempts. Before it, the
// column counted claims, the successful one included.
constexpr char kAttemptsKey[] = "attempts";
constexpr char kAttemptsMeaning[] = "failed";

}  // namespace

Status Ledger::Impl::Initialize() {
  return InWriteTransaction("initialize", [&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement tables,
                     Prepare("SELECT name FROM sqlite_master WHERE type = 'table'", "inspect"));
    bool empty = true;
    bool has_meta = false;
    while (true) {
      ASSIGN_OR_RETURN(bool row, tables.Step("inspect"));
      if (!row) break;
      empty = false;
      if (tables.Text(0) == "meta") has_meta = true;
    }
    if (empty) {
      RETURN_IF_ERROR(Exec(kSchema, "create schema"));
      RETURN_IF_ERROR(Exec(kColumnsAddedSchema, "create schema"));
      RETURN_IF_ERROR(Exec(kAggregatesSchema, "create schema"));
      ASSIGN_OR_RETURN(SqliteStatement meta,
                       Prepare("INSERT INTO meta(key, value) VALUES('format', ?1), "
                               "('schema_version', ?2), (?3, ?4)",
                               "create schema"));
      return meta.Bind(kFormatName, std::to_string(kSchemaVersion), kAttemptsKey, kAttemptsMeaning)
          .Run("create schema");
    }
    std::string format;
    std::string attempts;
    int64_t version = 0;
    if (has_meta) {
      ASSIGN_OR_RETURN(SqliteStatement meta, Prepare("SELECT key, value FROM meta", "read meta"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, meta.Step("read meta"));
        if (!row) break;
        if (meta.Text(0) == "format") format = meta.Text(1);
        if (meta.Text(0) == "schema_version") version = std::atoll(meta.Text(1).c_str());
        if (meta.Text(0) == kAttemptsKey) attempts = meta.Text(1);
      }
    }
    if (format != kFormatName) {
      return Status::InvalidArgument("ledger: the database is not a sluice ledger");
    }
    if (version != kSchemaVersion) {
      return Status::InvalidArgument("ledger: schema version " + std::to_string(version) +
                                     " is not supported (this sluice reads version " +
                                     std::to_string(kSchemaVersion) + ")");
    }
    RETURN_IF_ERROR(Exec(kColumnsAddedSchema, "create schema"));
    RETURN_IF_ERROR(Exec(kAggregatesSchema, "create schema"));
    for (const AddedColumn& column : kAddedColumns) {
      ASSIGN_OR_RETURN(
          SqliteStatement has,
          Prepare("SELECT 1 FROM pragma_table_info('files') WHERE name = ?1", "inspect"));
      ASSIGN_OR_RETURN(bool present, has.Bind(column.name).Step("inspect"));
      if (!present) RETURN_IF_ERROR(Exec(column.add, "add column"));
    }
    if (attempts == kAttemptsMeaning) return Status::Ok();
    // `attempts` counted claims: every claim of a pending record failed (or was
    // put off), a processing record's current claim has not, and a loaded or
    // refused record's last claim succeeded. Crashes are failed attempts too.
    FileStateSet last_claim_not_failed;
    for (FileState state : {FileState::kProcessing, FileState::kLoaded, FileState::kQuarantined}) {
      last_claim_not_failed.Add(state);
    }
    const std::string convert = "UPDATE files SET attempts = MAX(attempts - (" +
                                StateIn(last_claim_not_failed) + "), crashes, 0)";
    RETURN_IF_ERROR(Exec(convert.c_str(), "count failed attempts"));
    ASSIGN_OR_RETURN(
        SqliteStatement mark,
        Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", "count failed attempts"));
    return mark.Bind(kAttemptsKey, kAttemptsMeaning).Run("count failed attempts");
  });
}

}  // namespace sluice

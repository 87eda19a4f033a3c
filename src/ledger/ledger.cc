#include "ledger/ledger.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "core/sqlite_db.h"
#include "core/sqlite_statement.h"

namespace sluice {
namespace {

constexpr int kSchemaVersion = 1;

// Only another process (requeue, a script) ever holds the ledger's write lock:
// sluice's own threads share one connection. The pipeline retries its ledger
// writes with backoff and logs each failure, so a lock shows in the log within
// seconds rather than after a silent minute.
constexpr int kLedgerBusyTimeoutMs = 5'000;
constexpr char kFormatName[] = "sluice-ledger";

constexpr FileState kAllStates[] = {FileState::kProcessing, FileState::kPending, FileState::kLoaded,
                                    FileState::kDuplicate, FileState::kQuarantined};

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
  crashes INTEGER NOT NULL DEFAULT 0);
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

// Added after schema version 1 like columns_added: a ledger that lacks the column
// gets it when opened (older sluices select their columns by name and ignore it).
constexpr char kCrashesColumn[] = "ALTER TABLE files ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0";

constexpr char kRecordColumns[] =
    "id, hash, path, size, mtime_ns, table_name, state, rows_loaded, rows_rejected, "
    "rows_skipped, bytes, attempts, error, duplicate_of, final_path, seen_at_us, started_at_us, "
    "finished_at_us, crashes";
// Most recent first: the latest of the record's timestamps, ties by insertion.
constexpr char kRecentOrder[] =
    " ORDER BY MAX(seen_at_us, started_at_us, finished_at_us) DESC, id DESC";

std::optional<FileState> ParseFileState(std::string_view name) {
  for (FileState state : kAllStates) {
    if (FileStateName(state) == name) return state;
  }
  return std::nullopt;
}

}  // namespace

std::string CrashedReason(int crashes) {
  return "sluice stopped " + std::to_string(crashes) + " times while loading this file";
}

std::string_view FileStateName(FileState state) {
  switch (state) {
    case FileState::kProcessing:
      return "processing";
    case FileState::kPending:
      return "pending";
    case FileState::kLoaded:
      return "loaded";
    case FileState::kDuplicate:
      return "duplicate";
    case FileState::kQuarantined:
      return "quarantined";
  }
  return "pending";
}

struct Ledger::Impl {
  explicit Impl(SqliteDb connection) : owner(std::move(connection)), db(owner.get()) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Status Exec(const char* sql, std::string_view context) {
    return SqliteExec(db, sql, "ledger", context);
  }

  Result<SqliteStatement> Prepare(std::string_view sql, std::string_view context) {
    return SqliteStatement::Prepare(db, sql, "ledger", context);
  }

  // Runs `body` in a BEGIN IMMEDIATE transaction: committed if it returns OK,
  // rolled back otherwise. Inside a Batch, a savepoint of its transaction.
  template <typename Body>
  Status InWriteTransaction(std::string_view context, Body&& body) {
    if (in_batch) {
      RETURN_IF_ERROR(Exec("SAVEPOINT call", context));
      Status status = body();
      if (!status.ok()) sqlite3_exec(db, "ROLLBACK TO call", nullptr, nullptr, nullptr);
      Status released = Exec("RELEASE call", context);
      return status.ok() ? released : status;
    }
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", context));
    Status status = body();
    if (status.ok()) status = Exec("COMMIT", context);
    if (!status.ok() && sqlite3_get_autocommit(db) == 0) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return status;
  }

  // Creates the schema in a new database, or checks that an existing one is a
  // ledger this version understands.
  Status Initialize() {
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
        ASSIGN_OR_RETURN(SqliteStatement meta,
                         Prepare("INSERT INTO meta(key, value) VALUES('format', ?1), "
                                 "('schema_version', ?2)",
                                 "create schema"));
        return meta.Bind(kFormatName, std::to_string(kSchemaVersion)).Run("create schema");
      }
      std::string format;
      int64_t version = 0;
      if (has_meta) {
        ASSIGN_OR_RETURN(SqliteStatement meta, Prepare("SELECT key, value FROM meta", "read meta"));
        while (true) {
          ASSIGN_OR_RETURN(bool row, meta.Step("read meta"));
          if (!row) break;
          if (meta.Text(0) == "format") format = meta.Text(1);
          if (meta.Text(0) == "schema_version") version = std::atoll(meta.Text(1).c_str());
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
      ASSIGN_OR_RETURN(
          SqliteStatement crashes,
          Prepare("SELECT 1 FROM pragma_table_info('files') WHERE name = 'crashes'", "inspect"));
      ASSIGN_OR_RETURN(bool has_crashes, crashes.Step("inspect"));
      return has_crashes ? Status::Ok() : Exec(kCrashesColumn, "add crashes column");
    });
  }

  Result<FileRecord> ReadRecord(const SqliteStatement& row) {
    FileRecord record;
    record.id = row.Int(0);
    record.identity.hash = row.Text(1);
    record.identity.path = row.Text(2);
    record.identity.size = static_cast<uint64_t>(row.Int(3));
    record.identity.mtime_ns = row.Int(4);
    record.table = row.Text(5);
    const std::string state = row.Text(6);
    const std::optional<FileState> parsed = ParseFileState(state);
    if (!parsed) {
      return Status::Internal("ledger: record " + std::to_string(record.id) +
                              " has unknown state \"" + state + "\"");
    }
    record.state = *parsed;
    record.rows_loaded = static_cast<uint64_t>(row.Int(7));
    record.rows_rejected = static_cast<uint64_t>(row.Int(8));
    record.rows_skipped = static_cast<uint64_t>(row.Int(9));
    record.bytes = static_cast<uint64_t>(row.Int(10));
    record.attempts = static_cast<int>(row.Int(11));
    record.error = row.Text(12);
    record.duplicate_of = row.Text(13);
    record.final_path = row.Text(14);
    record.seen_at_us = row.Int(15);
    record.started_at_us = row.Int(16);
    record.finished_at_us = row.Int(17);
    record.crashes = static_cast<int>(row.Int(18));
    return record;
  }

  // Steps `query` (which selects kRecordColumns) to the end.
  Result<std::vector<FileRecord>> ReadRecords(SqliteStatement& query, std::string_view context) {
    std::vector<FileRecord> records;
    while (true) {
      ASSIGN_OR_RETURN(bool row, query.Step(context));
      if (!row) return records;
      ASSIGN_OR_RETURN(FileRecord record, ReadRecord(query));
      records.push_back(std::move(record));
    }
  }

  Result<std::vector<FileRecord>> SelectRecords(const std::string& where_and_order,
                                                std::string_view context) {
    ASSIGN_OR_RETURN(SqliteStatement query, Prepare(std::string("SELECT ") + kRecordColumns +
                                                        " FROM files " + where_and_order,
                                                    context));
    return ReadRecords(query, context);
  }

  // Runs an UPDATE of the record `file_id` bound as ?1 (the other arguments
  // follow); NotFound if there is no such record.
  template <typename... Args>
  Status UpdateRecord(std::string_view set, std::string_view context, int64_t file_id,
                      const Args&... args) {
    ASSIGN_OR_RETURN(SqliteStatement update,
                     Prepare("UPDATE files SET " + std::string(set) + " WHERE id = ?1", context));
    RETURN_IF_ERROR(update.Bind(file_id, args...).Run(context));
    if (sqlite3_changes(db) == 0) {
      return Status::NotFound("ledger: no file record " + std::to_string(file_id));
    }
    return Status::Ok();
  }

  Result<int64_t> InsertFinished(const FileIdentity& file, std::string_view table, FileState state,
                                 std::string_view error, std::string_view duplicate_of,
                                 int64_t now) {
    ASSIGN_OR_RETURN(SqliteStatement insert,
                     Prepare("INSERT INTO files(hash, path, size, mtime_ns, table_name, state, "
                             "error, duplicate_of, seen_at_us, finished_at_us) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                             "record sighting"));
    RETURN_IF_ERROR(insert
                        .Bind(file.hash, file.path, file.size, file.mtime_ns, table,
                              FileStateName(state), error, duplicate_of, now)
                        .Run("record sighting"));
    return sqlite3_last_insert_rowid(db);
  }

  Status ClaimLocked(const FileIdentity& file, std::string_view table, Claim& claim) {
    const int64_t now = NowMicros();
    ASSIGN_OR_RETURN(
        SqliteStatement query,
        Prepare("SELECT id, path, state, crashes FROM files WHERE hash = ?1 ORDER BY id DESC",
                "claim"));
    query.Bind(file.hash);
    struct Earlier {
      int64_t id = 0;
      std::string path;
      int crashes = 0;
    };
    std::optional<Earlier> loaded_here, loaded, processing, quarantined, pending;
    // Rows come most recent first, so the first of each kind is the latest one.
    while (true) {
      ASSIGN_OR_RETURN(bool row, query.Step("claim"));
      if (!row) break;
      Earlier earlier{query.Int(0), query.Text(1), static_cast<int>(query.Int(3))};
      const std::optional<FileState> state = ParseFileState(query.Text(2));
      if (state == FileState::kLoaded) {
        if (earlier.path == file.path && !loaded_here) loaded_here = earlier;
        if (!loaded) loaded = earlier;
      } else if (state == FileState::kProcessing) {
        if (!processing) processing = earlier;
      } else if (state == FileState::kQuarantined) {
        if (!quarantined) quarantined = earlier;
      } else if (state == FileState::kPending) {
        // Take over the record of this very path if there is one.
        if (!pending || (earlier.path == file.path && pending->path != file.path)) {
          pending = earlier;
        }
      }
    }

    if (loaded_here) {
      claim = {ClaimOutcome::kAlreadyLoaded, loaded_here->id, loaded_here->path};
      return Status::Ok();
    }
    if (loaded) {
      ASSIGN_OR_RETURN(int64_t id,
                       InsertFinished(file, table, FileState::kDuplicate, "", loaded->path, now));
      claim = {ClaimOutcome::kDuplicate, id, loaded->path};
      return Status::Ok();
    }
    if (processing) {
      claim = {ClaimOutcome::kBusy, 0, ""};
      return Status::Ok();
    }
    if (quarantined) {
      const std::string why = "same content was quarantined before as " + quarantined->path;
      if (pending && pending->path == file.path) {
        // This path's earlier sighting could not be moved to quarantine: the same
        // record again, not one more per try.
        RETURN_IF_ERROR(UpdateRecord(
            "state = 'quarantined', error = ?2, size = ?3, mtime_ns = ?4, finished_at_us = ?5",
            "claim", pending->id, why, file.size, file.mtime_ns, now));
        claim = {ClaimOutcome::kQuarantinedBefore, pending->id, quarantined->path};
        return Status::Ok();
      }
      ASSIGN_OR_RETURN(int64_t id,
                       InsertFinished(file, table, FileState::kQuarantined, why, "", now));
      claim = {ClaimOutcome::kQuarantinedBefore, id, quarantined->path};
      return Status::Ok();
    }
    if (pending) {
      RETURN_IF_ERROR(UpdateRecord(
          "state = 'processing', attempts = attempts + 1, path = ?2, size = ?3, mtime_ns = ?4, "
          "table_name = ?5, started_at_us = ?6, finished_at_us = 0",
          "claim", pending->id, file.path, file.size, file.mtime_ns, table, now));
      claim = {ClaimOutcome::kClaimed, pending->id, "", pending->crashes};
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(SqliteStatement insert,
                     Prepare("INSERT INTO files(hash, path, size, mtime_ns, table_name, state, "
                             "attempts, seen_at_us, started_at_us) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, 'processing', 1, ?6, ?6)",
                             "claim"));
    RETURN_IF_ERROR(
        insert.Bind(file.hash, file.path, file.size, file.mtime_ns, table, now).Run("claim"));
    claim = {ClaimOutcome::kClaimed, sqlite3_last_insert_rowid(db), ""};
    return Status::Ok();
  }

  Status Finish(int64_t file_id, FileState state, const LoadSummary& summary,
                std::string_view error, std::string_view context) {
    return UpdateRecord(
        "state = ?2, rows_loaded = ?3, rows_rejected = ?4, rows_skipped = ?5, bytes = ?6, "
        "error = ?7, finished_at_us = ?8",
        context, file_id, FileStateName(state), summary.rows_loaded, summary.rows_rejected,
        summary.rows_skipped, summary.bytes, error, NowMicros());
  }

  SqliteDb owner;
  sqlite3* db;  // owner.get()
  // One connection, one caller at a time (it is opened NOMUTEX); recursive
  // because a Batch holds it while its thread makes calls.
  std::recursive_mutex mu;
  bool in_batch = false;  // a Batch's transaction is open
};

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ledger::Batch::Batch(Ledger& ledger) : impl_(*ledger.impl_), lock_(impl_.mu) {
  if (impl_.in_batch) return;  // nested: the outer Batch commits
  open_ = impl_.Exec("BEGIN IMMEDIATE", "begin batch").ok();
  impl_.in_batch = open_;
}

Ledger::Batch::~Batch() {
  if (!open_) return;
  sqlite3_exec(impl_.db, "ROLLBACK", nullptr, nullptr, nullptr);
  impl_.in_batch = false;
}

Status Ledger::Batch::Commit() {
  if (!open_) return Status::Ok();
  open_ = false;
  impl_.in_batch = false;
  Status status = impl_.Exec("COMMIT", "commit batch");
  if (!status.ok() && sqlite3_get_autocommit(impl_.db) == 0) {
    sqlite3_exec(impl_.db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return status;
}
Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path) {
  ASSIGN_OR_RETURN(SqliteDb db, OpenSqliteDb(path, "ledger"));
  sqlite3_busy_timeout(db.get(), kLedgerBusyTimeoutMs);
  auto impl = std::make_unique<Impl>(std::move(db));
  RETURN_IF_ERROR(impl->Initialize());
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Result<bool> Ledger::IsFinishedUnchanged(const std::string& path, uint64_t size, int64_t mtime_ns) {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(SqliteStatement query,
                   impl_->Prepare("SELECT 1 FROM files WHERE path = ?1 AND size = ?2 AND "
                                  "mtime_ns = ?3 AND state IN ('loaded', 'duplicate', "
                                  "'quarantined') LIMIT 1",
                                  "look up path"));
  return query.Bind(path, size, mtime_ns).Step("look up path");
}

Result<Claim> Ledger::ClaimFile(const FileIdentity& file, std::string_view table) {
  std::lock_guard lock(impl_->mu);
  Claim claim;
  RETURN_IF_ERROR(
      impl_->InWriteTransaction("claim", [&] { return impl_->ClaimLocked(file, table, claim); }));
  return claim;
}

Status Ledger::MarkLoaded(int64_t file_id, const LoadSummary& summary) {
  std::lock_guard lock(impl_->mu);
  return impl_->Finish(file_id, FileState::kLoaded, summary, "", "mark loaded");
}

Status Ledger::MarkQuarantined(int64_t file_id, const LoadSummary& summary,
                               std::string_view error) {
  std::lock_guard lock(impl_->mu);
  return impl_->Finish(file_id, FileState::kQuarantined, summary, error, "mark quarantined");
}

Status Ledger::Release(int64_t file_id, std::string_view error) {
  std::lock_guard lock(impl_->mu);
  return impl_->UpdateRecord("state = 'pending', error = ?2", "release", file_id, error);
}

Status Ledger::Forget(int64_t file_id) {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(
      SqliteStatement remove,
      impl_->Prepare("DELETE FROM files WHERE id = ?1 AND state = 'processing'", "forget"));
  RETURN_IF_ERROR(remove.Bind(file_id).Run("forget"));
  if (sqlite3_changes(impl_->db) == 0) {
    return Status::NotFound("ledger: no file record " + std::to_string(file_id) + " in processing");
  }
  return Status::Ok();
}

Status Ledger::SetFinalPath(int64_t file_id, std::string_view path) {
  std::lock_guard lock(impl_->mu);
  return impl_->UpdateRecord("final_path = ?2", "set final path", file_id, path);
}

Result<std::vector<FileRecord>> Ledger::ListProcessing() {
  std::lock_guard lock(impl_->mu);
  return impl_->SelectRecords("WHERE state = 'processing' ORDER BY id", "list processing");
}

Result<std::vector<FileRecord>> Ledger::FindByPath(const std::string& path) {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(SqliteStatement query,
                   impl_->Prepare(std::string("SELECT ") + kRecordColumns +
                                      " FROM files WHERE state = 'quarantined' AND "
                                      "(final_path = ?1 OR path = ?1)" +
                                      kRecentOrder,
                                  "find by path"));
  query.Bind(path);
  return impl_->ReadRecords(query, "find by path");
}

Result<std::vector<FileRecord>> Ledger::FindByName(const std::string& name) {
  std::lock_guard lock(impl_->mu);
  // substr, not LIKE: a name may hold % or _.
  ASSIGN_OR_RETURN(SqliteStatement query,
                   impl_->Prepare(std::string("SELECT ") + kRecordColumns +
                                      " FROM files WHERE path = ?1 OR final_path = ?1 OR "
                                      "substr(path, -length(?2)) = ?2 OR "
                                      "substr(final_path, -length(?2)) = ?2" +
                                      kRecentOrder,
                                  "find by name"));
  query.Bind(name, "/" + name);
  return impl_->ReadRecords(query, "find by name");
}

Result<FileState> Ledger::SettleCrashed(int64_t file_id, int limit) {
  std::lock_guard lock(impl_->mu);
  FileState state = FileState::kPending;
  RETURN_IF_ERROR(impl_->InWriteTransaction("settle crashed", [&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement query,
                     impl_->Prepare("SELECT crashes FROM files WHERE id = ?1 AND "
                                    "state = 'processing'",
                                    "settle crashed"));
    ASSIGN_OR_RETURN(bool row, query.Bind(file_id).Step("settle crashed"));
    if (!row) {
      return Status::NotFound("ledger: no processing file record " + std::to_string(file_id));
    }
    const int64_t crashes = query.Int(0) + 1;
    if (limit > 0 && crashes >= limit) {
      state = FileState::kQuarantined;
      return impl_->UpdateRecord(
          "state = 'quarantined', crashes = ?2, error = ?3, finished_at_us = ?4", "settle crashed",
          file_id, crashes, CrashedReason(static_cast<int>(crashes)), NowMicros());
    }
    return impl_->UpdateRecord(
        "state = 'pending', crashes = ?2, error = ?3", "settle crashed", file_id, crashes,
        "sluice stopped while loading this file (" + std::to_string(crashes) + " time" +
            (crashes > 1 ? "s" : "") + "); rolled back, will load again");
  }));
  return state;
}

Result<int> Ledger::Requeue(std::string_view hash, const std::function<Status()>& move_back) {
  std::lock_guard lock(impl_->mu);
  int requeued = 0;
  // The record is pending before the file is back, and the write lock is held
  // while it moves: a running sluice that sees the file claims it only after the
  // commit, and a move that fails leaves the record quarantined.
  RETURN_IF_ERROR(impl_->InWriteTransaction("requeue", [&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement update,
                     impl_->Prepare("UPDATE files SET state = 'pending', crashes = 0 "
                                    "WHERE hash = ?1 AND state = 'quarantined'",
                                    "requeue"));
    RETURN_IF_ERROR(update.Bind(hash).Run("requeue"));
    requeued = sqlite3_changes(impl_->db);
    if (requeued == 0 || !move_back) return Status::Ok();
    return move_back();
  }));
  return requeued;
}

Status Ledger::RecordColumnAdded(const ColumnAdded& change) {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(SqliteStatement insert,
                   impl_->Prepare("INSERT INTO columns_added(table_name, column_name, column_type, "
                                  "file, added_at_us) VALUES(?1, ?2, ?3, ?4, ?5)",
                                  "record added column"));
  return insert
      .Bind(change.table, change.column, change.type, change.file,
            change.added_at_us != 0 ? change.added_at_us : NowMicros())
      .Run("record added column");
}

Result<LedgerReport> Ledger::Report(size_t recent) {
  std::lock_guard lock(impl_->mu);
  LedgerReport report;
  for (FileState state : kAllStates) report.files_by_state[state] = 0;
  // One read transaction, so the counts and lists describe the same moment.
  RETURN_IF_ERROR(impl_->Exec("BEGIN", "report"));
  Status status = [&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement counts,
                     impl_->Prepare("SELECT table_name, state, COUNT(*) FROM files "
                                    "GROUP BY table_name, state",
                                    "report"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, counts.Step("report"));
      if (!row) break;
      const std::optional<FileState> state = ParseFileState(counts.Text(1));
      if (!state) return Status::Internal("ledger: unknown state \"" + counts.Text(1) + "\"");
      const auto n = static_cast<uint64_t>(counts.Int(2));
      report.files_by_state[*state] += n;
      report.files_by_table[counts.Text(0)][*state] = n;
    }
    ASSIGN_OR_RETURN(SqliteStatement totals,
                     impl_->Prepare("SELECT SUM(rows_loaded), SUM(rows_rejected) FROM files "
                                    "WHERE state = 'loaded'",
                                    "report"));
    ASSIGN_OR_RETURN(bool row, totals.Step("report"));
    if (row) {
      report.rows_loaded = static_cast<uint64_t>(totals.Int(0));
      report.rows_rejected = static_cast<uint64_t>(totals.Int(1));
    }
    const std::string limit = " LIMIT " + std::to_string(recent);
    ASSIGN_OR_RETURN(report.recent, impl_->SelectRecords(kRecentOrder + limit, "report"));
    ASSIGN_OR_RETURN(
        report.recent_errors,
        impl_->SelectRecords(std::string("WHERE state = 'quarantined' OR (state IN "
                                         "('pending', 'processing') AND error <> '')") +
                                 kRecentOrder + limit,
                             "report"));
    ASSIGN_OR_RETURN(
        SqliteStatement added,
        impl_->Prepare("SELECT table_name, column_name, column_type, file, added_at_us "
                       "FROM columns_added ORDER BY added_at_us DESC, id DESC" +
                           limit,
                       "report"));
    while (true) {
      ASSIGN_OR_RETURN(bool more, added.Step("report"));
      if (!more) break;
      report.columns_added.push_back(
          {added.Text(0), added.Text(1), added.Text(2), added.Text(3), added.Int(4)});
    }
    return Status::Ok();
  }();
  if (!impl_->Exec("COMMIT", "report").ok()) {
    sqlite3_exec(impl_->db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  RETURN_IF_ERROR(status);
  return report;
}

}  // namespace sluice

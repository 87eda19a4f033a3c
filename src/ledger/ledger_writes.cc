// Ledger, writes: the state machine of file_state.h. Every statement that changes
// a record's state (or a finished record) carries the guard "state IN <the
// sources kFileTransitions allows>", built from that table, and a statement that
// changes nothing is refused with the record's actual state.
#include <sqlite3.h>

#include <string>

#include "core/clock.h"
#include "ledger/ledger.h"
#include "ledger/ledger_impl.h"

namespace sluice {
namespace {

// The states of `set`, named as `name` does, joined by `separator`.
template <typename Name>
std::string JoinStates(FileStateSet set, std::string_view separator, Name name) {
  std::string out;
  for (FileState state : kAllFileStates) {
    if (!set.Has(state)) continue;
    if (!out.empty()) out += separator;
    out += name(state);
  }
  return out;
}

}  // namespace

std::string SqlState(FileState state) {
  // The names are identifiers from FileStateName: nothing to escape.
  std::string quoted(1, '\'');
  quoted += FileStateName(state);
  quoted += '\'';
  return quoted;
}

std::string StateIn(FileStateSet states) {
  return states.empty() ? "0" : "state IN (" + JoinStates(states, ", ", SqlState) + ")";
}

Status Ledger::Impl::RefusedTransition(LedgerOp op, FileStateSet sources, int64_t file_id) {
  ASSIGN_OR_RETURN(SqliteStatement query,
                   Prepare("SELECT state, path FROM files WHERE id = ?1", LedgerOpName(op)));
  ASSIGN_OR_RETURN(bool row, query.Bind(file_id).Step(LedgerOpName(op)));
  const std::string record = "file record " + std::to_string(file_id);
  if (!row) return Status::NotFound("ledger: no " + record);
  return Status::Internal("ledger: " + std::string(LedgerOpName(op)) + " refused for " + record +
                          " (" + query.Text(1) + "): it is " + query.Text(0) + ", expected " +
                          JoinStates(sources, " or ", FileStateName));
}

Result<int64_t> Ledger::Impl::InsertFinished(const FileIdentity& file, std::string_view table,
                                             FileState state, std::string_view error,
                                             std::string_view duplicate_of, int64_t now) {
  if (!CreatesIn(LedgerOp::kClaim, state)) {
    return Status::Internal("ledger: a claim cannot create a record in state " +
                            std::string(FileStateName(state)));
  }
  const bool processing = state == FileState::kProcessing;
  ASSIGN_OR_RETURN(SqliteStatement insert,
                   Prepare("INSERT INTO files(hash, path, size, mtime_ns, table_name, state, "
                           "error, duplicate_of, seen_at_us, started_at_us, finished_at_us) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                           "record sighting"));
  RETURN_IF_ERROR(insert
                      .Bind(file.hash, file.path, file.size, file.mtime_ns, table,
                            FileStateName(state), error, duplicate_of, now,
                            processing ? now : int64_t{0}, processing ? int64_t{0} : now)
                      .Run("record sighting"));
  return sqlite3_last_insert_rowid(db);
}

Status Ledger::Impl::ClaimLocked(const FileIdentity& file, std::string_view table, Claim& claim) {
  const int64_t now = NowMicros();
  ASSIGN_OR_RETURN(SqliteStatement query,
                   Prepare("SELECT id, path, state, crashes, attempts FROM files WHERE hash = ?1 "
                           "ORDER BY id DESC",
                           "claim"));
  query.Bind(file.hash);
  struct Earlier {
    int64_t id = 0;
    std::string path;
    int crashes = 0;
    int attempts = 0;
  };
  std::optional<Earlier> loaded_here, loaded, processing, quarantined, pending;
  // Rows come most recent first, so the first of each kind is the latest one.
  while (true) {
    ASSIGN_OR_RETURN(bool row, query.Step("claim"));
    if (!row) break;
    Earlier earlier{query.Int(0), query.Text(1), static_cast<int>(query.Int(3)),
                    static_cast<int>(query.Int(4))};
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
      RETURN_IF_ERROR(Transit(LedgerOp::kClaim, FileState::kQuarantined,
                              "error = ?2, size = ?3, mtime_ns = ?4, finished_at_us = ?5",
                              pending->id, why, file.size, file.mtime_ns, now));
      claim = {ClaimOutcome::kQuarantinedBefore, pending->id, quarantined->path};
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(int64_t id,
                     InsertFinished(file, table, FileState::kQuarantined, why, "", now));
    claim = {ClaimOutcome::kQuarantinedBefore, id, quarantined->path};
    return Status::Ok();
  }
  if (pending) {
    RETURN_IF_ERROR(Transit(LedgerOp::kClaim, FileState::kProcessing,
                            "path = ?2, size = ?3, mtime_ns = ?4, table_name = ?5, "
                            "started_at_us = ?6, finished_at_us = 0",
                            pending->id, file.path, file.size, file.mtime_ns, table, now));
    claim = {ClaimOutcome::kClaimed, pending->id, "", pending->crashes, pending->attempts};
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(int64_t id, InsertFinished(file, table, FileState::kProcessing, "", "", now));
  claim = {ClaimOutcome::kClaimed, id, ""};
  return Status::Ok();
}

Status Ledger::Impl::Finish(int64_t file_id, LedgerOp op, FileState state,
                            const LoadSummary& summary, std::string_view error) {
  return Transit(op, state,
                 "rows_loaded = ?2, rows_rejected = ?3, rows_skipped = ?4, bytes = ?5, "
                 "error = ?6, finished_at_us = ?7, rejects_file = ?8, rows_filtered = ?9",
                 file_id, summary.rows_loaded, summary.rows_rejected, summary.rows_skipped,
                 summary.bytes, error, NowMicros(), summary.rejects_file, summary.rows_filtered);
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
  return impl_->Finish(file_id, LedgerOp::kMarkLoaded, FileState::kLoaded, summary, "");
}

Result<std::vector<FlaggedAggregate>> Ledger::MarkLoaded(int64_t file_id,
                                                         const LoadSummary& summary,
                                                         const FileAggregates& aggregates) {
  std::lock_guard lock(impl_->mu);
  std::vector<FlaggedAggregate> flagged;
  RETURN_IF_ERROR(impl_->InWriteTransaction("mark loaded", [&]() -> Status {
    RETURN_IF_ERROR(impl_->Finish(file_id, LedgerOp::kMarkLoaded, FileState::kLoaded, summary, ""));
    ASSIGN_OR_RETURN(flagged, impl_->KeepAggregates(file_id, aggregates));
    return Status::Ok();
  }));
  return flagged;
}

Status Ledger::MarkQuarantined(int64_t file_id, const LoadSummary& summary,
                               std::string_view error) {
  std::lock_guard lock(impl_->mu);
  return impl_->Finish(file_id, LedgerOp::kMarkQuarantined, FileState::kQuarantined, summary,
                       error);
}

Result<int> Ledger::Release(int64_t file_id, std::string_view error) {
  std::lock_guard lock(impl_->mu);
  int attempts = 0;
  RETURN_IF_ERROR(impl_->InWriteTransaction("release", [&]() -> Status {
    RETURN_IF_ERROR(impl_->Transit(LedgerOp::kRelease, FileState::kPending,
                                   "error = ?2, attempts = attempts + 1", file_id, error));
    ASSIGN_OR_RETURN(SqliteStatement query,
                     impl_->Prepare("SELECT attempts FROM files WHERE id = ?1", "release"));
    ASSIGN_OR_RETURN(bool row, query.Bind(file_id).Step("release"));
    if (row) attempts = static_cast<int>(query.Int(0));
    return Status::Ok();
  }));
  return attempts;
}

Status Ledger::Unclaim(int64_t file_id, std::string_view why) {
  std::lock_guard lock(impl_->mu);
  return impl_->Transit(LedgerOp::kUnclaim, FileState::kPending, "error = ?2", file_id, why);
}

Status Ledger::Forget(int64_t file_id) {
  std::lock_guard lock(impl_->mu);
  const FileStateSet sources = TransitionSources(LedgerOp::kForget, std::nullopt);
  ASSIGN_OR_RETURN(
      SqliteStatement remove,
      impl_->Prepare("DELETE FROM files WHERE id = ?1 AND " + StateIn(sources), "forget"));
  RETURN_IF_ERROR(remove.Bind(file_id).Run("forget"));
  if (sqlite3_changes(impl_->db) == 1) return Status::Ok();
  return impl_->RefusedTransition(LedgerOp::kForget, sources, file_id);
}

Status Ledger::SetFinalPath(int64_t file_id, std::string_view path) {
  std::lock_guard lock(impl_->mu);
  return impl_->Transit(LedgerOp::kSetFinalPath, std::nullopt, "final_path = ?2", file_id, path);
}

Status Ledger::SetFinalPath(int64_t file_id, std::string_view path, std::string_view rejects_file) {
  std::lock_guard lock(impl_->mu);
  return impl_->Transit(LedgerOp::kSetFinalPath, std::nullopt, "final_path = ?2, rejects_file = ?3",
                        file_id, path, rejects_file);
}

Result<SettledCrash> Ledger::SettleCrashed(int64_t file_id, int limit) {
  std::lock_guard lock(impl_->mu);
  SettledCrash settled;
  RETURN_IF_ERROR(impl_->InWriteTransaction("settle crashed", [&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement query,
        impl_->Prepare("SELECT crashes, attempts FROM files WHERE id = ?1", "settle crashed"));
    ASSIGN_OR_RETURN(bool row, query.Bind(file_id).Step("settle crashed"));
    if (!row) return Status::NotFound("ledger: no file record " + std::to_string(file_id));
    settled.crashes = static_cast<int>(query.Int(0)) + 1;
    settled.attempts = static_cast<int>(query.Int(1)) + 1;
    if (limit > 0 && settled.crashes >= limit) {
      settled.state = FileState::kQuarantined;
      return impl_->Transit(LedgerOp::kSettleCrashed, FileState::kQuarantined,
                            "crashes = ?2, attempts = ?3, error = ?4, finished_at_us = ?5", file_id,
                            settled.crashes, settled.attempts, CrashedReason(settled.crashes),
                            NowMicros());
    }
    settled.state = FileState::kPending;
    return impl_->Transit(
        LedgerOp::kSettleCrashed, FileState::kPending, "crashes = ?2, attempts = ?3, error = ?4",
        file_id, settled.crashes, settled.attempts,
        "sluice stopped while loading this file (" + std::to_string(settled.crashes) + " time" +
            (settled.crashes > 1 ? "s" : "") + "); rolled back, will load again");
  }));
  return settled;
}

Result<int> Ledger::Requeue(std::string_view hash, const std::function<Status()>& move_back) {
  std::lock_guard lock(impl_->mu);
  int requeued = 0;
  // The record is pending before the file is back, and the write lock is held
  // while it moves: a running sluice that sees the file claims it only after the
  // commit, and a move that fails leaves the record quarantined.
  RETURN_IF_ERROR(impl_->InWriteTransaction("requeue", [&]() -> Status {
    const std::string sql = "UPDATE files SET state = " + SqlState(FileState::kPending) +
                            ", crashes = 0, attempts = 0 WHERE hash = ?1 AND " +
                            StateIn(TransitionSources(LedgerOp::kRequeue, FileState::kPending));
    ASSIGN_OR_RETURN(SqliteStatement update, impl_->Prepare(sql, "requeue"));
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

}  // namespace sluice

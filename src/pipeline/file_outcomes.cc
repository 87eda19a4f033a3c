// FileLoader, outcomes: recovery at start-up, the ledger's records of loaded,
// released, changed and quarantined files (retried while the ledger is busy),
// archiving and quarantining files with their reports.
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/retry_policy.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "pipeline/archive.h"
#include "pipeline/file_loader.h"
#include "pipeline/file_loader_parts.h"
#include "pipeline/quarantine_report.h"

namespace sluice {

namespace {
// A ledger write that finds the ledger busy (another process holds its lock).
constexpr RetryPolicy kLedgerRetry{std::chrono::milliseconds(250), std::chrono::seconds(8)};

// The ledger's copy of a file's aggregates (the ledger includes nothing of
// transform/).
FileAggregates LedgerAggregates(const std::string& table, const std::string& aggregates_table,
                                int64_t loaded_at, std::vector<std::string> by,
                                const std::vector<AggregateRow>& rows) {
  FileAggregates out{table, aggregates_table, loaded_at, std::move(by), {}};
  out.rows.reserve(rows.size());
  for (const AggregateRow& r : rows) {
    out.rows.push_back({r.by, r.column, r.count, r.nulls, r.min, r.max, r.mean, r.stddev});
  }
  return out;
}

// "by1=v1, by2=v2" of a flagged group ("" without `by`), as the log shows it.
std::string GroupText(const FlaggedAggregate& flag) {
  std::string out;
  for (size_t i = 0; i < flag.group.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += (i < flag.by.size() ? flag.by[i] : "?") + "=" + flag.group[i].value_or("NULL");
  }
  return out;
}

// Logs each flagged mean and counts the file once per column flagged.
void ReportFlagged(const std::string& path, const std::vector<FlaggedAggregate>& flagged) {
  std::set<std::pair<std::string, std::string>> counted;
  for (const FlaggedAggregate& flag : flagged) {
    LogWarn("file_flagged", {{"table", flag.table},
                             {"column", flag.column},
                             {"file", path},
                             {"group", GroupText(flag)},
                             {"mean", flag.mean},
                             {"expected_low", flag.low},
                             {"expected_high", flag.high},
                             {"history", static_cast<uint64_t>(flag.history)}});
    if (counted.emplace(flag.table, flag.column).second) {
      GlobalMetrics().FileFlagged(flag.table, flag.column);
    }
  }
}
}  // namespace

Status FileLoader::Recover(uint64_t* quarantined) {
  ASSIGN_OR_RETURN(auto records, ledger_.ListProcessing());
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(bool committed, sink_->IsCommitted(r.identity.hash));
    if (committed) {
      RETURN_IF_ERROR(ledger_.MarkLoaded(r.id, LoadSummary{}));
      LogInfo("recovered", {{"file", r.identity.path}, {"state", "loaded"}});
      continue;
    }
    sink_->DiscardAttempt(r.table, LoadId{r.identity.hash, r.identity.path});
    // Rolled back. Sluice stopped while loading it, perhaps because of it: a file
    // that keeps crashing sluice is quarantined rather than tried forever.
    ASSIGN_OR_RETURN(SettledCrash settled, ledger_.SettleCrashed(r.id, config_.max_crashes));
    LogInfo("recovered", {{"file", r.identity.path},
                          {"state", FileStateName(settled.state)},
                          {"crashes", int64_t{settled.crashes}},
                          {"attempts", int64_t{settled.attempts}}});
    if (settled.state == FileState::kQuarantined) {
      QuarantineCrashed(r);
      if (quarantined != nullptr) ++*quarantined;
    }
  }
  return Status::Ok();
}

void FileLoader::QuarantineCrashed(const FileRecord& record) {
  const std::string& path = record.identity.path;
  const Status why = Status::InvalidData(CrashedReason(record.crashes + 1));
  LogWarn("quarantined", {{"file", path}, {"table", record.table}, {"reason", why.message()}});
  // Moved from a descriptor opened beneath the source folder, as every file.
  auto folder = SourceFolder::Open(source_root_);
  if (!folder) return;  // the folder is gone: the file's next sighting moves it
  folder_.emplace(std::move(*folder));
  Sighting file;
  file.path = path;
  file.plan = config_.Resolve(RelativeTo(path, source_root_));
  file.started = std::chrono::steady_clock::now();
  auto relative = folder_->Relative(path);
  if (!relative) return;
  auto landed = LandedFile::Open(*folder_, *relative);
  if (!landed) return;
  auto fp = landed->Fingerprint();
  if (!fp || fp->hash != record.identity.hash) return;  // gone or replaced: nothing to move
  file.id = FileIdentity{fp->hash, path, fp->size, fp->mtime_ns};
  file.relative = std::move(*relative);
  file.landed.emplace(std::move(*landed));
  Attempt attempt(path, config_.quarantine);
  FileResult result = Quarantine(file, record.id, attempt, why);
  if (result.outcome != FileOutcome::kQuarantined) {
    // The move failed and left the record pending; it must not be loaded again,
    // so it stays quarantined and its next sighting tries the move again.
    Status s = ledger_.MarkQuarantined(record.id, {}, why.message());
    if (!s.ok()) LogError("ledger_error", {{"file", path}, {"error", s.ToString()}});
  }
}

Status FileLoader::RetryLedger(std::string_view what, const std::string& path, Status status,
                               const std::function<Status()>& write) {
  // Only another process can hold the ledger (requeue, a script). What is being
  // recorded already happened (a commit, a refusal): keep trying rather than
  // leave the record `processing` until a restart.
  std::optional<Backoff> backoff;
  int failures = 0;
  while (!status.ok() && status.IsTransient() && !signals_.stop.load()) {
    if (!backoff) backoff.emplace(kLedgerRetry);
    const auto delay = backoff->Next();
    ++failures;
    LogWarn("ledger_retry", {{"file", path},
                             {"write", std::string(what)},
                             {"error", status.ToString()},
                             {"delay_ms", static_cast<int64_t>(delay.count())}});
    for (auto slept = std::chrono::milliseconds(0); slept < delay && !signals_.stop.load();
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    status = write();
  }
  if (!status.ok()) {
    LogError("ledger_error",
             {{"file", path}, {"write", std::string(what)}, {"error", status.ToString()}});
  } else if (failures > 0) {
    LogInfo("ledger_recorded",
            {{"file", path}, {"write", std::string(what)}, {"failures", int64_t{failures}}});
  }
  return status;
}

void FileLoader::KeepRejects(const Sighting& file, Attempt& attempt) {
  if (attempt.rejects.count() == 0) return;
  auto kept = attempt.rejects.Keep(config_.quarantine,
                                   RelativeTo(file.path, source_root_) + ".rejects.jsonl");
  if (!kept) {
    LogWarn("rejects_not_written", {{"file", file.path}, {"error", kept.error().ToString()}});
    return;
  }
  attempt.rejects_file = *kept;
  LogInfo("rejects_kept",
          {{"file", file.path}, {"rejects", attempt.rejects.count()}, {"rejects_file", *kept}});
}

Status FileLoader::MarkLoaded(const Sighting& file, Attempt& attempt) {
  LoadSummary summary{attempt.counts.inserted, attempt.rejects.count(),
                      attempt.counts.skipped_by_key, file.id.size, attempt.rejects_file};
  summary.rows_filtered = attempt.rows_filtered;
  attempt.flagged.clear();
  if (attempt.aggregates_table.empty()) return ledger_.MarkLoaded(file.file_id, summary);
  ASSIGN_OR_RETURN(attempt.flagged,
                   ledger_.MarkLoaded(
                       file.file_id, summary,
                       LedgerAggregates(attempt.table, attempt.aggregates_table, attempt.loaded_at,
                                        file.plan.aggregates ? file.plan.aggregates->by
                                                             : std::vector<std::string>(),
                                        attempt.aggregates)));
  return Status::Ok();
}

FileResult FileLoader::Loaded(const Sighting& file, Attempt& attempt, const Status& recorded) {
  FileResult result;
  result.table = attempt.table.empty() ? file.plan.table : attempt.table;
  result.rows = attempt.counts.inserted;
  result.skipped = attempt.counts.skipped_by_key;
  result.filtered = attempt.rows_filtered;
  result.rejected = attempt.rejects.count();
  result.bytes = file.id.size;
  // Committed in the sink: the ledger must hear of it now, not at a restart.
  Status marked =
      RetryLedger("mark loaded", file.path, recorded, [&] { return MarkLoaded(file, attempt); });
  if (!marked.ok()) {
    // Only a stop (or a broken ledger) ends the retries; the sink's marker
    // settles the record at the next start.
    result.outcome = FileOutcome::kRetryLater;
    result.error = marked;
    return result;
  }
  Status s = Archive(file, file.file_id, result.resight, attempt.parquet.get());
  attempt.parquet.reset();
  if (!s.ok()) LogWarn("archive_failed", {{"file", file.path}, {"error", s.ToString()}});
  result.outcome = FileOutcome::kLoaded;
  GlobalMetrics().RowsRejected(result.table, attempt.rejects.counts());
  if (result.filtered > 0) GlobalMetrics().RowsFiltered(result.table, result.filtered);
  ReportFlagged(file.path, attempt.flagged);
  return result;
}

FileResult FileLoader::Release(const Sighting& file, const Status& why, bool sink_down) {
  FileResult result;
  result.table = file.plan.table;
  result.bytes = file.id.size;
  // A record left `processing` would make every later sighting busy until a
  // restart. (RetryLedger logs a failure.) A load stopped on request did not
  // fail: it is not counted among the file's attempts.
  const bool stopped = signals_.stop.load();
  auto release = [&]() -> Status {
    if (stopped) return ledger_.Unclaim(file.file_id, why.ToString());
    auto released = ledger_.Release(file.file_id, why.ToString());
    if (released) result.attempts = *released;
    return released.status();
  };
  (void)RetryLedger("release", file.path, release(), release);
  result.outcome = signals_.stop.load() ? FileOutcome::kInterrupted : FileOutcome::kRetryLater;
  result.error = why;
  if (result.outcome == FileOutcome::kRetryLater) {
    // A fault that outlived the budget is the sink's if the sink does not answer
    // either; otherwise (a lock, a busy server) the file is simply tried later.
    result.sink_down = sink_down || signals_.sink_down.load() || !sink_->Ping().ok();
    if (result.sink_down) GlobalMetrics().SetSinkUp(false);
    LogError("load_failed", {{"file", file.path},
                             {"table", file.plan.table},
                             {"attempts", int64_t{result.attempts}},
                             {"error", why.ToString()}});
  }
  return result;
}

FileResult FileLoader::Changed(const Sighting& file, const Status& why) {
  FileResult result;
  result.outcome = FileOutcome::kRetryLater;
  result.table = file.plan.table;
  result.bytes = file.id.size;
  result.error = why;
  // Those bytes are not what the file holds and will never be seen again as
  // such: the claim goes, and the file is claimed anew by its new content.
  Status forgotten = ledger_.Forget(file.file_id);
  if (!forgotten.ok()) {
    LogError("ledger_error", {{"file", file.path}, {"error", forgotten.ToString()}});
  }
  LogWarn("changed_while_loading", {{"file", file.path}, {"error", why.message()}});
  return result;
}

FileResult FileLoader::Quarantine(const Sighting& file, int64_t file_id, Attempt& attempt,
                                  const Status& why) {
  const std::string& path = file.path;
  const FileIdentity& id = file.id;
  const TablePlan& plan = file.plan;
  FileResult result;
  result.outcome = FileOutcome::kQuarantined;
  result.table = attempt.table.empty() ? plan.table : attempt.table;
  result.rows = 0;
  result.rejected = attempt.rejects.count();
  result.bytes = id.size;
  result.error = why;

  // The ledger first: should sluice die before the move, the file is still in the
  // source folder and its next sighting quarantines it again (kQuarantinedBefore).
  // Its rejects file is named after where it goes: recorded with that (SetFinalPath).
  LoadSummary summary{0, attempt.rejects.count(), 0, id.size, ""};
  auto mark = [&] { return ledger_.MarkQuarantined(file_id, summary, why.message()); };
  Status s = RetryLedger("mark quarantined", path, mark(), mark);
  if (!s.ok()) {
    // Not recorded (a stop ends the retries): the file stays, and the record
    // `processing` is settled at the next start.
    result.outcome = FileOutcome::kRetryLater;
    result.error = s;
    return result;
  }

  // Moved like a loaded file: from its descriptor, so what is quarantined is
  // what was refused, and a file that replaced it meanwhile stays to be loaded.
  auto moved = ArchiveLanded(*folder_, file.relative, *file.landed, config_.quarantine);
  if (!moved) {
    // Reports are written only in the quarantine folder: beside the file they
    // would be picked up as data. The file stays, pending with the error, and is
    // tried again later.
    GlobalMetrics().QuarantineMoveFailed();
    Status failed = Status::Unavailable("cannot move to quarantine (" + why.message() +
                                        "): " + moved.error().message());
    LogError("quarantine_move_failed", {{"file", path}, {"error", failed.message()}});
    auto release = [&] { return ledger_.Release(file_id, failed.message()).status(); };
    (void)RetryLedger("release", path, release(), release);
    result.outcome = FileOutcome::kRetryLater;
    result.error = failed;
    return result;
  }
  const std::string& final_path = moved->final_path;
  if (moved->newcomer) {
    result.resight = true;
    LogWarn("replaced_while_loading", {{"file", path}, {"quarantined_as", final_path}});
  }

  std::string rejects_file;
  if (attempt.rejects.count() > 0) {
    auto kept = attempt.rejects.Keep(config_.quarantine,
                                     RelativeTo(final_path, config_.quarantine) + ".rejects.jsonl");
    if (kept) {
      rejects_file = *kept;
    } else {
      LogWarn("rejects_not_written", {{"file", path}, {"error", kept.error().ToString()}});
    }
  }
  QuarantineReport report{path,
                          final_path,
                          id.hash,
                          result.table,
                          why.message(),
                          NowMicros(),
                          attempt.rows_read,
                          attempt.rejects.count(),
                          rejects_file,
                          attempt.rejects.first(),
                          attempt.rejects.counts()};
  s = WriteQuarantineReport(report);
  if (!s.ok()) LogError("report_not_written", {{"file", path}, {"error", s.ToString()}});
  auto set_path = [&] { return ledger_.SetFinalPath(file_id, final_path, rejects_file); };
  (void)RetryLedger("set final path", path, set_path(), set_path);
  GlobalMetrics().RowsRejected(result.table, attempt.rejects.counts());
  return result;
}

Status FileLoader::Archive(const Sighting& file, int64_t file_id, bool& resight,
                           ParquetArchive* parquet) {
  std::string final_path;
  switch (file.plan.after_load) {
    case AfterLoad::kKeep:
      final_path = "kept";
      break;
    case AfterLoad::kParquet: {
      // The original is removed only once the Parquet file is durable: a crash in
      // between leaves it, to be recognised as loaded and archived again.
      if (parquet != nullptr) {
        ASSIGN_OR_RETURN(final_path, parquet->Finish());
      } else {
        ASSIGN_OR_RETURN(final_path, ArchiveAsParquet(file));
      }
      auto removed = DeleteLanded(*folder_, file.relative, *file.landed);
      if (!removed) return removed.error();
      if (removed->newcomer) {
        resight = true;
        LogWarn("replaced_while_loading", {{"file", file.path}, {"archived_as", final_path}});
      }
      break;
    }
    case AfterLoad::kDelete:
    case AfterLoad::kMove: {
      auto archived = file.plan.after_load == AfterLoad::kDelete
                          ? DeleteLanded(*folder_, file.relative, *file.landed)
                          : ArchiveLanded(*folder_, file.relative, *file.landed, config_.processed);
      if (!archived) return archived.error();
      final_path = archived->final_path;
      if (archived->newcomer) {
        resight = true;
        LogWarn("replaced_while_loading", {{"file", file.path}, {"archived_as", final_path}});
      }
      break;
    }
  }
  return ledger_.SetFinalPath(file_id, final_path);
}

void FileLoader::RecordColumnsAdded(const std::string& table, const std::vector<ColumnDef>& added,
                                    const std::string& path) {
  std::string list;
  for (const ColumnDef& column : added) {
    if (!list.empty()) list += ", ";
    list += column.name + " " + std::string(ColumnTypeName(column.type));
    // The column exists now whatever the ledger says; a failed record is only logged.
    Status s = ledger_.RecordColumnAdded(
        {table, column.name, std::string(ColumnTypeName(column.type)), path, 0});
    if (!s.ok()) LogError("ledger_error", {{"file", path}, {"error", s.ToString()}});
  }
  LogInfo("columns_added", {{"table", table}, {"columns", list}, {"file", path}});
}

}  // namespace sluice

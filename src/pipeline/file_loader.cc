#include "pipeline/file_loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "core/clock.h"
#include "core/exception_status.h"
#include "core/retry_policy.h"
#include "format/record_reader.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "pipeline/archive.h"
#include "pipeline/batch_producer.h"
#include "pipeline/file_loader_parts.h"
#include "pipeline/load_gate.h"
#include "pipeline/rejects.h"
#include "pipeline/table_resolver.h"
#include "schema/validator.h"
#include "transform/naming.h"

namespace sluice {

namespace {
// A load that fails transiently is tried again within the retry budget.
constexpr RetryPolicy kSinkRetry{std::chrono::milliseconds(250), std::chrono::seconds(8)};
}  // namespace

std::string_view FileOutcomeName(FileOutcome outcome) {
  switch (outcome) {
    case FileOutcome::kLoaded:
      return "loaded";
    case FileOutcome::kDuplicate:
      return "duplicate";
    case FileOutcome::kAlreadyDone:
      return "already_done";
    case FileOutcome::kQuarantined:
      return "quarantined";
    case FileOutcome::kRetryLater:
      return "retry_later";
    case FileOutcome::kGone:
      return "gone";
    case FileOutcome::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

FileLoader::FileLoader(const Config& config, std::string source_root, Ledger& ledger,
                       std::unique_ptr<Sink> sink, const LoaderSignals& signals)
    : config_(config),
      source_root_(std::move(source_root)),
      ledger_(ledger),
      sink_(std::move(sink)),
      signals_(signals) {}

std::vector<FileResult> FileLoader::Process(const std::vector<std::string>& paths) {
  std::vector<FileResult> results(paths.size());
  // Every file is opened beneath the folder's descriptor, opened afresh for each
  // call so that a folder replaced meanwhile is followed.
  folder_.reset();
  auto folder = SourceFolder::Open(source_root_);
  if (!folder) {
    for (FileResult& result : results) {
      result.outcome = FileOutcome::kRetryLater;
      result.error = folder.error();
    }
    return results;
  }
  folder_.emplace(std::move(*folder));
  std::vector<Sighting> sighted;
  for (size_t i = 0; i < paths.size(); ++i) {
    Sighting file;
    file.index = i;
    file.path = paths[i];
    file.plan = config_.Resolve(RelativeTo(paths[i], source_root_));
    file.started = std::chrono::steady_clock::now();
    results[i].table = file.plan.table;
    if (Sight(file, results[i])) sighted.push_back(std::move(file));
  }

  // From the claims until the outcomes, no suspect of a crash loads (LoadGate).
  LoadGate::Shared shared(signals_.gate);
  // Every claim in one ledger transaction.
  std::vector<Result<Claim>> claims;
  {
    Ledger::Batch batch(ledger_);
    for (const Sighting& file : sighted)
      claims.push_back(ledger_.ClaimFile(file.id, file.plan.table));
    Status committed = batch.Commit();
    if (!committed.ok()) claims.assign(claims.size(), Result<Claim>(committed));
  }
  std::vector<Sighting> claimed;
  std::vector<Sighting> suspects;  // in flight when sluice stopped: loaded alone, last
  for (size_t k = 0; k < sighted.size(); ++k) {
    FileResult& result = results[sighted[k].index];
    if (!claims[k]) {
      result.outcome = FileOutcome::kRetryLater;
      result.error = claims[k].error();
    } else if (claims[k]->outcome == ClaimOutcome::kClaimed && claims[k]->crashes > 0) {
      auto release = [&] {
        return ledger_.Unclaim(claims[k]->file_id, "sluice stopped while loading this file");
      };
      (void)RetryLedger("release", sighted[k].path, release(), release);
      suspects.push_back(std::move(sighted[k]));
    } else if (claims[k]->outcome == ClaimOutcome::kClaimed) {
      sighted[k].file_id = claims[k]->file_id;
      claimed.push_back(std::move(sighted[k]));
    } else {
      result = Settle(sighted[k], *claims[k]);
      Done(sighted[k], result);
    }
  }

  // Small files of one table load in groups; the rest, and the files of a group
  // that failed, one by one.
  std::vector<const Sighting*> alone;
  std::map<std::string, std::vector<const Sighting*>> small;  // by table
  for (const Sighting& file : claimed) {
    if (file.id.size <= kGroupFileBytes) {
      small[file.plan.table].push_back(&file);
    } else {
      alone.push_back(&file);
    }
  }
  for (auto& [table, files] : small) ProcessSmall(files, results, alone);
  std::sort(alone.begin(), alone.end(),
            [](const Sighting* a, const Sighting* b) { return a->index < b->index; });
  bool sink_down = false;
  for (const Sighting* file : alone) {
    FileResult& result = results[file->index];
    if (sink_down || signals_.stop.load()) {
      // Not tried: the sink is down (found by an earlier file of this call) or a
      // stop was requested. The file is loaded again later.
      Status status = signals_.stop.load() ? Status::Unavailable("stop requested")
                                           : Status::Unavailable("the sink is down");
      result = Release(*file, status, sink_down);
    } else {
      result = ProcessClaimed(*file);
      sink_down = result.sink_down;
    }
    Done(*file, result);
  }
  shared.Leave();
  for (Sighting& file : suspects) {
    FileResult& result = results[file.index];
    result = LoadAlone(file);
    Done(file, result);
  }
  return results;
}

FileResult FileLoader::LoadAlone(Sighting& file) {
  LoadGate::Alone alone(signals_.gate);
  FileResult result;
  result.table = file.plan.table;
  result.bytes = file.id.size;
  if (signals_.stop.load() || signals_.sink_down.load()) {
    // Not claimed: it stays pending and is loaded later.
    result.outcome = signals_.stop.load() ? FileOutcome::kInterrupted : FileOutcome::kRetryLater;
    result.error =
        Status::Unavailable(signals_.stop.load() ? "stop requested" : "the sink is down");
    return result;
  }
  auto claim = ledger_.ClaimFile(file.id, file.plan.table);
  if (!claim) {
    result.outcome = FileOutcome::kRetryLater;
    result.error = claim.error();
    return result;
  }
  if (claim->outcome != ClaimOutcome::kClaimed) return Settle(file, *claim);
  file.file_id = claim->file_id;
  LogInfo("loading_alone", {{"file", file.path}, {"crashes", int64_t{claim->crashes}}});
  return ProcessClaimed(file);
}

void FileLoader::Done(const Sighting& file, FileResult& result) {
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - file.started).count();
  if (result.outcome == FileOutcome::kLoaded) {
    LogInfo("loaded", {{"file", file.path},
                       {"table", result.table},
                       {"rows", result.rows},
                       {"rejects", result.rejected},
                       {"skipped", result.skipped},
                       {"bytes", result.bytes},
                       {"duration_ms", static_cast<int64_t>(result.seconds * 1000)}});
  } else if (result.outcome == FileOutcome::kQuarantined) {
    LogWarn("quarantined", {{"file", file.path},
                            {"table", result.table},
                            {"rows", result.rows},
                            {"rejects", result.rejected},
                            {"bytes", result.bytes},
                            {"duration_ms", static_cast<int64_t>(result.seconds * 1000)},
                            {"reason", result.error.message()}});
  }
}

bool FileLoader::Sight(Sighting& file, FileResult& result) {
  auto fail = [&](const Status& why) {
    result.outcome =
        why.code() == StatusCode::kNotFound ? FileOutcome::kGone : FileOutcome::kRetryLater;
    result.error = why;
    if (why.message().find(kOutsideFolder) != std::string::npos) {
      LogWarn("not_opened", {{"file", file.path}, {"error", why.message()}});
    }
    return false;
  };
  auto relative = folder_->Relative(file.path);
  if (!relative) return fail(relative.error());
  auto landed = LandedFile::Open(*folder_, *relative);
  if (!landed) return fail(landed.error());
  const struct stat& st = landed->opened_stat();
  int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (file.plan.after_load == AfterLoad::kKeep) {
    // Kept files are seen again by every rescan; skip them without re-hashing.
    auto done = ledger_.IsFinishedUnchanged(file.path, static_cast<uint64_t>(st.st_size), mtime_ns);
    if (done.has_value() && *done) {
      result.outcome = FileOutcome::kAlreadyDone;
      return false;
    }
  }
  auto fp = landed->Fingerprint();
  if (!fp) return fail(fp.error());
  file.id = FileIdentity{fp->hash, file.path, fp->size, fp->mtime_ns};
  file.relative = std::move(*relative);
  file.landed.emplace(std::move(*landed));
  result.bytes = fp->size;
  return true;
}

FileResult FileLoader::Settle(const Sighting& file, const Claim& claim) {
  FileResult result;
  result.table = file.plan.table;
  result.bytes = file.id.size;
  switch (claim.outcome) {
    case ClaimOutcome::kClaimed:
      break;
    case ClaimOutcome::kBusy:
      result.outcome = FileOutcome::kRetryLater;
      result.error = Status::Unavailable("the same content is being loaded by another worker");
      break;
    case ClaimOutcome::kAlreadyLoaded:
    case ClaimOutcome::kDuplicate: {
      result.outcome = claim.outcome == ClaimOutcome::kDuplicate ? FileOutcome::kDuplicate
                                                                 : FileOutcome::kAlreadyDone;
      Status s = Archive(file, claim.file_id, result.resight);
      if (!s.ok()) LogWarn("archive_failed", {{"file", file.path}, {"error", s.ToString()}});
      if (result.outcome == FileOutcome::kDuplicate) {
        LogInfo("duplicate",
                {{"file", file.path}, {"table", file.plan.table}, {"same_as", claim.earlier_path}});
      }
      break;
    }
    case ClaimOutcome::kQuarantinedBefore: {
      Attempt attempt(file.path, config_.quarantine);
      result = Quarantine(
          file, claim.file_id, attempt,
          Status::InvalidData("same content was quarantined before as " + claim.earlier_path +
                              "; use `sluice requeue` to try it again"));
      break;
    }
  }
  return result;
}

FileResult FileLoader::ProcessClaimed(const Sighting& file) {
  const std::string& path = file.path;
  const FileIdentity& id = file.id;
  const int64_t file_id = file.file_id;
  const TablePlan& plan = file.plan;
  FileResult result;
  result.table = plan.table;
  result.bytes = id.size;
  // A previous attempt may have committed without the ledger hearing of it.
  auto committed = sink_->IsCommitted(id.hash);
  if (committed.has_value() && *committed) {
    auto mark = [&] { return ledger_.MarkLoaded(file_id, LoadSummary{}); };
    Status s = RetryLedger("mark loaded", path, mark(), mark);
    if (s.ok()) s = Archive(file, file_id, result.resight);
    result.outcome = s.ok() ? FileOutcome::kAlreadyDone : FileOutcome::kRetryLater;
    result.error = s;
    return result;
  }

  std::optional<Backoff> backoff;
  std::chrono::steady_clock::time_point give_up;
  Attempt attempt(path, config_.quarantine);
  Status status;
  for (;;) {
    attempt.rejects.Discard();
    attempt.rows_read = 0;
    attempt.counts = LoadCounts{};
    try {
      status = LoadOnce(file, attempt);
    } catch (...) {
      // This thread's exception boundary: what one file's load throws (an
      // allocation failure, a library's exception) quarantines that file and
      // leaves the daemon running.
      sink_->Abort();
      status = ExceptionStatus("loading the file");
    }
    if (status.ok() || !status.IsTransient() || attempt.changed || signals_.stop.load() ||
        signals_.sink_down.load()) {
      break;
    }
    auto now = std::chrono::steady_clock::now();
    if (!backoff) {
      backoff.emplace(kSinkRetry);
      give_up = now + config_.retry_budget;
    }
    if (now >= give_up) break;
    auto delay = std::min(backoff->Next(),
                          std::chrono::duration_cast<std::chrono::milliseconds>(give_up - now));
    GlobalMetrics().SinkRetry();
    GlobalMetrics().SetSinkUp(false);
    LogWarn("retrying", {{"file", path},
                         {"error", status.ToString()},
                         {"delay_ms", static_cast<int64_t>(delay.count())}});
    for (auto slept = std::chrono::milliseconds(0);
         slept < delay && !signals_.stop.load() && !signals_.sink_down.load();
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (status.code() == StatusCode::kAlreadyExists) {
    // The sink holds this load's commit marker: an earlier try committed and only
    // its acknowledgement was lost (a connection dropped during COMMIT). Done.
    LogWarn("already_committed", {{"file", path}, {"table", plan.table}});
    attempt.rejects.Discard();
    status = Status::Ok();
  }
  if (!status.ok() && !attempt.changed) {
    // A file still being written can look damaged (a record cut off): if it has
    // changed since it was hashed, that is the reason, not its data.
    Status unchanged = file.landed->CheckUnchanged();
    if (!unchanged.ok()) {
      attempt.changed = true;
      status = unchanged;
    }
  }
  if (status.ok()) return Loaded(file, attempt, MarkLoaded(file, attempt));
  if (attempt.changed) return Changed(file, status);
  if (status.code() == StatusCode::kPermissionDenied) {
    // The sink refuses sluice (credentials, privileges, database), not the data:
    // the sink is down until an administrator fixes it; the file waits, pending.
    return Release(file, status, true);
  }
  if (!status.IsTransient()) {
    // Retrying cannot help: the file (or what the sink makes of it) is refused.
    return Quarantine(file, file_id, attempt, status);
  }
  // Interrupted or transient past its budget: the file stays where it is and
  // pending in the ledger, so it is loaded again later.
  return Release(file, status, false);
}

Status FileLoader::Open(const Sighting& file, Attempt& attempt, Opened& out) {
  std::optional<Format> format = file.plan.format ? file.plan.format : FormatFromPath(file.path);
  if (!format) {
    return Status::InvalidData(
        "unknown file type (expected .csv, .tsv, .json, .jsonl, .ndjson, "
        "optionally .gz or .zst)");
  }
  ASSIGN_OR_RETURN(auto input, file.landed->Stream());
  ReaderOptions options = file.plan.Reader();
  options.stop = &signals_.stop;
  ASSIGN_OR_RETURN(out.reader, OpenReader(*format, std::move(input), options));
  ASSIGN_OR_RETURN(out.first_rows, out.reader->ReadBatch(out.first, attempt.rejects));
  out.names = NormalizeColumnNames(out.first.columns(), file.plan.normalize_names);
  if (out.first_rows == 0 && out.first.columns().empty()) {
    if (attempt.rejects.count() > 0) return Status::InvalidData("no readable rows");
    return Status::InvalidData("the file is empty");
  }
  return Status::Ok();
}

Status FileLoader::Prepare(const Sighting& file, Attempt& attempt, Opened& opened,
                           const std::optional<TableDef>& known) {
  ASSIGN_OR_RETURN(opened.table,
                   ResolveTable(*sink_, file.plan, opened.names, opened.first, known));
  attempt.table = opened.table.load.name;
  if (!opened.table.added.empty()) {
    RecordColumnsAdded(opened.table.load.name, opened.table.added, file.path);
  }
  ASSIGN_OR_RETURN(Validator validator, Validator::Create(opened.table.schema));
  opened.validator.emplace(std::move(validator));
  return opened.validator->Bind(opened.names);
}

Status FileLoader::WriteRows(const Sighting& file, Attempt& attempt, Opened& opened, size_t load) {
  Status status;
  uint64_t validation_rejects = 0;
  {
    BatchProducer producer({opened.reader.get(), &*opened.validator, &file.plan, &opened.table.load,
                            &attempt.rejects, &file.path, NowMicros(), &signals_.stop},
                           std::move(opened.first));
    for (;;) {
      auto batch = producer.Next();
      if (!batch) {
        status = batch.error();
        break;
      }
      if (*batch == nullptr) break;
      status = sink_->Write(**batch, load);
      if (!status.ok()) break;
    }
    producer.Stop();
    attempt.rows_read = producer.rows_read();
    validation_rejects = producer.validation_rejects();
  }
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(attempt.rejects.write_status());
  // Records the reader dropped never reached rows_read but count towards the total.
  uint64_t total = attempt.rows_read + (attempt.rejects.count() - validation_rejects);
  if (!file.plan.WithinThreshold(attempt.rejects.count(), total)) {
    return attempt.rejects.TooMany(std::to_string(attempt.rejects.count()) + " of " +
                                   std::to_string(total) + " rows are bad");
  }
  return Status::Ok();
}

Status FileLoader::LoadOnce(const Sighting& file, Attempt& attempt) {
  // The bytes read are those hashed (the stream stops at the hashed size); if the
  // file has changed since, they are not what the file is: nothing commits.
  auto unchanged = [&] {
    Status s = file.landed->CheckUnchanged();
    attempt.changed = !s.ok();
    return s;
  };
  RETURN_IF_ERROR(unchanged());
  Opened opened;
  RETURN_IF_ERROR(Open(file, attempt, opened));
  if (opened.names.empty() && !file.plan.metadata.any()) {
    // Only empty objects ({} in JSON): valid records without a single value. There
    // is nothing to put in a table, but the rest must still be read and be valid.
    size_t n = opened.first_rows;
    while (n > 0) {
      attempt.rows_read += n;
      ASSIGN_OR_RETURN(n, opened.reader->ReadBatch(opened.first, attempt.rejects));
      if (!opened.first.columns().empty()) {
        return Status::InvalidData("columns appear only after the first batch of empty records");
      }
    }
    uint64_t rejected = attempt.rejects.count();
    if (!file.plan.WithinThreshold(rejected, attempt.rows_read + rejected)) {
      return attempt.rejects.TooMany(std::to_string(rejected) + " bad records");
    }
    LogWarn("no_columns", {{"file", file.path}, {"records", attempt.rows_read}});
    return unchanged();
  }
  RETURN_IF_ERROR(Prepare(file, attempt, opened, std::nullopt));
  RETURN_IF_ERROR(sink_->Begin(opened.table.load, {LoadId{file.id.hash, file.path}}));
  Status status = WriteRows(file, attempt, opened, 0);
  if (status.ok()) status = unchanged();
  if (!status.ok()) {
    sink_->Abort();
    return status;
  }
  ASSIGN_OR_RETURN(std::vector<LoadCounts> counts, sink_->Commit());
  attempt.counts = counts.front();
  return Status::Ok();
}

}  // namespace sluice

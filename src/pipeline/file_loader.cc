// FileLoader, the job of one call: every file sighted (opened and hashed), the
// files claimed in one ledger transaction, the claimed ones dispatched to groups
// (small files of one table) or loaded alone, and suspects of a crash loaded last
// with no other file in flight (LoadGate).
#include "pipeline/file_loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "observe/log.h"
#include "pipeline/archive.h"
#include "pipeline/file_loader_parts.h"
#include "pipeline/load_gate.h"

namespace sluice {

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
                       {"filtered", result.filtered},
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

}  // namespace sluice

// FileLoader, the one load path: LoadMembers loads a list of files as one sink
// transaction (Begin with a load per file → their rows written in turn → every
// file checked unchanged → Commit), and RecordLoaded records them in the ledger
// and archives them. A group of small files (file_loader_group.cc) goes through it
// once; a file alone is a group of one, loaded by ProcessClaimed with retries of
// transient faults within the retry budget.
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "core/exception_status.h"
#include "core/retry_policy.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "pipeline/batch_producer.h"
#include "pipeline/file_loader.h"
#include "pipeline/file_loader_parts.h"
#include "transform/naming.h"
#include "transform/normalize.h"

namespace sluice {
namespace {

// A load that fails transiently is tried again within the retry budget.
constexpr RetryPolicy kSinkRetry{std::chrono::milliseconds(250), std::chrono::seconds(8)};
// Tries of one file without the rows the database refused: each reads the file
// again, so a sink that names one row per refusal (PostgreSQL) is bounded.
constexpr int kRefusedTries = 16;

// The reader of a group member whose rows were all read when it was scouted.
class EndOfInput final : public RecordReader {
 public:
  Result<size_t> ReadBatch(TextBatch& out, RowErrorSink&) override {
    out.Clear();
    return size_t{0};
  }
};

}  // namespace

FileResult FileLoader::ProcessClaimed(const Sighting& file) {
  const std::string& path = file.path;
  FileResult result;
  result.table = file.plan.table;
  result.bytes = file.id.size;
  // A previous attempt may have committed without the ledger hearing of it. (An
  // error only skips this shortcut: Begin refuses a committed load.)
  Result<bool> committed = false;
  Status status;
  try {
    committed = sink_->IsCommitted(file.id.hash);
  } catch (...) {
    status = ExceptionStatus("asking the sink whether the file was loaded");
  }
  if (committed.has_value() && *committed) {
    auto mark = [&] { return ledger_.MarkLoaded(file.file_id, LoadSummary{}); };
    Status s = RetryLedger("mark loaded", path, mark(), mark);
    if (s.ok()) s = Archive(file, file.file_id, result.resight);
    result.outcome = s.ok() ? FileOutcome::kAlreadyDone : FileOutcome::kRetryLater;
    result.error = s;
    return result;
  }

  Member member(file, config_.quarantine);
  Attempt& attempt = member.attempt;
  if (status.ok()) status = LoadRetrying(member);  // not if the sink threw above
  if (status.code() == StatusCode::kAlreadyExists) {
    // The sink holds this load's commit marker: an earlier try committed and only
    // its acknowledgement was lost (a connection dropped during COMMIT). Done.
    LogWarn("already_committed", {{"file", path}, {"table", file.plan.table}});
    attempt.rejects.Discard();
    status = Status::Ok();
  }
  if (!status.ok() && !attempt.changed) {
    // A file still being written can look damaged (a record cut off): if it has
    // changed since it was hashed, that is the reason, not its data.
    Status unchanged = StillAsHashed(file, attempt);
    if (!unchanged.ok()) status = unchanged;
  }
  if (status.ok()) return std::move(RecordLoaded({&member}).front());
  if (attempt.changed) return Changed(file, status);
  if (status.code() == StatusCode::kPermissionDenied) {
    // The sink refuses sluice (credentials, privileges, database), not the data:
    // the sink is down until an administrator fixes it; the file waits, pending.
    return Release(file, status, true);
  }
  if (!status.IsTransient()) {
    // Retrying cannot help: the file (or what the sink makes of it) is refused.
    return Quarantine(file, file.file_id, attempt, status);
  }
  // Interrupted or transient past its budget: the file stays where it is and
  // pending in the ledger, so it is loaded again later.
  return Release(file, status, false);
}

Status FileLoader::LoadRetrying(Member& member) {
  std::optional<Backoff> backoff;
  std::chrono::steady_clock::time_point give_up;
  Attempt& attempt = member.attempt;
  Status status;
  int refused_tries = 0;
  for (;;) {
    attempt.rejects.Discard();
    attempt.parquet.reset();
    attempt.rows_read = 0;
    attempt.counts = LoadCounts{};
    member.opened = Opened();
    try {
      status = LoadOnce(member);
    } catch (...) {
      // This thread's exception boundary: what one file's load throws (an
      // allocation failure, a library's exception) quarantines that file and
      // leaves the daemon running.
      sink_->Abort();
      status = ExceptionStatus("loading the file");
    }
    if (ExcludeRefused(member, status, refused_tries)) continue;
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
    LogWarn("retrying", {{"file", member.file.path},
                         {"error", status.ToString()},
                         {"delay_ms", static_cast<int64_t>(delay.count())}});
    for (auto slept = std::chrono::milliseconds(0);
         slept < delay && !signals_.stop.load() && !signals_.sink_down.load();
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  member.opened = Opened();
  return status;
}

bool FileLoader::ExcludeRefused(Member& member, const Status& status, int& tries) {
  if (status.code() != StatusCode::kInvalidData || member.attempt.changed) return false;
  Attempt& attempt = member.attempt;
  std::vector<RowError> added;
  for (const RefusedRow& row : sink_->refused()) {
    // A file alone is load 0 (a group's refusals are found by its members alone).
    if (row.load != 0 || attempt.refused.count(row.line) > 0) continue;
    RowError error;
    error.line = row.line;
    error.column = row.column;
    error.message = "refused by the database: " + row.reason;
    error.kind = RowErrorKind::kRefused;
    error.hint = "the table's column is narrower than sluice's type: widen it, or fix the value";
    attempt.refused.emplace(row.line, error);
    added.push_back(std::move(error));
  }
  if (added.empty()) return false;  // nothing new to leave out: trying again cannot help
  const TablePlan& plan = member.file.plan;
  if (++tries <= kRefusedTries && !plan.CountExceeded(attempt.refused.size())) {
    LogWarn("rows_refused", {{"file", member.file.path},
                             {"rows", static_cast<int64_t>(added.size())},
                             {"first_line", added.front().line},
                             {"error", status.message()}});
    return true;
  }
  for (RowError& error : added) attempt.rejects.Report(std::move(error));
  return false;
}

Status FileLoader::StillAsHashed(const Sighting& file, Attempt& attempt) {
  Status unchanged = file.landed->CheckUnchanged();
  attempt.changed = !unchanged.ok();
  return unchanged;
}

Status FileLoader::LoadOnce(Member& member) {
  // Read bytes are those hashed (the stream stops at the hashed size): a file
  // that changed since is not what would be read, and is not started.
  RETURN_IF_ERROR(StillAsHashed(member.file, member.attempt));
  RETURN_IF_ERROR(Open(member.file, member.attempt, member.opened));
  if (member.opened.names.empty() && !member.file.plan.metadata.any()) {
    return ReadColumnless(member);
  }
  RETURN_IF_ERROR(Prepare(member.file, member.attempt, member.opened, std::nullopt));
  return LoadMembers({&member});
}

Status FileLoader::ReadColumnless(Member& member) {
  // Only empty objects ({} in JSON): valid records without a single value. There
  // is nothing to put in a table, but the rest must still be read and be valid.
  Attempt& attempt = member.attempt;
  Opened& opened = member.opened;
  const Sighting& file = member.file;
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
  return StillAsHashed(file, attempt);
}

Status FileLoader::LoadMembers(const std::vector<Member*>& members) {
  std::vector<LoadId> loads;
  loads.reserve(members.size());
  for (const Member* member : members) loads.push_back({member->file.id.hash, member->file.path});
  const ResolvedTable& table = members.front()->opened.table;
  Status status = sink_->Begin(table.load, loads, table.aggregates ? &*table.aggregates : nullptr);
  for (size_t i = 0; i < members.size() && status.ok(); ++i) {
    Member& member = *members[i];
    if (member.opened.reader == nullptr) {
      // Scouted and closed: its rows were kept, or it is read again.
      if (member.rows_kept) {
        member.opened.reader = std::make_unique<EndOfInput>();
      } else {
        status = Open(member.file, member.attempt, member.opened);
      }
    }
    if (status.ok()) status = WriteRows(member.file, member.attempt, member.opened, i);
    // One member's reader and batches are held at a time.
    member.opened.reader.reset();
    member.opened.first = TextBatch();
  }
  // The bytes read are those hashed (the stream stops at the hashed size); if a
  // file has changed since, they are not what the file is: nothing commits. (In a
  // group, the changed member then finds out alone, before it is read.)
  for (size_t i = 0; i < members.size() && status.ok(); ++i) {
    status = StillAsHashed(members[i]->file, members[i]->attempt);
  }
  if (!status.ok()) {
    sink_->Abort();
    return status;
  }
  // Kept before the commit, not after: a commit whose answer is lost is found
  // committed by the next try's Begin (AlreadyExists), which reads nothing, and
  // these are then the aggregates committed. Read only once the load committed.
  for (Member* member : members) {
    if (!member->opened.aggregator) continue;
    member->attempt.aggregates = member->opened.aggregator->Rows();
    member->attempt.aggregates_table = member->opened.table.aggregates->name;
  }
  ASSIGN_OR_RETURN(std::vector<LoadCounts> counts, sink_->Commit());
  if (counts.size() != members.size()) {
    return Status::Internal("the sink committed " + std::to_string(members.size()) +
                            " loads and counted " + std::to_string(counts.size()));
  }
  for (size_t i = 0; i < members.size(); ++i) members[i]->attempt.counts = counts[i];
  return Status::Ok();
}

std::vector<FileResult> FileLoader::RecordLoaded(const std::vector<Member*>& members) {
  // Several files committed in one sink transaction are recorded in one ledger
  // transaction, so the ledger's fixed cost is paid once per group too.
  std::vector<Status> recorded;
  {
    std::optional<Ledger::Batch> batch;
    if (members.size() > 1) batch.emplace(ledger_);
    for (Member* member : members) {
      // Kept first, so that the record of the load says where its rejects are.
      KeepRejects(member->file, member->attempt);
      recorded.push_back(MarkLoaded(member->file, member->attempt));
    }
    if (batch) {
      Status committed = batch->Commit();
      if (!committed.ok()) recorded.assign(members.size(), committed);
    }
  }
  std::vector<FileResult> results;
  std::optional<Ledger::Batch> batch;  // the final paths
  if (members.size() > 1) batch.emplace(ledger_);
  for (size_t i = 0; i < members.size(); ++i) {
    results.push_back(Loaded(members[i]->file, members[i]->attempt, recorded[i]));
  }
  if (batch) {
    Status committed = batch->Commit();
    if (!committed.ok()) LogError("ledger_error", {{"error", committed.ToString()}});
  }
  return results;
}

Status FileLoader::Open(const Sighting& file, Attempt& attempt, Opened& out) {
  std::optional<Format> format = file.plan.format ? file.plan.format : FormatFromPath(file.path);
  ASSIGN_OR_RETURN(auto input, file.landed->Stream());
  if (!format) format = FormatFromMagic(*input);
  if (!format) {
    return Status::InvalidData(
        "unknown file type (expected .csv, .tsv, .json, .jsonl, .ndjson, "
        "optionally .gz or .zst, or .parquet)");
  }
  ReaderOptions options = file.plan.Reader();
  options.stop = &signals_.stop;
  ASSIGN_OR_RETURN(out.reader, OpenReader(*format, std::move(input), options));
  ASSIGN_OR_RETURN(out.first_rows, out.reader->ReadBatch(out.first, attempt.rejects));
  out.names = NormalizeColumnNames(out.first.columns(), file.plan.normalize_names);
  // Before inference, so that it sees the values as they load (the producer
  // normalises the later batches).
  Normalizer(file.plan.normalize).Apply(out.first, out.names);
  if (out.first_rows == 0 && out.first.columns().empty()) {
    if (attempt.rejects.count() > 0) return Status::InvalidData("no readable rows");
    return Status::InvalidData("the file is empty");
  }
  return Status::Ok();
}

Status FileLoader::Prepare(const Sighting& file, Attempt& attempt, Opened& opened,
                           const std::optional<TableDef>& known,
                           const std::optional<TableDef>& known_aggregates) {
  ASSIGN_OR_RETURN(opened.table, ResolveTable(*sink_, file.plan,
                                              {opened.names, opened.first, file.inferred,
                                               opened.reader->declared_types()},
                                              known, known_aggregates));
  attempt.table = opened.table.load.name;
  if (!opened.table.added.empty()) {
    RecordColumnsAdded(opened.table.load.name, opened.table.added, file.path);
  }
  ASSIGN_OR_RETURN(Validator validator, Validator::Create(opened.table.schema));
  opened.validator.emplace(std::move(validator));
  return opened.validator->Bind(opened.names);
}

Status FileLoader::ForEachBatch(const Sighting& file, Attempt& attempt, Opened& opened,
                                const std::function<Status(const Batch&)>& consume,
                                uint64_t& validation_rejects) {
  Status status;
  // One instant per reading of the file: its rows' `_loaded_at` and its aggregates'.
  attempt.loaded_at = NowMicros();
  BatchProducer producer(
      {opened.reader.get(), &*opened.validator, &file.plan, &opened.table.load, &attempt.rejects,
       &file.path, attempt.loaded_at, &signals_.stop,
       opened.table.transforms ? &*opened.table.transforms : nullptr, &attempt.refused},
      std::move(opened.first));
  for (;;) {
    auto batch = producer.Next();
    if (!batch) {
      status = batch.error();
      break;
    }
    if (*batch == nullptr) break;
    status = consume(**batch);
    if (!status.ok()) break;
  }
  producer.Stop();
  attempt.rows_read = producer.rows_read();
  attempt.rows_filtered = producer.rows_filtered();
  validation_rejects = producer.validation_rejects();
  return status;
}

Status FileLoader::WriteRows(const Sighting& file, Attempt& attempt, Opened& opened, size_t load) {
  uint64_t validation_rejects = 0;
  if (file.plan.after_load == AfterLoad::kParquet) {
    ASSIGN_OR_RETURN(attempt.parquet,
                     ParquetArchive::Start(config_.processed, file.relative,
                                           opened.table.load.columns, file.id.hash));
  }
  // A new aggregator each try: what an earlier try aggregated (rows the database
  // then refused) is not the file's.
  std::optional<FileAggregator>& aggregator = opened.aggregator;
  aggregator.reset();
  if (opened.table.aggregates) {
    ASSIGN_OR_RETURN(FileAggregator created,
                     FileAggregator::Create(*file.plan.aggregates, opened.table.load));
    aggregator.emplace(std::move(created));
  }
  RETURN_IF_ERROR(ForEachBatch(
      file, attempt, opened,
      [&](const Batch& batch) {
        RETURN_IF_ERROR(sink_->Write(batch, load));
        // The rows written, after the filter and without bad rows.
        if (aggregator) RETURN_IF_ERROR(aggregator->Add(batch));
        return attempt.parquet ? attempt.parquet->Write(batch) : Status::Ok();
      },
      validation_rejects));
  if (attempt.parquet) RETURN_IF_ERROR(attempt.parquet->Drain());  // written, or the load fails
  RETURN_IF_ERROR(attempt.rejects.write_status());
  // Records the reader dropped never reached rows_read but count towards the total.
  uint64_t total = attempt.rows_read + (attempt.rejects.count() - validation_rejects);
  if (!file.plan.WithinThreshold(attempt.rejects.count(), total)) {
    return attempt.rejects.TooMany(std::to_string(attempt.rejects.count()) + " of " +
                                   std::to_string(total) + " rows are bad");
  }
  if (aggregator) {
    // `_file` as the metadata column has it; `_load_id` the load's id, the hash.
    RETURN_IF_ERROR(
        sink_->WriteSide(aggregator->ToBatch(file.path, file.id.hash, attempt.loaded_at), load));
  }
  return Status::Ok();
}

}  // namespace sluice

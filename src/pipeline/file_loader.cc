#include "pipeline/file_loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "core/clock.h"
#include "core/exception_status.h"
#include "format/record_reader.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "pipeline/archive.h"
#include "pipeline/batch_producer.h"
#include "pipeline/load_gate.h"
#include "pipeline/quarantine_report.h"
#include "pipeline/rejects.h"
#include "pipeline/retry.h"
#include "schema/cell_parse.h"
#include "schema/infer.h"
#include "schema/validator.h"
#include "source/file_input.h"
#include "transform/metadata.h"
#include "transform/naming.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

// The file's columns as inference sees them in `sample`, under their (normalised)
// table names. A sample without empty cells proves nothing about later files, so
// every column is nullable (declare a schema for NOT NULL).
Schema InferFromSample(const std::vector<std::string>& names, const TextBatch& sample) {
  Schema schema = InferSchema(sample);
  for (size_t i = 0; i < schema.columns.size() && i < names.size(); ++i) {
    schema.columns[i].name = names[i];
    schema.columns[i].nullable = true;
  }
  return schema;
}

std::string QuotedList(const std::vector<ColumnDef>& columns) {
  std::string out;
  for (const ColumnDef& c : columns) out += (out.empty() ? "\"" : ", \"") + c.name + "\"";
  return out;
}

// The columns the table lacks: declared ones, the file's own, then the plan's
// metadata columns. A type comes from the declared schema, else from inference.
std::vector<ColumnDef> MissingColumns(const TableDef& table, const TablePlan& plan,
                                      const std::vector<std::string>& names,
                                      const TextBatch& sample) {
  std::vector<ColumnDef> missing;
  auto add = [&](const ColumnDef& column) {
    if (table.FindColumn(column.name) >= 0) return;
    for (const ColumnDef& m : missing) {
      if (m.name == column.name) return;
    }
    missing.push_back({column.name, column.type, true});
  };
  if (plan.schema) {
    for (const ColumnDef& c : plan.schema->Defs()) add(c);
  }
  std::optional<Schema> inferred;
  for (const std::string& name : names) {
    if (table.FindColumn(name) >= 0 || (plan.schema && plan.schema->Find(name) >= 0)) continue;
    if (!inferred) inferred = InferFromSample(names, sample);
    int i = inferred->Find(name);
    add({name, i >= 0 ? inferred->columns[i].type : ColumnType::kString, true});
  }
  for (const ColumnDef& c : MetadataColumns(plan.metadata)) add(c);
  return missing;
}

// Why the file's column of the same name cannot load into the table's column
// `in_table`, or "" if it can. A declared type must fit the table's; an undeclared column
// conflicts only when its sample has values and none of them is of the table's
// type, so a stray bad value stays a bad row and a column the sample shows empty
// never conflicts.
std::string TypeConflict(const std::string& table, const ColumnDef& in_table, const TablePlan& plan,
                         const std::vector<std::string>& names, const TextBatch& sample) {
  auto conflict = [&](ColumnType file_type, const char* how) {
    return "column \"" + in_table.name + "\" of table \"" + table + "\" is " +
           std::string(ColumnTypeName(in_table.type)) + " but the file's is " +
           std::string(ColumnTypeName(file_type)) + " (" + how +
           "); load it into another table or change the column";
  };
  if (plan.schema) {
    int d = plan.schema->Find(in_table.name);
    if (d >= 0) {
      ColumnType declared = plan.schema->columns[d].type;
      return TypeFits(declared, in_table.type) ? "" : conflict(declared, "declared");
    }
  }
  if (in_table.type == ColumnType::kString) return "";
  auto at = std::find(names.begin(), names.end(), in_table.name);
  if (at == names.end()) return "";
  const size_t c = static_cast<size_t>(at - names.begin());
  bool has_value = false;
  for (size_t r = 0; r < sample.rows(); ++r) {
    if (sample.IsNull(r, c)) continue;
    std::string_view value = TrimBlanks(sample.Cell(r, c));
    if (value.empty()) continue;
    if (ParsesAs(value, in_table.type)) return "";
    has_value = true;
  }
  if (!has_value) return "";
  return conflict(InferFromSample(names, sample).columns[c].type, "inferred from its first rows");
}

// What a TextBatch holds in memory, roughly: its bytes and its cell index.
uint64_t BatchBytes(const TextBatch& batch) {
  const uint64_t per_row = (batch.columns().size() + 1) * sizeof(Span) + 2 * sizeof(uint64_t);
  return batch.arena_bytes() + batch.rows() * per_row;
}

// The reader of a group member whose rows were all read when it was scouted.
class EndOfInput final : public RecordReader {
 public:
  Result<size_t> ReadBatch(TextBatch& out, RowErrorSink&) override {
    out.Clear();
    return size_t{0};
  }
};

// The table a file loads into and the schema it is validated against.
struct ResolvedTable {
  Schema schema;                 // the table's data columns, with a declared schema's rules
  TableDef load;                 // the data columns in table order, then the metadata columns
  std::vector<ColumnDef> added;  // columns this file added to the table
  TableDef described;            // the table as the sink last described it
};

// If the table exists its definition wins (rules of a declared schema still apply
// by name); columns it lacks are added (schema_evolution: add_columns) or refuse
// the file. Otherwise the declared schema, or one inferred from `sample`, creates it.
// `known` is the table as described moments ago, if it is known (the files of a
// group ask once).
Result<ResolvedTable> ResolveTable(Sink& sink, const TablePlan& plan,
                                   const std::vector<std::string>& names, const TextBatch& sample,
                                   const std::optional<TableDef>& known = std::nullopt) {
  std::vector<ColumnDef> meta = MetadataColumns(plan.metadata);
  ResolvedTable out;
  std::optional<TableDef> existing = known;
  if (!existing) {
    ASSIGN_OR_RETURN(existing, sink.DescribeTable(plan.table));
  }
  if (!existing) {
    Schema schema = plan.schema ? *plan.schema : InferFromSample(names, sample);
    TableDef def{plan.table, schema.Defs(), plan.key};
    def.columns.insert(def.columns.end(), meta.begin(), meta.end());
    for (const auto& k : def.key) {
      if (def.FindColumn(k) < 0) {
        return Status::InvalidData("key column \"" + k + "\" is not a column of table " +
                                   plan.table);
      }
    }
    RETURN_IF_ERROR(sink.EnsureTable(def));
    // Another worker may have created the table first; load into what exists.
    ASSIGN_OR_RETURN(existing, sink.DescribeTable(plan.table));
    if (!existing) return Status::Internal("table " + plan.table + " missing after creation");
  }
  std::vector<ColumnDef> missing = MissingColumns(*existing, plan, names, sample);
  if (!missing.empty()) {
    if (plan.schema_evolution != SchemaEvolution::kAddColumns) {
      return Status::InvalidData("table \"" + plan.table + "\" lacks column(s) " +
                                 QuotedList(missing) +
                                 " that the file brings; schema_evolution: add_columns "
                                 "(--schema-evolution add_columns) would add them");
    }
    ASSIGN_OR_RETURN(out.added, sink.AddColumns(plan.table, missing));
    // Another worker may have added some of them first, with its own types.
    ASSIGN_OR_RETURN(existing, sink.DescribeTable(plan.table));
    if (!existing) return Status::Internal("table " + plan.table + " missing after ALTER TABLE");
  }
  // Metadata columns are found by name: ALTER TABLE puts added columns after them.
  out.described = *existing;
  const TableDef& table = *existing;
  out.load = TableDef{table.name, {}, table.key};
  for (const ColumnDef& column : table.columns) {
    bool is_meta = std::any_of(meta.begin(), meta.end(),
                               [&](const ColumnDef& m) { return m.name == column.name; });
    if (!is_meta) out.load.columns.push_back(column);
  }
  for (const ColumnDef& m : meta) {
    int i = table.FindColumn(m.name);
    if (i < 0) return Status::InvalidData("table \"" + plan.table + "\" has no column " + m.name);
    out.load.columns.push_back(table.columns[i]);
  }
  out.schema = SchemaFromDefs(std::vector<ColumnDef>(
      out.load.columns.begin(), out.load.columns.end() - static_cast<ptrdiff_t>(meta.size())));
  for (ColumnSpec& column : out.schema.columns) {
    std::string why =
        TypeConflict(plan.table, {column.name, column.type, column.nullable}, plan, names, sample);
    if (!why.empty()) return Status::InvalidData(why);
    if (plan.schema) {
      int d = plan.schema->Find(column.name);
      if (d >= 0) column.rules = plan.schema->columns[d].rules;
    }
  }
  return out;
}

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

struct FileLoader::Attempt {
  Attempt(const std::string& file, const std::string& scratch) : rejects(file, scratch) {}
  RejectLog rejects;
  uint64_t rows_read = 0;
  LoadCounts counts;
  std::string table;
  bool changed = false;  // the file changed after it was hashed
};

// A file this call claimed in the ledger (or is about to).
struct FileLoader::Sighting {
  size_t index = 0;  // into Process's paths and results
  std::string path;
  TablePlan plan;
  FileIdentity id;
  int64_t file_id = 0;
  std::chrono::steady_clock::time_point started;
  std::string relative;              // below the source folder
  std::optional<LandedFile> landed;  // opened and hashed by Sight
};

// A file opened for loading: its first batch read, then its table resolved.
struct FileLoader::Opened {
  std::unique_ptr<RecordReader> reader;
  TextBatch first;
  size_t first_rows = 0;
  std::vector<std::string> names;  // normalised
  ResolvedTable table;
  std::optional<Validator> validator;  // once the table is resolved
};

// A file of a group.
struct FileLoader::Member {
  Member(const Sighting& file, const std::string& scratch)
      : file(file), attempt(file.path, scratch) {}
  const Sighting& file;
  Attempt attempt;
  Opened opened;
  uint64_t decoded = 0;    // bytes once decoded (more than kGroupFileBytes: too large)
  bool rows_kept = false;  // opened.first holds all its rows: it need not be read again
};

FileLoader::FileLoader(const Config& config, std::string source_root, Ledger& ledger,
                       std::unique_ptr<Sink> sink, const LoaderSignals& signals)
    : config_(config),
      source_root_(std::move(source_root)),
      ledger_(ledger),
      sink_(std::move(sink)),
      signals_(signals) {}

Status FileLoader::Recover(uint64_t* quarantined) {
  ASSIGN_OR_RETURN(auto records, ledger_.ListProcessing());
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(bool committed, sink_->IsCommitted(r.identity.hash));
    if (committed) {
      RETURN_IF_ERROR(ledger_.MarkLoaded(r.id, LoadSummary{}));
      LogInfo("recovered", {{"file", r.identity.path}, {"state", "loaded"}});
      continue;
    }
    // Rolled back. Sluice stopped while loading it, perhaps because of it: a file
    // that keeps crashing sluice is quarantined rather than tried forever.
    ASSIGN_OR_RETURN(FileState state, ledger_.SettleCrashed(r.id, config_.max_crashes));
    LogInfo("recovered", {{"file", r.identity.path},
                          {"state", FileStateName(state)},
                          {"crashes", static_cast<int64_t>(r.crashes + 1)}});
    if (state == FileState::kQuarantined) {
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
  auto fp = FingerprintFile(path);
  if (!fp || fp->hash != record.identity.hash) return;  // gone or replaced: nothing to move
  Attempt attempt(path, config_.quarantine);
  FileResult result =
      Quarantine(path, FileIdentity{fp->hash, path, fp->size, fp->mtime_ns}, record.id,
                 config_.Resolve(RelativeTo(path, source_root_)), attempt, why);
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
    if (!backoff) backoff.emplace(std::chrono::milliseconds(250), std::chrono::milliseconds(8000));
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
        return ledger_.Release(claims[k]->file_id, "sluice stopped while loading this file");
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
          file.path, file.id, claim.file_id, file.plan, attempt,
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

  std::optional<Backoff> backoff;  // made on the first retry: seeding costs a syscall
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
      backoff.emplace(std::chrono::milliseconds(250), std::chrono::milliseconds(8000));
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
    return Quarantine(path, id, file_id, plan, attempt, status);
  }
  // Interrupted or transient past its budget: the file stays where it is and
  // pending in the ledger, so it is loaded again later.
  return Release(file, status, false);
}

Status FileLoader::MarkLoaded(const Sighting& file, const Attempt& attempt) {
  return ledger_.MarkLoaded(file.file_id, {attempt.counts.inserted, attempt.rejects.count(),
                                           attempt.counts.skipped_by_key, file.id.size});
}

FileResult FileLoader::Loaded(const Sighting& file, Attempt& attempt, const Status& recorded) {
  FileResult result;
  result.table = attempt.table.empty() ? file.plan.table : attempt.table;
  result.rows = attempt.counts.inserted;
  result.skipped = attempt.counts.skipped_by_key;
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
  if (attempt.rejects.count() > 0) {
    auto kept = attempt.rejects.Keep(config_.quarantine,
                                     RelativeTo(file.path, source_root_) + ".rejects.jsonl");
    if (!kept) {
      LogWarn("rejects_not_written", {{"file", file.path}, {"error", kept.error().ToString()}});
    } else {
      LogInfo("rejects_kept",
              {{"file", file.path}, {"rejects", attempt.rejects.count()}, {"rejects_file", *kept}});
    }
  }
  Status s = Archive(file, file.file_id, result.resight);
  if (!s.ok()) LogWarn("archive_failed", {{"file", file.path}, {"error", s.ToString()}});
  result.outcome = FileOutcome::kLoaded;
  return result;
}

FileResult FileLoader::Release(const Sighting& file, const Status& why, bool sink_down) {
  FileResult result;
  result.table = file.plan.table;
  result.bytes = file.id.size;
  // A record left `processing` would make every later sighting busy until a
  // restart. (RetryLedger logs a failure.)
  auto release = [&] { return ledger_.Release(file.file_id, why.ToString()); };
  (void)RetryLedger("release", file.path, release(), release);
  result.outcome = signals_.stop.load() ? FileOutcome::kInterrupted : FileOutcome::kRetryLater;
  result.error = why;
  if (result.outcome == FileOutcome::kRetryLater) {
    // A fault that outlived the budget is the sink's if the sink does not answer
    // either; otherwise (a lock, a busy server) the file is simply tried later.
    result.sink_down = sink_down || signals_.sink_down.load() || !sink_->Ping().ok();
    if (result.sink_down) GlobalMetrics().SetSinkUp(false);
    LogError("load_failed",
             {{"file", file.path}, {"table", file.plan.table}, {"error", why.ToString()}});
  }
  return result;
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

void FileLoader::ProcessSmall(const std::vector<const Sighting*>& files,
                              std::vector<FileResult>& results,
                              std::vector<const Sighting*>& alone) {
  // Members are scouted one at a time and read again one at a time when their
  // group loads, so a worker holds one member's reader and batches at once
  // however many files a group has; a file that cannot join (an error, a table
  // it changes, columns unlike the group's, too large once decoded) loads alone.
  std::vector<std::unique_ptr<Member>> group;
  uint64_t decoded = 0;
  uint64_t kept = 0;  // BatchBytes of the members' rows kept since scouting
  std::optional<TableDef> known;
  auto flush = [&] {
    if (group.size() == 1) {
      alone.push_back(&group.front()->file);
    } else if (!group.empty()) {
      std::vector<const Sighting*> failed;
      try {
        failed = ProcessGroup(group, results);
      } catch (...) {
        // Which file threw is for each of them to find out alone.
        sink_->Abort();
        LogWarn("group_failed", {{"table", group.front()->file.plan.table},
                                 {"files", static_cast<int64_t>(group.size())},
                                 {"error", ExceptionStatus("loading a group").ToString()}});
        failed.clear();
        for (const auto& member : group) failed.push_back(&member->file);
      }
      alone.insert(alone.end(), failed.begin(), failed.end());
    }
    group.clear();
    decoded = 0;
    kept = 0;
  };
  for (const Sighting* file : files) {
    auto member = std::make_unique<Member>(*file, config_.quarantine);
    Status status;
    try {
      status = Scout(*member, known);
    } catch (...) {
      status = ExceptionStatus("reading the file");  // it loads alone and meets it again
    }
    if (status.ok() && !group.empty()) {
      const TableDef& load = group.front()->opened.table.load;
      if (member->opened.table.load.columns != load.columns ||
          member->opened.table.load.key != load.key) {
        status = Status::InvalidData("columns unlike the group's");
      }
    }
    if (!status.ok() || member->decoded > kGroupFileBytes || !member->opened.table.added.empty()) {
      alone.push_back(file);  // its rejects log is discarded with the member
      continue;
    }
    if (group.size() == kGroupFiles || decoded + member->decoded > kGroupBytes) flush();
    if (member->rows_kept) {
      // Rows as read take more room than their bytes (a cell index); past
      // kGroupBytes of them, members are read again when the group loads.
      const uint64_t bytes = BatchBytes(member->opened.first);
      if (kept + bytes <= kGroupBytes) {
        kept += bytes;
      } else {
        member->rows_kept = false;
        member->opened.first = TextBatch();
        member->attempt.rejects.Discard();
      }
    }
    known = member->opened.table.described;
    decoded += member->decoded;
    group.push_back(std::move(member));
  }
  flush();
}

Status FileLoader::Scout(Member& member, const std::optional<TableDef>& known) {
  // A small compressed file may decode to far more than a group should hold;
  // decoding stops as soon as it is too large.
  ASSIGN_OR_RETURN(member.decoded, member.file.landed->DecodedSize(kGroupFileBytes));
  if (member.decoded > kGroupFileBytes) return Status::Ok();
  RETURN_IF_ERROR(Open(member.file, member.attempt, member.opened));
  if (member.opened.names.empty()) return Status::InvalidData("no columns");
  RETURN_IF_ERROR(Prepare(member.file, member.attempt, member.opened, known));
  // The reader and its buffers go now, so one member's are held at a time. A
  // member whose rows all fit its first batch (most small files) keeps that
  // batch, if the group can afford it; the others are read again.
  TextBatch rest;
  ASSIGN_OR_RETURN(size_t more, member.opened.reader->ReadBatch(rest, member.attempt.rejects));
  member.opened.reader.reset();
  member.rows_kept = more == 0;
  if (!member.rows_kept) {
    member.opened.first = TextBatch();
    member.attempt.rejects.Discard();
  }
  return Status::Ok();
}

std::vector<const FileLoader::Sighting*> FileLoader::ProcessGroup(
    std::vector<std::unique_ptr<Member>>& members, std::vector<FileResult>& results) {
  std::vector<const Sighting*> alone;
  std::vector<LoadId> loads;
  for (const auto& member : members) loads.push_back({member->file.id.hash, member->file.path});
  Status status = sink_->Begin(members.front()->opened.table.load, loads);
  for (size_t i = 0; i < members.size() && status.ok(); ++i) {
    Member& member = *members[i];
    if (member.rows_kept) {
      member.opened.reader = std::make_unique<EndOfInput>();
    } else {
      status = Open(member.file, member.attempt, member.opened);
    }
    if (status.ok()) status = WriteRows(member.file, member.attempt, member.opened, i);
    member.opened.reader.reset();
    member.opened.first = TextBatch();
  }
  // A member that changed after it was hashed fails the group; alone, it is
  // found changed before it is read.
  for (size_t i = 0; i < members.size() && status.ok(); ++i) {
    status = members[i]->file.landed->CheckUnchanged();
  }
  if (!status.ok()) sink_->Abort();
  Result<std::vector<LoadCounts>> counts =
      status.ok() ? sink_->Commit() : Result<std::vector<LoadCounts>>(status);
  if (!counts) {
    // Which file failed, and why, is for each of them to find out alone: the
    // good ones load, a bad one is quarantined with its own report.
    LogWarn("group_failed", {{"table", members.front()->opened.table.load.name},
                             {"files", static_cast<int64_t>(members.size())},
                             {"error", counts.error().ToString()}});
    for (const auto& member : members) alone.push_back(&member->file);
    return alone;
  }

  std::vector<Status> recorded;
  {
    Ledger::Batch batch(ledger_);
    for (size_t i = 0; i < members.size(); ++i) {
      members[i]->attempt.counts = (*counts)[i];
      recorded.push_back(MarkLoaded(members[i]->file, members[i]->attempt));
    }
    Status committed = batch.Commit();
    if (!committed.ok()) recorded.assign(members.size(), committed);
  }
  Ledger::Batch batch(ledger_);  // the final paths
  for (size_t i = 0; i < members.size(); ++i) {
    FileResult& result = results[members[i]->file.index];
    result = Loaded(members[i]->file, members[i]->attempt, recorded[i]);
    Done(members[i]->file, result);
  }
  Status committed = batch.Commit();
  if (!committed.ok()) LogError("ledger_error", {{"error", committed.ToString()}});
  return alone;
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

Status FileLoader::Archive(const Sighting& file, int64_t file_id, bool& resight) {
  std::string final_path;
  switch (file.plan.after_load) {
    case AfterLoad::kKeep:
      final_path = "kept";
      break;
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

FileResult FileLoader::Quarantine(const std::string& path, const FileIdentity& id, int64_t file_id,
                                  const TablePlan& plan, Attempt& attempt, const Status& why) {
  FileResult result;
  result.outcome = FileOutcome::kQuarantined;
  result.table = attempt.table.empty() ? plan.table : attempt.table;
  result.rows = 0;
  result.rejected = attempt.rejects.count();
  result.bytes = id.size;
  result.error = why;

  // The ledger first: should sluice die before the move, the file is still in the
  // source folder and its next sighting quarantines it again (kQuarantinedBefore).
  LoadSummary summary{0, attempt.rejects.count(), 0, id.size};
  auto mark = [&] { return ledger_.MarkQuarantined(file_id, summary, why.message()); };
  Status s = RetryLedger("mark quarantined", path, mark(), mark);
  if (!s.ok()) {
    // Not recorded (a stop ends the retries): the file stays, and the record
    // `processing` is settled at the next start.
    result.outcome = FileOutcome::kRetryLater;
    result.error = s;
    return result;
  }

  auto moved = MoveNoClobber(path, config_.quarantine, RelativeTo(path, source_root_));
  if (!moved) {
    // Reports are written only in the quarantine folder: beside the file they
    // would be picked up as data. The file stays, pending with the error, and is
    // tried again later.
    GlobalMetrics().QuarantineMoveFailed();
    Status failed = Status::Unavailable("cannot move to quarantine (" + why.message() +
                                        "): " + moved.error().message());
    LogError("quarantine_move_failed", {{"file", path}, {"error", failed.message()}});
    auto release = [&] { return ledger_.Release(file_id, failed.message()); };
    (void)RetryLedger("release", path, release(), release);
    result.outcome = FileOutcome::kRetryLater;
    result.error = failed;
    return result;
  }
  const std::string& final_path = *moved;

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
                          attempt.rejects.first()};
  s = WriteQuarantineReport(report);
  if (!s.ok()) LogError("report_not_written", {{"file", path}, {"error", s.ToString()}});
  auto set_path = [&] { return ledger_.SetFinalPath(file_id, final_path); };
  (void)RetryLedger("set final path", path, set_path(), set_path);
  return result;
}

}  // namespace sluice

#include "pipeline/file_loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "format/record_reader.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "pipeline/archive.h"
#include "pipeline/batch_producer.h"
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

// The table a file loads into and the schema it is validated against.
struct ResolvedTable {
  Schema schema;                 // the table's data columns, with a declared schema's rules
  TableDef load;                 // the data columns in table order, then the metadata columns
  std::vector<ColumnDef> added;  // columns this file added to the table
};

// If the table exists its definition wins (rules of a declared schema still apply
// by name); columns it lacks are added (schema_evolution: add_columns) or refuse
// the file. Otherwise the declared schema, or one inferred from `sample`, creates it.
Result<ResolvedTable> ResolveTable(Sink& sink, const TablePlan& plan,
                                   const std::vector<std::string>& names, const TextBatch& sample) {
  std::vector<ColumnDef> meta = MetadataColumns(plan.metadata);
  ResolvedTable out;
  ASSIGN_OR_RETURN(std::optional<TableDef> existing, sink.DescribeTable(plan.table));
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
};

FileLoader::FileLoader(const Config& config, std::string source_root, Ledger& ledger,
                       std::unique_ptr<Sink> sink, const LoaderSignals& signals)
    : config_(config),
      source_root_(std::move(source_root)),
      ledger_(ledger),
      sink_(std::move(sink)),
      signals_(signals) {}

Status FileLoader::Recover() {
  ASSIGN_OR_RETURN(auto records, ledger_.ListProcessing());
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(bool committed, sink_->IsCommitted(r.identity.hash));
    if (committed) {
      RETURN_IF_ERROR(ledger_.MarkLoaded(r.id, LoadSummary{}));
      LogInfo("recovered", {{"file", r.identity.path}, {"state", "loaded"}});
    } else {
      RETURN_IF_ERROR(ledger_.Release(r.id, "interrupted; rolled back, will load again"));
      LogInfo("recovered", {{"file", r.identity.path}, {"state", "pending"}});
    }
  }
  return Status::Ok();
}

FileResult FileLoader::Process(const std::string& path) {
  auto started = std::chrono::steady_clock::now();
  FileResult result;
  std::string relative = RelativeTo(path, source_root_);
  TablePlan plan = config_.Resolve(relative);
  result.table = plan.table;

  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return result;  // kGone
  int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (plan.after_load == AfterLoad::kKeep) {
    // Kept files are seen again by every rescan; skip them without re-hashing.
    auto done = ledger_.IsFinishedUnchanged(path, static_cast<uint64_t>(st.st_size), mtime_ns);
    if (done.has_value() && *done) {
      result.outcome = FileOutcome::kAlreadyDone;
      return result;
    }
  }

  auto fp = FingerprintFile(path);
  if (!fp) {
    result.outcome =
        fp.error().code() == StatusCode::kNotFound ? FileOutcome::kGone : FileOutcome::kRetryLater;
    result.error = fp.error();
    return result;
  }
  FileIdentity id{fp->hash, path, fp->size, fp->mtime_ns};
  result.bytes = fp->size;

  auto claim = ledger_.ClaimFile(id, plan.table);
  if (!claim) {
    result.outcome = FileOutcome::kRetryLater;
    result.error = claim.error();
    return result;
  }
  switch (claim->outcome) {
    case ClaimOutcome::kBusy:
      result.outcome = FileOutcome::kRetryLater;
      result.error = Status::Unavailable("the same content is being loaded by another worker");
      return result;
    case ClaimOutcome::kAlreadyLoaded:
    case ClaimOutcome::kDuplicate: {
      result.outcome = claim->outcome == ClaimOutcome::kDuplicate ? FileOutcome::kDuplicate
                                                                  : FileOutcome::kAlreadyDone;
      Status s = Archive(path, claim->file_id, plan.after_load);
      if (!s.ok()) LogWarn("archive_failed", {{"file", path}, {"error", s.ToString()}});
      if (result.outcome == FileOutcome::kDuplicate) {
        LogInfo("duplicate",
                {{"file", path}, {"table", plan.table}, {"same_as", claim->earlier_path}});
      }
      return result;
    }
    case ClaimOutcome::kQuarantinedBefore: {
      Attempt attempt(path, config_.quarantine);
      result = Quarantine(
          path, id, claim->file_id, plan, attempt,
          Status::InvalidData("same content was quarantined before as " + claim->earlier_path +
                              "; use `sluice requeue` to try it again"));
      break;
    }
    case ClaimOutcome::kClaimed:
      result = ProcessClaimed(path, id, claim->file_id, plan);
      break;
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result.outcome == FileOutcome::kLoaded) {
    LogInfo("loaded", {{"file", path},
                       {"table", result.table},
                       {"rows", result.rows},
                       {"rejects", result.rejected},
                       {"skipped", result.skipped},
                       {"bytes", result.bytes},
                       {"duration_ms", static_cast<int64_t>(result.seconds * 1000)}});
  } else if (result.outcome == FileOutcome::kQuarantined) {
    LogWarn("quarantined", {{"file", path},
                            {"table", result.table},
                            {"rows", result.rows},
                            {"rejects", result.rejected},
                            {"bytes", result.bytes},
                            {"duration_ms", static_cast<int64_t>(result.seconds * 1000)},
                            {"reason", result.error.message()}});
  }
  return result;
}

FileResult FileLoader::ProcessClaimed(const std::string& path, const FileIdentity& id,
                                      int64_t file_id, const TablePlan& plan) {
  FileResult result;
  result.table = plan.table;
  result.bytes = id.size;
  // A previous attempt may have committed without the ledger hearing of it.
  auto committed = sink_->IsCommitted(id.hash);
  if (committed.has_value() && *committed) {
    Status s = ledger_.MarkLoaded(file_id, LoadSummary{});
    if (s.ok()) s = Archive(path, file_id, plan.after_load);
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
    status = LoadOnce(path, id, plan, attempt);
    if (status.ok() || !status.IsTransient() || signals_.stop.load() || signals_.sink_down.load()) {
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
  result.table = attempt.table.empty() ? plan.table : attempt.table;
  result.rows = attempt.counts.inserted;
  result.skipped = attempt.counts.skipped_by_key;
  result.rejected = attempt.rejects.count();

  if (status.ok()) {
    LoadSummary summary{attempt.counts.inserted, attempt.rejects.count(),
                        attempt.counts.skipped_by_key, id.size};
    Status s = ledger_.MarkLoaded(file_id, summary);
    if (!s.ok()) {
      // Committed in the sink; the marker will settle the ledger on the next sighting.
      result.outcome = FileOutcome::kRetryLater;
      result.error = s;
      return result;
    }
    if (attempt.rejects.count() > 0) {
      std::string name = fs::path(path).filename().string() + ".rejects.jsonl";
      auto keep = attempt.rejects.Keep((fs::path(config_.quarantine) / name).string());
      if (!keep.ok()) LogWarn("rejects_not_written", {{"file", path}, {"error", keep.ToString()}});
    }
    s = Archive(path, file_id, plan.after_load);
    if (!s.ok()) LogWarn("archive_failed", {{"file", path}, {"error", s.ToString()}});
    result.outcome = FileOutcome::kLoaded;
    return result;
  }
  if (!status.IsTransient()) {
    // Retrying cannot help: the file (or what the sink makes of it) is refused.
    return Quarantine(path, id, file_id, plan, attempt, status);
  }
  // Interrupted or transient past its budget: the file stays where it is and
  // pending in the ledger, so it is loaded again later.
  Status released = ledger_.Release(file_id, status.ToString());
  if (!released.ok()) LogError("ledger_error", {{"file", path}, {"error", released.ToString()}});
  result.outcome = signals_.stop.load() ? FileOutcome::kInterrupted : FileOutcome::kRetryLater;
  result.error = status;
  if (result.outcome == FileOutcome::kRetryLater) {
    // A fault that outlived the budget is the sink's if the sink does not answer
    // either; otherwise (a lock, a busy server) the file is simply tried later.
    result.sink_down = signals_.sink_down.load() || !sink_->Ping().ok();
    if (result.sink_down) GlobalMetrics().SetSinkUp(false);
    LogError("load_failed", {{"file", path}, {"table", plan.table}, {"error", status.ToString()}});
  }
  return result;
}

Status FileLoader::LoadOnce(const std::string& path, const FileIdentity& id, const TablePlan& plan,
                            Attempt& attempt) {
  std::optional<Format> format = plan.format ? plan.format : FormatFromPath(path);
  if (!format) {
    return Status::InvalidData(
        "unknown file type (expected .csv, .tsv, .json, .jsonl, .ndjson, "
        "optionally .gz or .zst)");
  }
  ASSIGN_OR_RETURN(auto input, OpenFileInput(path));
  ReaderOptions options;
  options.csv = plan.dialect;
  ASSIGN_OR_RETURN(auto reader, OpenReader(*format, std::move(input), options));

  TextBatch text;
  ASSIGN_OR_RETURN(size_t n, reader->ReadBatch(text, attempt.rejects));
  std::vector<std::string> names = NormalizeColumnNames(text.columns(), plan.normalize_names);
  if (n == 0 && text.columns().empty()) {
    if (attempt.rejects.count() > 0) return Status::InvalidData("no readable rows");
    return Status::InvalidData("the file is empty");
  }
  if (names.empty() && !plan.metadata.any()) {
    // Only empty objects ({} in JSON): valid records without a single value. There
    // is nothing to put in a table, but the rest must still be read and be valid.
    while (n > 0) {
      attempt.rows_read += n;
      ASSIGN_OR_RETURN(n, reader->ReadBatch(text, attempt.rejects));
      if (!text.columns().empty()) {
        return Status::InvalidData("columns appear only after the first batch of empty records");
      }
    }
    uint64_t rejected = attempt.rejects.count();
    if (!plan.WithinThreshold(rejected, attempt.rows_read + rejected)) {
      return attempt.rejects.TooMany(std::to_string(rejected) + " bad records");
    }
    LogWarn("no_columns", {{"file", path}, {"records", attempt.rows_read}});
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(ResolvedTable resolved, ResolveTable(*sink_, plan, names, text));
  const TableDef& table = resolved.load;
  attempt.table = table.name;
  if (!resolved.added.empty()) RecordColumnsAdded(table.name, resolved.added, path);
  ASSIGN_OR_RETURN(Validator validator, Validator::Create(resolved.schema));
  RETURN_IF_ERROR(validator.Bind(names));

  RETURN_IF_ERROR(sink_->Begin(table, {LoadId{id.hash, path}}));
  Status status;
  uint64_t validation_rejects = 0;
  {
    BatchProducer producer({reader.get(), &validator, &plan, &table, &attempt.rejects, &path,
                            NowMicros(), &signals_.stop},
                           std::move(text));
    for (;;) {
      auto batch = producer.Next();
      if (!batch) {
        status = batch.error();
        break;
      }
      if (*batch == nullptr) break;
      status = sink_->Write(**batch, 0);
      if (!status.ok()) break;
    }
    producer.Stop();
    attempt.rows_read = producer.rows_read();
    validation_rejects = producer.validation_rejects();
  }
  if (status.ok()) status = attempt.rejects.write_status();
  if (status.ok()) {
    // Records the reader dropped never reached rows_read but count towards the total.
    uint64_t total = attempt.rows_read + (attempt.rejects.count() - validation_rejects);
    if (!plan.WithinThreshold(attempt.rejects.count(), total)) {
      status = attempt.rejects.TooMany(std::to_string(attempt.rejects.count()) + " of " +
                                       std::to_string(total) + " rows are bad");
    }
  }
  if (!status.ok()) {
    sink_->Abort();
    return status;
  }
  ASSIGN_OR_RETURN(std::vector<LoadCounts> counts, sink_->Commit());
  attempt.counts = counts.front();
  return Status::Ok();
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

Status FileLoader::Archive(const std::string& path, int64_t file_id, AfterLoad after_load) {
  std::string final_path;
  switch (after_load) {
    case AfterLoad::kKeep:
      final_path = "kept";
      break;
    case AfterLoad::kDelete: {
      std::error_code ec;
      fs::remove(path, ec);
      if (ec) return Status::Unavailable("cannot delete " + path + ": " + ec.message());
      final_path = "deleted";
      break;
    }
    case AfterLoad::kMove: {
      ASSIGN_OR_RETURN(final_path,
                       MoveNoClobber(path, config_.processed, RelativeTo(path, source_root_)));
      break;
    }
  }
  return ledger_.SetFinalPath(file_id, final_path);
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
  Status s = ledger_.MarkQuarantined(file_id, summary, why.message());
  if (!s.ok()) LogError("ledger_error", {{"file", path}, {"error", s.ToString()}});

  auto moved = MoveNoClobber(path, config_.quarantine, RelativeTo(path, source_root_));
  std::string final_path = moved.has_value() ? *moved : path;
  if (!moved)
    LogError("quarantine_move_failed", {{"file", path}, {"error", moved.error().ToString()}});

  std::string report = "{\n  \"file\": ";
  AppendJsonString(report, path);
  report += ",\n  \"quarantined_as\": ";
  AppendJsonString(report, final_path);
  report += ",\n  \"hash\": \"" + id.hash + "\"";
  report += ",\n  \"table\": ";
  AppendJsonString(report, result.table);
  report += ",\n  \"reason\": ";
  AppendJsonString(report, why.message());
  report += ",\n  \"time\": \"" + FormatTimeUtc(NowMicros()) + "\"";
  report += ",\n  \"rows_read\": " + std::to_string(attempt.rows_read);
  report += ",\n  \"rows_rejected\": " + std::to_string(attempt.rejects.count());
  if (attempt.rejects.count() > 0) {
    report += ",\n  \"rejects_file\": ";
    AppendJsonString(report, final_path + ".rejects.jsonl");
  }
  report += ",\n  \"errors\": [";
  const auto& first = attempt.rejects.first();
  for (size_t i = 0; i < first.size(); ++i) {
    report += i == 0 ? "\n    " : ",\n    ";
    report += RejectLog::ToJson(path, first[i]);
  }
  report += first.empty() ? "]\n}\n" : "\n  ]\n}\n";
  s = WriteFileAtomic(final_path + ".error.json", report);
  if (!s.ok()) LogError("report_not_written", {{"file", path}, {"error", s.ToString()}});
  if (attempt.rejects.count() > 0) {
    s = attempt.rejects.Keep(final_path + ".rejects.jsonl");
    if (!s.ok()) LogWarn("rejects_not_written", {{"file", path}, {"error", s.ToString()}});
  }
  s = ledger_.SetFinalPath(file_id, final_path);
  if (!s.ok()) LogError("ledger_error", {{"file", path}, {"error", s.ToString()}});
  return result;
}

}  // namespace sluice

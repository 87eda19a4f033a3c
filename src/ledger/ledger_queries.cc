// Ledger, reads: records by path, name or state, and the report `sluice status`
// and /api/status show. States are bound as parameters (FileStateName), never
// written into the SQL.
#include <mutex>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/ledger_impl.h"

namespace sluice {
namespace {

// Most recent first: the latest of the record's timestamps, ties by insertion.
constexpr char kRecentOrder[] =
    " ORDER BY MAX(seen_at_us, started_at_us, finished_at_us) DESC, id DESC";

std::string SelectRecords(std::string_view where_and_order) {
  return std::string("SELECT ") + kRecordColumns + " FROM files " + std::string(where_and_order);
}

}  // namespace

Result<FileRecord> Ledger::Impl::ReadRecord(const SqliteStatement& row) {
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
  record.rejects_file = row.Text(19);
  record.rows_filtered = static_cast<uint64_t>(row.Int(20));
  return record;
}

Result<std::vector<FileRecord>> Ledger::Impl::ReadRecords(SqliteStatement& query,
                                                          std::string_view context) {
  std::vector<FileRecord> records;
  while (true) {
    ASSIGN_OR_RETURN(bool row, query.Step(context));
    if (!row) return records;
    ASSIGN_OR_RETURN(FileRecord record, ReadRecord(query));
    records.push_back(std::move(record));
  }
}

Result<bool> Ledger::IsFinishedUnchanged(const std::string& path, uint64_t size, int64_t mtime_ns) {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(SqliteStatement query,
                   impl_->Prepare("SELECT 1 FROM files WHERE path = ?1 AND size = ?2 AND "
                                  "mtime_ns = ?3 AND state IN (?4, ?5, ?6) LIMIT 1",
                                  "look up path"));
  return query
      .Bind(path, size, mtime_ns, FileStateName(FileState::kLoaded),
            FileStateName(FileState::kDuplicate), FileStateName(FileState::kQuarantined))
      .Step("look up path");
}

Result<std::vector<FileRecord>> Ledger::ListProcessing() {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(
      SqliteStatement query,
      impl_->Prepare(SelectRecords("WHERE state = ?1 ORDER BY id"), "list processing"));
  query.Bind(FileStateName(FileState::kProcessing));
  return impl_->ReadRecords(query, "list processing");
}

Result<std::vector<FileRecord>> Ledger::FindByPath(const std::string& path) {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(
      SqliteStatement query,
      impl_->Prepare(
          SelectRecords(std::string("WHERE state = ?2 AND (final_path = ?1 OR path = ?1)") +
                        kRecentOrder),
          "find by path"));
  query.Bind(path, FileStateName(FileState::kQuarantined));
  return impl_->ReadRecords(query, "find by path");
}

Result<std::vector<FileRecord>> Ledger::FindByName(const std::string& name) {
  std::lock_guard lock(impl_->mu);
  // substr, not LIKE: a name may hold % or _.
  ASSIGN_OR_RETURN(
      SqliteStatement query,
      impl_->Prepare(SelectRecords(std::string("WHERE path = ?1 OR final_path = ?1 OR "
                                               "substr(path, -length(?2)) = ?2 OR "
                                               "substr(final_path, -length(?2)) = ?2") +
                                   kRecentOrder),
                     "find by name"));
  query.Bind(name, "/" + name);
  return impl_->ReadRecords(query, "find by name");
}

Result<std::vector<FileRecord>> Ledger::FindByHash(const std::string& hash) {
  std::lock_guard lock(impl_->mu);
  ASSIGN_OR_RETURN(
      SqliteStatement query,
      impl_->Prepare(SelectRecords(std::string("WHERE hash = ?1") + kRecentOrder), "find by hash"));
  query.Bind(hash);
  return impl_->ReadRecords(query, "find by hash");
}

Result<LedgerReport> Ledger::Report(size_t recent) {
  std::lock_guard lock(impl_->mu);
  LedgerReport report;
  for (FileState state : kAllFileStates) report.files_by_state[state] = 0;
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
    ASSIGN_OR_RETURN(
        SqliteStatement totals,
        impl_->Prepare("SELECT SUM(rows_loaded), SUM(rows_rejected), SUM(rows_filtered) FROM files "
                       "WHERE state = ?1",
                       "report"));
    ASSIGN_OR_RETURN(bool row, totals.Bind(FileStateName(FileState::kLoaded)).Step("report"));
    if (row) {
      report.rows_loaded = static_cast<uint64_t>(totals.Int(0));
      report.rows_rejected = static_cast<uint64_t>(totals.Int(1));
      report.rows_filtered = static_cast<uint64_t>(totals.Int(2));
    }
    const std::string limit = " LIMIT " + std::to_string(recent);
    ASSIGN_OR_RETURN(SqliteStatement latest,
                     impl_->Prepare(SelectRecords(kRecentOrder + limit), "report"));
    ASSIGN_OR_RETURN(report.recent, impl_->ReadRecords(latest, "report"));
    // Refused files, and files waiting after an error.
    ASSIGN_OR_RETURN(SqliteStatement errors,
                     impl_->Prepare(SelectRecords(std::string("WHERE state = ?1 OR (state IN "
                                                              "(?2, ?3) AND error <> '')") +
                                                  kRecentOrder + limit),
                                    "report"));
    errors.Bind(FileStateName(FileState::kQuarantined), FileStateName(FileState::kPending),
                FileStateName(FileState::kProcessing));
    ASSIGN_OR_RETURN(report.recent_errors, impl_->ReadRecords(errors, "report"));
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

// Ledger: opening the database, and Ledger::Batch (one transaction for the calls
// of one thread). The state machine's writes are in ledger_writes.cc, the reads
// in ledger_queries.cc, the schema in ledger_schema.cc.
#include "ledger/ledger.h"

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/sqlite_db.h"
#include "ledger/ledger_impl.h"

namespace sluice {
namespace {

// Only another process (requeue, a script) ever holds the ledger's write lock:
// sluice's own threads share one connection. The pipeline retries its ledger
// writes with backoff and logs each failure, so a lock shows in the log within
// seconds rather than after a silent minute.
constexpr int kLedgerBusyTimeoutMs = 5'000;

}  // namespace

std::string CrashedReason(int crashes) {
  return "sluice stopped " + std::to_string(crashes) + " times while loading this file";
}

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path) {
  ASSIGN_OR_RETURN(SqliteDb db, OpenSqliteDb(path, "ledger"));
  sqlite3_busy_timeout(db.get(), kLedgerBusyTimeoutMs);
  auto impl = std::make_unique<Impl>(std::move(db));
  RETURN_IF_ERROR(impl->Initialize());
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

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

}  // namespace sluice

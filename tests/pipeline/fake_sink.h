// FakeSink: an in-memory Sink for the pipeline's unit tests. It keeps tables
// (definitions and committed rows, rendered as text) and commit markers, records
// every call, checks that its caller keeps the load protocol (protocol_errors),
// and can be told to misbehave at any call: fail with any Status (Unavailable
// being what a lost connection looks like to the loader), throw, or commit and
// then lose the answer (the commit marker exists; IsCommitted says so).
//
// It implements the sink's steps of the load session (BeginLoads, WriteRows,
// CommitLoads, AbortLoads); Sink checks the order and arguments first, and the
// fake's own protocol checks stay as a second opinion.
//
// Thread-safety: none; one loader thread at a time (the tests read it after
// FileLoader::Process has returned, or from its on_call hook).
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sink/sink.h"

namespace sluice::testing {

enum class FakeCall {
  kDescribe,
  kEnsure,
  kAddColumns,
  kBegin,
  kWrite,
  kCommit,
  kAbort,
  kIsCommitted,
  kDiscard,
  kPing,
};

inline std::string_view FakeCallName(FakeCall call) {
  switch (call) {
    case FakeCall::kDescribe:
      return "describe";
    case FakeCall::kEnsure:
      return "ensure";
    case FakeCall::kAddColumns:
      return "add_columns";
    case FakeCall::kBegin:
      return "begin";
    case FakeCall::kWrite:
      return "write";
    case FakeCall::kCommit:
      return "commit";
    case FakeCall::kAbort:
      return "abort";
    case FakeCall::kIsCommitted:
      return "is_committed";
    case FakeCall::kDiscard:
      return "discard";
    case FakeCall::kPing:
      return "ping";
  }
  return "?";
}

class FakeSink final : public Sink {
 public:
  // --- Faults. Each applies to the calls of `call` from now on: it lets `skip`
  // of them pass, then hits `times` of them (times < 0: every one after). A
  // fault with a `file` hits only Begin calls with a load of that path and Write
  // calls for that path's load. Faults are checked in the order they were given.

  // The calls fail with `status` (having done nothing). Abort cannot fail
  // visibly: a failed rollback still ends the load (a server rolls back a
  // transaction whose connection dropped); the call is recorded "abort!".
  FakeSink& Fail(FakeCall call, Status status, int times = 1, int skip = 0, std::string file = "") {
    faults_.push_back({call, Kind::kFail, std::move(status), times, skip, std::move(file)});
    return *this;
  }
  // The calls throw std::runtime_error (as a driver's exception would). Not for
  // Abort or DiscardAttempt, which are noexcept.
  FakeSink& Throw(FakeCall call, int times = 1, int skip = 0, std::string file = "") {
    faults_.push_back(
        {call, Kind::kThrow, Status::Internal("fake: thrown"), times, skip, std::move(file)});
    return *this;
  }
  // The next Commit commits (rows visible, markers written), then answers
  // `status`, as when the connection drops while COMMIT is acknowledged.
  FakeSink& LoseCommitAnswer(
      Status status = Status::Unavailable("fake: connection lost during COMMIT")) {
    faults_.push_back({FakeCall::kCommit, Kind::kCommitThenFail, std::move(status), 1, 0, ""});
    return *this;
  }

  // Writes to the load of `file` holding a row of source line `line` fail with
  // InvalidData naming the file and line, as a database refusing a value does;
  // the sink names every such row of the batch in refused() if `named` (else
  // only its message does). Always, whatever was refused before.
  FakeSink& RefuseLine(std::string file, uint64_t line, bool named = true) {
    refused_lines_.push_back({std::move(file), line, named});
    return *this;
  }
  // A Write names only the first row it refuses, as PostgreSQL's COPY does.
  FakeSink& RefuseOneRowAtATime() {
    refuse_one_ = true;
    return *this;
  }
  // Groups of at most `loads` (MaxGroupLoads), as a sink whose per-group work
  // grows with the group asks.
  FakeSink& LimitGroups(size_t loads) {
    max_group_loads_ = loads;
    return *this;
  }
  size_t MaxGroupLoads() const override { return max_group_loads_; }

  // Called first thing in every call (before its fault), e.g. to request a stop
  // or change a file in the middle of a load.
  std::function<void(FakeCall)> on_call;

  // --- What happened.
  // Every call in order: "describe", "begin(3)", "write(0)", "commit", "commit!"
  // (a fault hit it), ...
  const std::vector<std::string>& calls() const { return calls_; }
  // The calls joined by ' '.
  std::string CallLog() const {
    std::string out;
    for (const std::string& c : calls_) out += (out.empty() ? "" : " ") + c;
    return out;
  }
  int Count(FakeCall call) const {
    auto it = counts_.find(call);
    return it == counts_.end() ? 0 : it->second;
  }
  // Calls out of protocol order (Write without Begin, Begin within a load, ...).
  const std::vector<std::string>& protocol_errors() const { return protocol_errors_; }
  // Between a Begin and the end of its Commit or Abort.
  bool load_open() const { return in_load_; }
  // The table's definition, if it exists.
  std::optional<TableDef> Table(const std::string& name) const {
    auto it = tables_.find(name);
    if (it == tables_.end()) return std::nullopt;
    return it->second.def;
  }
  // The table's committed rows, each as its cells joined by '|' (NULL as \N).
  std::vector<std::string> Rows(const std::string& table) const {
    auto it = tables_.find(table);
    return it == tables_.end() ? std::vector<std::string>{} : it->second.rows;
  }
  // How many times a load with this id committed (exactly once: 1).
  int Commits(const std::string& load_id) const {
    auto it = markers_.find(load_id);
    return it == markers_.end() ? 0 : it->second;
  }

  // Creates a table as if another process had.
  void CreateTable(const TableDef& def) { tables_[def.name].def = def; }

  // --- Sink.
  Result<std::optional<TableDef>> DescribeTable(std::string_view name) override {
    RETURN_IF_ERROR(Enter(FakeCall::kDescribe, "describe"));
    return Table(std::string(name));
  }
  Status EnsureTable(const TableDef& table) override {
    RETURN_IF_ERROR(Enter(FakeCall::kEnsure, "ensure"));
    if (tables_.count(table.name) == 0) CreateTable(table);
    return Status::Ok();
  }
  Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                            const std::vector<ColumnDef>& columns) override {
    RETURN_IF_ERROR(Enter(FakeCall::kAddColumns, "add_columns"));
    if (in_load_) return Protocol("add_columns during a load");
    auto it = tables_.find(table);
    if (it == tables_.end()) return Status::NotFound("fake: no table " + table);
    std::vector<ColumnDef> added;
    for (const ColumnDef& c : columns) {
      if (it->second.def.FindColumn(c.name) >= 0) continue;
      it->second.def.columns.push_back({c.name, c.type, true});
      for (std::string& row : it->second.rows) row += "|\\N";
      added.push_back(it->second.def.columns.back());
    }
    return added;
  }

  Result<bool> IsCommitted(std::string_view load_id) override {
    RETURN_IF_ERROR(Enter(FakeCall::kIsCommitted, "is_committed"));
    return Commits(std::string(load_id)) > 0;
  }
  void DiscardAttempt(const std::string&, const LoadId&) noexcept override {
    Record(FakeCall::kDiscard, "discard");
  }
  Status Ping() override { return Enter(FakeCall::kPing, "ping"); }

 protected:
  // The sink's steps of the load session (Sink checks the order and arguments first).
  Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) override {
    return OnBegin(table, loads);
  }
  Status WriteRows(const Batch& batch, size_t load) override { return OnWrite(batch, load); }
  Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) override {
    return OnSide(rows, loads);
  }
  Status CommitLoads() override { return OnCommit(); }
  void AbortLoads() noexcept override { OnAbort(); }

 private:
  enum class Kind { kFail, kThrow, kCommitThenFail };
  struct Fault {
    FakeCall call;
    Kind kind;
    Status status;
    int times;
    int skip;
    std::string file;
  };
  struct Stored {
    TableDef def;
    std::vector<std::string> rows;
  };

  Status OnBegin(const TableDef& table, const std::vector<LoadId>& loads) {
    std::vector<std::string> files;
    for (const LoadId& l : loads) files.push_back(l.file);
    RETURN_IF_ERROR(Enter(FakeCall::kBegin, "begin(" + std::to_string(loads.size()) + ")", files));
    if (in_load_) return Protocol("begin within a load");
    if (loads.empty()) return Protocol("begin without loads");
    if (tables_.count(table.name) == 0) return Status::NotFound("fake: no table " + table.name);
    for (const LoadId& l : loads) {
      if (Commits(l.id) > 0) return Status::AlreadyExists("fake: load " + l.id + " committed");
    }
    in_load_ = true;
    table_ = table;
    loads_ = loads;
    pending_.assign(loads.size(), {});
    last_load_ = 0;
    return Status::Ok();
  }

  Status OnWrite(const Batch& batch, size_t load) {
    const std::string file = load < loads_.size() ? loads_[load].file : "";
    RETURN_IF_ERROR(Enter(FakeCall::kWrite, "write(" + std::to_string(load) + ")", {file}));
    if (!in_load_) return Protocol("write without begin");
    if (load >= loads_.size()) return Protocol("write to load " + std::to_string(load));
    if (load < last_load_) return Protocol("write to an earlier load");
    last_load_ = load;
    RETURN_IF_ERROR(CheckBatchFitsTable(batch, table_));
    RETURN_IF_ERROR(RefuseRows(batch, load));
    const Stored& stored = tables_[table_.name];
    for (size_t r = 0; r < batch.rows(); ++r) {
      std::string row = Render(batch, r);
      if (!table_.key.empty() && KeyTaken(stored, row)) {
        ++counts()[load].skipped_by_key;
        continue;
      }
      pending_[load].push_back(std::move(row));
      ++counts()[load].inserted;
    }
    return Status::Ok();
  }

  // Side rows (per-file aggregates) are kept until the loads commit, like rows.
  Status OnSide(const Batch& rows, const std::vector<size_t>& loads) {
    RETURN_IF_ERROR(Enter(FakeCall::kWrite, "side(" + std::to_string(rows.rows()) + ")"));
    if (!in_load_ || side_table() == nullptr) return Protocol("side rows without a side table");
    if (tables_.count(side_table()->name) == 0) {
      return Status::NotFound("fake: no table " + side_table()->name);
    }
    for (size_t r = 0; r < rows.rows(); ++r) {
      if (loads[r] >= loads_.size()) return Protocol("side row of a load out of range");
      side_pending_.push_back(Render(rows, r));
    }
    return Status::Ok();
  }

  Status OnCommit() {
    const Fault* fault = Hit(FakeCall::kCommit, {});
    Record(FakeCall::kCommit, fault != nullptr ? "commit!" : "commit");
    if (!in_load_) return Protocol("commit without begin");
    if (fault != nullptr && fault->kind == Kind::kThrow) {
      throw std::runtime_error("fake: thrown from commit");
    }
    if (fault != nullptr && fault->kind == Kind::kFail) {
      EndLoad();  // a failed COMMIT leaves nothing
      return fault->status;
    }
    if (side_table() != nullptr) {
      Stored& side = tables_[side_table()->name];
      for (std::string& row : side_pending_) side.rows.push_back(std::move(row));
    }
    Stored& stored = tables_[table_.name];
    for (size_t i = 0; i < loads_.size(); ++i) {
      for (std::string& row : pending_[i]) stored.rows.push_back(std::move(row));
      ++markers_[loads_[i].id];
    }
    EndLoad();
    return fault != nullptr ? fault->status : Status::Ok();
  }

  void OnAbort() noexcept {
    const Fault* fault = Hit(FakeCall::kAbort, {});
    Record(FakeCall::kAbort, fault != nullptr ? "abort!" : "abort");
    EndLoad();
  }

  // InvalidData if the batch holds a line RefuseLine gave for this load's file.
  Status RefuseRows(const Batch& batch, size_t load) {
    std::string message;
    for (size_t r = 0; r < batch.rows(); ++r) {
      for (const RefusedLine& refused : refused_lines_) {
        if (refused.file != loads_[load].file || refused.line != batch.Line(r)) continue;
        if (message.empty()) {
          message = "fake: " + refused.file + ", line " + std::to_string(refused.line) +
                    ": value out of range";
        }
        if (refused.named) Refuse({load, refused.line, "", "value out of range"});
        if (refuse_one_) return Status::InvalidData(message);
      }
    }
    return message.empty() ? Status::Ok() : Status::InvalidData(message);
  }

  // Records the call and applies its fault, if one hits it.
  Status Enter(FakeCall call, std::string name, const std::vector<std::string>& files = {}) {
    const Fault* fault = Hit(call, files);
    Record(call, fault != nullptr ? name + "!" : std::move(name));
    if (fault == nullptr) return Status::Ok();
    if (fault->kind == Kind::kThrow) {
      throw std::runtime_error("fake: thrown from " + std::string(FakeCallName(call)));
    }
    return fault->status;
  }
  void Record(FakeCall call, std::string name) {
    if (on_call) on_call(call);
    calls_.push_back(std::move(name));
    ++counts_[call];
  }
  // The fault that hits this call, if any (counting it).
  const Fault* Hit(FakeCall call, const std::vector<std::string>& files) {
    for (Fault& f : faults_) {
      if (f.call != call || f.times == 0) continue;
      if (!f.file.empty() && std::find(files.begin(), files.end(), f.file) == files.end()) continue;
      if (f.skip > 0) {
        --f.skip;
        continue;
      }
      if (f.times > 0) --f.times;
      return &f;
    }
    return nullptr;
  }
  Status Protocol(const std::string& what) {
    protocol_errors_.push_back(what);
    return Status::Internal("fake: " + what);
  }
  void EndLoad() {
    in_load_ = false;
    loads_.clear();
    pending_.clear();
    side_pending_.clear();
  }

  static std::string Render(const Batch& batch, size_t r) {
    std::string out;
    for (const Column& c : batch.columns()) {
      if (&c != &batch.columns().front()) out += '|';
      if (c.IsNull(r)) {
        out += "\\N";
      } else if (c.def.type == ColumnType::kString) {
        out += c.strings[r];
      } else if (c.def.type == ColumnType::kFloat) {
        out += std::to_string(c.floats[r]);
      } else {
        out += std::to_string(c.ints[r]);
      }
    }
    return out;
  }
  // True if a row with the key cells of `row` is committed or pending.
  bool KeyTaken(const Stored& stored, const std::string& row) const {
    auto key = [&](const std::string& rendered) {
      std::vector<std::string> cells;
      size_t start = 0;
      for (;;) {
        size_t bar = rendered.find('|', start);
        cells.push_back(rendered.substr(start, bar - start));
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
      std::string k;
      for (const std::string& name : table_.key) {
        int i = table_.FindColumn(name);
        k += (i >= 0 && static_cast<size_t>(i) < cells.size() ? cells[i] : "") + '\x1f';
      }
      return k;
    };
    const std::string wanted = key(row);
    for (const std::string& r : stored.rows) {
      if (key(r) == wanted) return true;
    }
    for (const auto& load : pending_) {
      for (const std::string& r : load) {
        if (key(r) == wanted) return true;
      }
    }
    return false;
  }

  struct RefusedLine {
    std::string file;
    uint64_t line;
    bool named;
  };

  std::vector<Fault> faults_;
  std::vector<RefusedLine> refused_lines_;
  size_t max_group_loads_ = Sink::MaxGroupLoads();
  bool refuse_one_ = false;
  std::vector<std::string> calls_;
  std::map<FakeCall, int> counts_;
  std::vector<std::string> protocol_errors_;
  std::map<std::string, Stored> tables_;
  std::map<std::string, int> markers_;
  bool in_load_ = false;
  TableDef table_;
  std::vector<LoadId> loads_;
  std::vector<std::vector<std::string>> pending_;
  std::vector<std::string> side_pending_;
  size_t last_load_ = 0;
};

}  // namespace sluice::testing

// The load session of Sink (see sink.h): the protocol's checks and state, once
// for every sink.
#include "sink/sink.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <string_view>
#include <utility>

namespace sluice {

Status Sink::Begin(const TableDef& table, const std::vector<LoadId>& loads, const TableDef* side) {
  if (session_.open) return Status::Internal("Begin while a load is in progress");
  if (loads.empty()) return Status::InvalidArgument("no load to begin");
  std::vector<std::string_view> ids;
  ids.reserve(loads.size());
  for (const LoadId& load : loads) {
    if (load.id.empty()) return Status::InvalidArgument("load id is empty");
    ids.push_back(load.id);
  }
  // A group holding one id twice would commit two markers for it.
  std::sort(ids.begin(), ids.end());
  if (auto twice = std::adjacent_find(ids.begin(), ids.end()); twice != ids.end()) {
    return Status::InvalidArgument("load " + std::string(*twice) + " is begun twice");
  }
  if (table.columns.empty()) {
    return Status::InvalidArgument("table \"" + table.name + "\" has no columns");
  }
  if (side != nullptr) {
    if (side->columns.empty()) {
      return Status::InvalidArgument("side table \"" + side->name + "\" has no columns");
    }
    auto lower = [](std::string name) {
      for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      return name;
    };
    if (lower(side->name) == lower(table.name)) {
      return Status::InvalidArgument("side table \"" + side->name + "\" is the loaded table");
    }
    if (!side->key.empty()) {
      return Status::InvalidArgument("side table \"" + side->name + "\" has a key");
    }
  }
  session_.open = true;
  session_.failed = false;
  session_.table = table;
  if (side != nullptr) {
    session_.side = *side;
    session_.side_rows.Reset(side->columns);
  }
  session_.loads = loads;
  session_.counts.assign(loads.size(), LoadCounts{});
  session_.load = 0;
  session_.side_load = 0;
  refused_.clear();
  Status status = BeginLoads(session_.table, session_.loads);
  refused_.clear();  // a refused marker is not a row
  if (!status.ok()) {
    AbortLoads();
    EndSession();
  }
  return status;
}

Status Sink::Write(const Batch& batch, size_t load) {
  if (!session_.open) return Status::Internal("Write without Begin");
  if (session_.failed) {
    return Status::Internal("Write after a failed Write; the loads must be aborted");
  }
  // A refused call reaches no sink and changes nothing: the loads go on.
  if (load >= session_.loads.size() || load < session_.load) {
    return Status::Internal("Write to load " + std::to_string(load) + " after load " +
                            std::to_string(session_.load) + " of " +
                            std::to_string(session_.loads.size()));
  }
  RETURN_IF_ERROR(CheckBatchFitsTable(batch, session_.table));
  session_.load = load;
  refused_.clear();
  Status status = WriteRows(batch, load);
  KeepRefused(status);
  if (!status.ok()) session_.failed = true;
  return status;
}

Status Sink::WriteSide(const Batch& batch, size_t load) {
  if (!session_.open) return Status::Internal("WriteSide without Begin");
  if (!session_.side) return Status::Internal("WriteSide without a side table");
  if (session_.failed) {
    return Status::Internal("WriteSide after a failed Write; the loads must be aborted");
  }
  if (load >= session_.loads.size()) {
    return Status::Internal("WriteSide to load " + std::to_string(load) + " of " +
                            std::to_string(session_.loads.size()));
  }
  // WriteSideRows takes the rows in the loads' order; a caller out of that order
  // has lost track of its loads, which sorting here would only hide.
  if (load < session_.side_load) {
    return Status::Internal(
        "WriteSide to load " + std::to_string(load) + " (" + session_.loads[load].id +
        ") after load " + std::to_string(session_.side_load) + " (" +
        session_.loads[session_.side_load].id + "): side rows must come in the loads' order");
  }
  RETURN_IF_ERROR(CheckBatchFitsTable(batch, *session_.side));
  session_.side_load = load;
  std::vector<Column>& into = session_.side_rows.columns();
  const std::vector<Column>& from = batch.columns();
  for (size_t row = 0; row < batch.rows(); ++row) {
    for (size_t c = 0; c < from.size(); ++c) {
      into[c].AppendFrom(from[c], row);
      if (from[c].def.type == ColumnType::kString && !from[c].IsNull(row)) {
        into[c].strings.back() = session_.side_strings.emplace_back(from[c].strings[row]);
      }
    }
    session_.side_rows.FinishRow(batch.Line(row));
    session_.side_loads.push_back(load);
  }
  return Status::Ok();
}

Result<std::vector<LoadCounts>> Sink::Commit() {
  if (!session_.open) return Status::Internal("Commit without Begin");
  if (session_.failed) {
    return Status::Internal("Commit after a failed Write; the loads must be aborted");
  }
  refused_.clear();
  Status status;
  if (session_.side && session_.side_rows.rows() > 0) {
    status = WriteSideRows(session_.side_rows, session_.side_loads);
    KeepRefused(status);
  }
  if (status.ok()) {
    status = CommitLoads();
    KeepRefused(status);
  }
  if (!status.ok()) {
    AbortLoads();
    EndSession();
    return status;
  }
  std::vector<LoadCounts> counts = std::move(session_.counts);
  EndSession();
  return counts;
}

void Sink::Abort() noexcept {
  if (!session_.open) return;
  AbortLoads();
  EndSession();
}

void Sink::KeepRefused(const Status& status) {
  if (status.code() != StatusCode::kInvalidData) {
    refused_.clear();
    return;
  }
  // A row of a load out of range would exclude nothing; such an entry is dropped.
  std::erase_if(refused_, [&](const RefusedRow& row) { return row.load >= session_.loads.size(); });
}

void Sink::EndSession() {
  session_.open = false;
  session_.failed = false;
  session_.loads.clear();
  session_.counts.clear();
  session_.load = 0;
  session_.side_load = 0;
  session_.side.reset();
  session_.side_rows = Batch();
  session_.side_loads.clear();
  session_.side_strings.clear();
}

namespace {
std::atomic<SinkWarningHandler> warning_handler{nullptr};
}  // namespace

void SetSinkWarningHandler(SinkWarningHandler handler) { warning_handler.store(handler); }

void SinkWarning(std::string_view event, std::string_view message) {
  if (SinkWarningHandler handler = warning_handler.load()) handler(event, message);
}

std::string DescribeLoads(const std::vector<LoadId>& loads) {
  std::string names = "load " + loads.front().id;
  if (loads.size() > 1) names += " and " + std::to_string(loads.size() - 1) + " more";
  return names;
}

Status CheckBatchFitsTable(const Batch& batch, const TableDef& table) {
  const auto& columns = batch.columns();
  if (columns.size() != table.columns.size()) {
    return Status::Internal("batch has " + std::to_string(columns.size()) + " columns, table \"" +
                            table.name + "\" " + std::to_string(table.columns.size()));
  }
  const size_t rows = batch.rows();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = columns[i];
    if (column.def.type != table.columns[i].type || column.def.name != table.columns[i].name) {
      return Status::Internal("batch column " + std::to_string(i) + " (\"" + column.def.name +
                              "\") does not match table \"" + table.name + "\"");
    }
    size_t values = column.ints.size();
    if (column.def.type == ColumnType::kFloat) values = column.floats.size();
    if (column.def.type == ColumnType::kString) values = column.strings.size();
    if (column.nulls.size() != rows || values != rows) {
      return Status::Internal("batch column \"" + column.def.name + "\" has ragged rows");
    }
  }
  return Status::Ok();
}

}  // namespace sluice

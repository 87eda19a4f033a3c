// FileLoader, groups of small files: members are scouted one at a time, grouped
// by table and decoded size, and loaded in one sink transaction by the one load
// path (LoadMembers, file_loader_load.cc); a group that fails hands its files
// back to be loaded alone.
#include <algorithm>
#include <memory>

#include "core/exception_status.h"
#include "observe/log.h"
#include "pipeline/file_loader.h"
#include "pipeline/file_loader_parts.h"

namespace sluice {

void FileLoader::ProcessSmall(const std::vector<const Sighting*>& files,
                              std::vector<FileResult>& results,
                              std::vector<const Sighting*>& alone) {
  // Members are scouted one at a time and read again one at a time when their
  // group loads, so a worker holds one member's reader and batches at once
  // however many files a group has; a file that cannot join (an error, a table
  // it changes, columns unlike the group's, too large once decoded) loads alone.
  if (files.size() == 1) {
    // It can only be a group of one, which loads alone: scouting it would read
    // it and resolve its table twice.
    alone.push_back(files.front());
    return;
  }
  std::vector<std::unique_ptr<Member>> group;
  uint64_t decoded = 0;
  uint64_t kept = 0;  // memory_bytes() of the members' rows kept since scouting
  std::optional<TableDef> known;
  std::optional<TableDef> known_aggregates;
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
      status = Scout(*member, known, known_aggregates);
    } catch (...) {
      status = ExceptionStatus("reading the file");  // it loads alone and meets it again
    }
    if (status.ok() && !group.empty()) {
      const ResolvedTable& first = group.front()->opened.table;
      const ResolvedTable& table = member->opened.table;
      // One Begin for all: the same table and the same aggregates table (the side
      // table), or none.
      const bool same_side =
          first.aggregates.has_value() == table.aggregates.has_value() &&
          (!first.aggregates || (first.aggregates->name == table.aggregates->name &&
                                 first.aggregates->columns == table.aggregates->columns));
      if (table.load.columns != first.load.columns || table.load.key != first.load.key ||
          !same_side) {
        status = Status::InvalidData("columns unlike the group's");
      }
    }
    if (!status.ok() || member->decoded > kGroupFileBytes || !member->opened.table.added.empty()) {
      alone.push_back(file);  // its rejects log is discarded with the member
      continue;
    }
    if (group.size() == std::min(kGroupFiles, sink_->MaxGroupLoads()) ||
        decoded + member->decoded > kGroupBytes) {
      flush();
    }
    if (member->rows_kept) {
      // Rows as read take more room than their bytes (a cell index); past
      // kGroupBytes of them, members are read again when the group loads.
      const uint64_t bytes = member->opened.first.memory_bytes();
      if (kept + bytes <= kGroupBytes) {
        kept += bytes;
      } else {
        member->rows_kept = false;
        member->opened.first = TextBatch();
        member->attempt.rejects.Discard();
      }
    }
    known = member->opened.table.described;
    known_aggregates = member->opened.table.aggregates;
    decoded += member->decoded;
    group.push_back(std::move(member));
  }
  flush();
}

Status FileLoader::Scout(Member& member, const std::optional<TableDef>& known,
                         const std::optional<TableDef>& known_aggregates) {
  // A small compressed file may decode to far more than a group should hold;
  // decoding stops as soon as it is too large.
  ASSIGN_OR_RETURN(member.decoded, member.file.landed->DecodedSize(kGroupFileBytes));
  if (member.decoded > kGroupFileBytes) return Status::Ok();
  RETURN_IF_ERROR(Open(member.file, member.attempt, member.opened));
  if (member.opened.names.empty()) return Status::InvalidData("no columns");
  RETURN_IF_ERROR(Prepare(member.file, member.attempt, member.opened, known, known_aggregates));
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
  std::vector<Member*> load;
  for (const auto& member : members) load.push_back(member.get());
  Status status = LoadMembers(load);
  if (!status.ok()) {
    // Which file failed, and why, is for each of them to find out alone: the
    // good ones load, a bad one is quarantined with its own report.
    LogWarn("group_failed", {{"table", members.front()->opened.table.load.name},
                             {"files", static_cast<int64_t>(members.size())},
                             {"error", status.ToString()}});
    std::vector<const Sighting*> alone;
    for (const auto& member : members) alone.push_back(&member->file);
    return alone;
  }
  std::vector<FileResult> loaded = RecordLoaded(load);
  for (size_t i = 0; i < members.size(); ++i) {
    FileResult& result = results[members[i]->file.index];
    result = std::move(loaded[i]);
    Done(members[i]->file, result);
  }
  return {};
}

}  // namespace sluice

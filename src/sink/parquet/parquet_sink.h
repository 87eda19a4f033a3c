// ParquetSink: loads into a folder of Parquet files ("parquet:DIR"), one folder
// per table, one file per load or group of loads, written by ParquetWriter
// (src/parquet/) with zstd, dictionaries and statistics. The layout is in
// parquet_files.h; docs/sinks.md describes it for users.
//
// Atomicity without a database: a load's rows are written to a dot-prefixed
// temporary file in the table's folder; Commit writes the commit marker of every
// load id (DIR/_sluice/loads/ID.json, naming the data file), then syncs and
// renames the temporary file to FIRST-ID.parquet. That rename is the commit: a
// load is committed when its marker exists and the data file it names exists, so
// a crash leaves the whole file (and every marker) or no visible file, and a
// query over DIR/TABLE/*.parquet sees every committed load's rows once. Markers of
// an attempt that never renamed are removed by the next Begin of those ids or by
// DiscardAttempt, as is the temporary file.
//
// Side table (Begin's `side`: the loads' per-file aggregates): a table folder
// like any other, made by EnsureTable. WriteSideRows encodes the group's side
// rows as one Parquet file in memory (they are few); Commit writes it, after the
// markers (which name it) and before the data file's rename, to
// DIR/SIDE/FIRST-ID.parquet through a temporary name, synced. The data file's
// rename stays the commit: a crash between the two renames leaves a side file
// without its data file, visible to a glob of DIR/SIDE until the next Begin of
// one of the group's ids, or DiscardAttempt, removes it with the markers
// (docs/sinks.md); IsCommitted does not look at it.
//
// Keys: rows whose key (no key column null) already exists are skipped within a
// load, within a group and across loads. The committed keys are kept beside the
// data: each keyed file's new keys go to DIR/_sluice/keys/TABLE/FIRST-ID.keys
// (before the rename, counted only while the data file exists). A keyed load
// holds the table's lock (flock on DIR/TABLE/.lock) from Begin to Commit or
// Abort, so keyed loads of one table are serialised across workers and
// processes; unkeyed loads run in parallel.
//
// Schema: DIR/TABLE/_schema (JSON, written atomically under the table's lock).
// AddColumns adds nullable columns there; files already written keep their
// columns, later files have the new ones, and readers that union by name see
// nulls. Column names are compared ignoring ASCII case, as Parquet readers do.
//
// Errors: Unavailable for I/O errors (a full disk may free up), PermissionDenied
// for a folder sluice may not write, InvalidData for a value Parquet cannot hold
// (see CheckRows), InvalidArgument for a name too long for a file.
//
// Thread-safety: one sink per worker, like a connection; several sinks (threads
// or processes) may share DIR.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/unique_fd.h"
#include "parquet/parquet_writer.h"
#include "sink/sink.h"

namespace sluice {

class ParquetSink final : public Sink {
 public:
  // Creates DIR (one level) and DIR/_sluice if missing.
  static Result<std::unique_ptr<ParquetSink>> Open(std::string dir);
  ~ParquetSink() override;

  Result<std::optional<TableDef>> DescribeTable(std::string_view name) override;
  Status EnsureTable(const TableDef& table) override;
  Result<std::vector<ColumnDef>> AddColumns(const std::string& table,
                                            const std::vector<ColumnDef>& columns) override;
  Result<bool> IsCommitted(std::string_view load_id) override;
  // Each load's marker lists its group's ids, so a group's markers grow with the
  // square of its size: 256 loads wrote 23 MB of markers for 2,000 small files
  // where 64 wrote 8 MB.
  size_t MaxGroupLoads() const override { return 64; }
  void DiscardAttempt(const std::string& table, const LoadId& load) noexcept override;
  Status Ping() override;

 protected:
  Status BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) override;
  Status WriteRows(const Batch& batch, size_t load) override;
  Status WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) override;
  Status CommitLoads() override;
  void AbortLoads() noexcept override;

 private:
  explicit ParquetSink(std::string dir) : dir_(std::move(dir)) {}

  // The keys of a table's committed files, read once per file (files never change).
  struct KeyIndex {
    std::unordered_set<std::string> files;  // data files whose keys are in `keys`
    std::unordered_set<std::string> keys;
  };

  std::string TableDir(std::string_view table) const;
  std::string MarkerPath(std::string_view load_id) const;
  std::string KeysDir(std::string_view table) const;
  // True if `load_id` is committed; removes its marker, and those of its group,
  // and the group's side file, when that attempt never renamed its data file.
  Result<bool> CommittedOrClearStale(std::string_view load_id, bool clear);
  // Adds the keys of files committed since the last call to key_indexes_[table].
  Status RefreshKeyIndex(const std::string& table);
  // InvalidData naming the file and line of a row Parquet cannot hold as it is: a
  // null in a column that is not nullable, a date beyond INT32 days (both also
  // ParquetWriter's checks, made here so the message names the row), a string
  // that is not UTF-8, a timestamp readers take for an infinity.
  Status CheckRows(const Batch& batch, size_t load);
  // Removes the side file `path` (relative to DIR) and its temporary file; syncs
  // its folder if the file was there, so it cannot outlive the markers naming it.
  void RemoveSideFile(const std::string& path);
  void EndLoads() noexcept;

  std::string dir_;
  std::map<std::string, KeyIndex> key_indexes_;  // by table

  // The loads in progress.
  UniqueFd lock_;  // the table's lock, for a keyed table
  UniqueFd out_;
  std::string temp_;  // the temporary data file; empty when none
  std::unique_ptr<parquet::FdOutput> output_;
  std::unique_ptr<parquet::ParquetWriter> writer_;
  std::vector<size_t> key_columns_;  // empty for an unkeyed table
  KeyIndex* index_ = nullptr;
  std::vector<std::string> new_keys_;     // added to index_ by this session
  Batch kept_;                            // a batch's rows not skipped by key
  std::optional<std::string> side_file_;  // the side rows as a Parquet file (WriteSideRows)
  std::string side_path_;                 // where Commit writes side_file_, once it has begun to
};

}  // namespace sluice

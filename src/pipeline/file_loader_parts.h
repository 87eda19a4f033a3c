// The FileLoader's per-file state, shared by its source files (file_loader.cc:
// sighting and claiming files; file_loader_load.cc: the one load path, a file
// alone being a group of one; file_loader_group.cc: grouping small files;
// file_outcomes.cc: recording outcomes in the ledger and moving files).
// Internal to the pipeline stage.
//
// Thread-safety: owned by one FileLoader call on one worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/text_batch.h"
#include "format/record_reader.h"
#include "pipeline/file_loader.h"
#include "pipeline/parquet_archive.h"
#include "pipeline/rejects.h"
#include "pipeline/table_resolver.h"
#include "schema/validator.h"
#include "source/landed_file.h"
#include "transform/aggregates.h"

namespace sluice {

// One try at loading a file: its rejects and counts.
struct FileLoader::Attempt {
  Attempt(const std::string& file, const std::string& scratch) : rejects(file, scratch) {}
  RejectLog rejects;
  uint64_t rows_read = 0;
  uint64_t rows_filtered = 0;  // skipped by the plan's filter
  LoadCounts counts;
  std::string table;
  bool changed = false;      // the file changed after it was hashed
  std::string rejects_file;  // where KeepRejects kept a loaded file's rejects
  // Rows the database refused in earlier tries of this file, by line: the next
  // try leaves them out as bad rows (kept across tries, unlike the rest).
  std::map<uint64_t, RowError> refused;
  // after_load: parquet: the archive written as the rows load, finished by Archive.
  std::unique_ptr<ParquetArchive> parquet;
  // The file's aggregates as committed with its rows (empty without `aggregates:`),
  // the table they went to, and the file's `_loaded_at`: recorded in the ledger.
  std::vector<AggregateRow> aggregates;
  std::string aggregates_table;
  int64_t loaded_at = 0;
  // The means the ledger flagged when it recorded the load (MarkLoaded),
  // reported once that record is durable (Loaded).
  std::vector<FlaggedAggregate> flagged;
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
  // Filled by whichever resolution of its table needs it first (scouting for a
  // group, a load alone, a retry) and reused by the others: a cache, hence mutable
  // in a Sighting the load path sees as const.
  mutable InferredSchema inferred;
};

// A file opened for loading: its first batch read, then its table resolved.
struct FileLoader::Opened {
  std::unique_ptr<RecordReader> reader;
  TextBatch first;
  size_t first_rows = 0;
  std::vector<std::string> names;  // normalised
  ResolvedTable table;
  std::optional<Validator> validator;  // once the table is resolved
  // With `aggregates:`: the file's aggregates over the rows written so far.
  std::optional<FileAggregator> aggregator;
};

// A file of a load (a group, or a group of one).
struct FileLoader::Member {
  Member(const Sighting& file, const std::string& scratch)
      : file(file), attempt(file.path, scratch) {}
  const Sighting& file;
  Attempt attempt;
  Opened opened;
  // Scouted for a group: bytes once decoded (more than kGroupFileBytes: too large).
  uint64_t decoded = 0;
  // Its reader was closed after scouting: opened.first holds all its rows (true),
  // or it is opened again when it loads (false).
  bool rows_kept = false;
};

}  // namespace sluice

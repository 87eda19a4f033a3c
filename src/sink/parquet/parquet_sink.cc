#include "sink/parquet/parquet_sink.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "sink/parquet/parquet_files.h"

namespace sluice {
namespace {

using parquet_sink::ErrnoStatus;
using parquet_sink::Exists;
using parquet_sink::FileName;

constexpr std::string_view kParquet = ".parquet";
constexpr std::string_view kKeys = ".keys";

bool SameNameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The key of `row` as bytes (fixed-width values, strings length-prefixed), or
// false when a key column is null: like a unique index, such a row conflicts
// with none.
bool KeyOf(const Batch& batch, size_t row, const std::vector<size_t>& columns, std::string& out) {
  out.clear();
  for (size_t c : columns) {
    const Column& column = batch.columns()[c];
    if (column.IsNull(row)) return false;
    if (column.def.type == ColumnType::kString) {
      const std::string_view s = column.strings[row];
      const uint32_t size = static_cast<uint32_t>(s.size());
      out.append(reinterpret_cast<const char*>(&size), sizeof size);
      out.append(s);
    } else if (column.def.type == ColumnType::kFloat) {
      const double v = column.floats[row] == 0 ? 0.0 : column.floats[row];  // -0 is 0
      out.append(reinterpret_cast<const char*>(&v), sizeof v);
    } else {
      out.append(reinterpret_cast<const char*>(&column.ints[row]), sizeof(int64_t));
    }
  }
  return true;
}

void AppendRow(const Batch& from, size_t row, Batch& to) {
  for (size_t c = 0; c < from.columns().size(); ++c) {
    const Column& in = from.columns()[c];
    Column& out = to.columns()[c];
    if (in.IsNull(row)) {
      out.AppendNull();
    } else if (in.def.type == ColumnType::kString) {
      out.AppendString(in.strings[row]);
    } else if (in.def.type == ColumnType::kFloat) {
      out.AppendFloat(in.floats[row]);
    } else {
      out.AppendInt(in.ints[row]);
    }
  }
  to.FinishRow(from.Line(row));
}

// Why Parquet cannot hold the value of `column` in `row` as it is (a null in a
// column that is not nullable, a date beyond INT32 days, a timestamp readers
// take for an infinity, a string that is not UTF-8); empty if it can.
std::string Unfit(const Column& column, size_t row) {
  if (column.IsNull(row)) return column.def.nullable ? "" : "null in a column that is not nullable";
  if (column.def.type == ColumnType::kDate &&
      (column.ints[row] < std::numeric_limits<int32_t>::min() ||
       column.ints[row] > std::numeric_limits<int32_t>::max())) {
    return "date " + std::to_string(column.ints[row]) +
           " days from 1970 is beyond Parquet's DATE (32 bits)";
  }
  if (column.def.type == ColumnType::kTimestamp &&
      (column.ints[row] > std::numeric_limits<int64_t>::max() - 1 ||
       column.ints[row] < std::numeric_limits<int64_t>::min() + 2)) {
    // Readers take these for +-infinity (DuckDB): stored, they would read altered.
    return "timestamp " + std::to_string(column.ints[row]) +
           " µs from 1970 is an infinity to Parquet readers";
  }
  if (column.def.type == ColumnType::kString &&
      !simdjson::validate_utf8(column.strings[row].data(), column.strings[row].size())) {
    return "not valid UTF-8 (Parquet strings are UTF-8)";
  }
  return "";
}

// A .keys file: each key as a 4-byte length and its bytes.
std::string KeysFile(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) {
    const uint32_t size = static_cast<uint32_t>(key.size());
    out.append(reinterpret_cast<const char*>(&size), sizeof size);
    out += key;
  }
  return out;
}

Status ReadKeysFile(std::string_view bytes, const std::string& path,
                    std::unordered_set<std::string>& keys) {
  while (!bytes.empty()) {
    uint32_t size = 0;
    if (bytes.size() < sizeof size) return Status::Internal("parquet sink: " + path + " is cut");
    std::memcpy(&size, bytes.data(), sizeof size);
    bytes.remove_prefix(sizeof size);
    if (bytes.size() < size) return Status::Internal("parquet sink: " + path + " is cut");
    keys.emplace(bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ParquetSink>> ParquetSink::Open(std::string dir) {
  if (dir.empty()) return Status::InvalidArgument("parquet sink: no folder given");
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  for (const std::string& folder :
       {dir, dir + "/_sluice", dir + "/_sluice/loads", dir + "/_sluice/keys"}) {
    RETURN_IF_ERROR(parquet_sink::MakeDirectory(folder));
  }
  return std::unique_ptr<ParquetSink>(new ParquetSink(std::move(dir)));
}

ParquetSink::~ParquetSink() { Abort(); }

std::string ParquetSink::TableDir(std::string_view table) const {
  return dir_ + "/" + FileName(table);
}
std::string ParquetSink::MarkerPath(std::string_view load_id) const {
  return dir_ + "/_sluice/loads/" + FileName(load_id) + ".json";
}
std::string ParquetSink::KeysDir(std::string_view table) const {
  return dir_ + "/_sluice/keys/" + FileName(table);
}

Result<std::optional<TableDef>> ParquetSink::DescribeTable(std::string_view name) {
  RETURN_IF_ERROR(parquet_sink::CheckFileName(name, "table"));
  const std::string path = TableDir(name) + "/_schema";
  ASSIGN_OR_RETURN(std::optional<std::string> text, parquet_sink::ReadWholeFile(path));
  if (!text) return std::optional<TableDef>();
  ASSIGN_OR_RETURN(TableDef table, parquet_sink::ParseSchemaJson(*text, path));
  return std::optional<TableDef>(std::move(table));
}

Status ParquetSink::EnsureTable(const TableDef& table) {
  if (in_load()) return Status::Internal("EnsureTable during a load");
  RETURN_IF_ERROR(ValidateTableDef(table, /*case_insensitive_names=*/true));
  RETURN_IF_ERROR(parquet_sink::CheckFileName(table.name, "table"));
  const std::string folder = TableDir(table.name);
  if (Exists(folder + "/_schema")) return Status::Ok();
  RETURN_IF_ERROR(parquet_sink::MakeDirectory(folder));
  ASSIGN_OR_RETURN(UniqueFd lock, parquet_sink::LockFile(folder + "/.lock"));
  if (Exists(folder + "/_schema")) return Status::Ok();  // another sink created it
  RETURN_IF_ERROR(
      parquet_sink::WriteFileDurably(folder, folder + "/_schema", parquet_sink::SchemaJson(table)));
  return parquet_sink::SyncDirectory(dir_);
}

Result<std::vector<ColumnDef>> ParquetSink::AddColumns(const std::string& table,
                                                       const std::vector<ColumnDef>& columns) {
  if (in_load()) return Status::Internal("AddColumns during a load");
  for (const ColumnDef& column : columns) {
    if (column.name.empty() || column.name.find('\0') != std::string::npos) {
      return Status::InvalidArgument("parquet sink: a column name must be non-empty, without NUL");
    }
  }
  RETURN_IF_ERROR(parquet_sink::CheckFileName(table, "table"));
  const std::string folder = TableDir(table);
  const std::string path = folder + "/_schema";
  if (!Exists(path))
    return Status::NotFound("parquet sink: table \"" + table + "\" does not exist");
  ASSIGN_OR_RETURN(UniqueFd lock, parquet_sink::LockFile(folder + "/.lock"));
  ASSIGN_OR_RETURN(std::optional<TableDef> def, DescribeTable(table));
  if (!def) return Status::NotFound("parquet sink: table \"" + table + "\" does not exist");
  std::vector<ColumnDef> added;
  for (const ColumnDef& column : columns) {
    bool present = false;
    for (const ColumnDef& existing : def->columns) {
      present = present || SameNameIgnoringCase(existing.name, column.name);
    }
    if (present) continue;
    def->columns.push_back({column.name, column.type, true});
    added.push_back(def->columns.back());
  }
  if (!added.empty()) {
    RETURN_IF_ERROR(parquet_sink::WriteFileDurably(folder, path, parquet_sink::SchemaJson(*def)));
  }
  return added;
}

Result<bool> ParquetSink::CommittedOrClearStale(std::string_view load_id, bool clear) {
  RETURN_IF_ERROR(parquet_sink::CheckFileName(load_id, "load id"));
  const std::string path = MarkerPath(load_id);
  if (clear)
    parquet_sink::RemoveQuietly(parquet_sink::TemporaryPath(dir_ + "/_sluice/loads", path));
  ASSIGN_OR_RETURN(std::optional<std::string> text, parquet_sink::ReadWholeFile(path));
  if (!text) return false;
  ASSIGN_OR_RETURN(parquet_sink::Marker marker, parquet_sink::ParseMarkerJson(*text, path));
  if (Exists(dir_ + "/" + marker.data)) return true;
  if (clear) {
    // Before the markers: a side file no marker names would never be removed.
    if (!marker.side.empty()) RemoveSideFile(marker.side);
    // The attempt wrote its markers and never renamed its file: none of its group
    // is committed, and no marker of it may later meet a file of that name.
    for (const std::string& other : marker.group) {
      if (other == load_id || parquet_sink::CheckFileName(other, "load id").ok()) {
        const std::string other_path = MarkerPath(other);
        auto other_text = parquet_sink::ReadWholeFile(other_path);
        if (!other_text.has_value() || !other_text->has_value()) continue;
        auto other_marker = parquet_sink::ParseMarkerJson(**other_text, other_path);
        if (other_marker.has_value() && other_marker->data == marker.data) {
          parquet_sink::RemoveQuietly(other_path);
        }
      }
    }
    parquet_sink::RemoveQuietly(path);
  }
  return false;
}

void ParquetSink::RemoveSideFile(const std::string& path) {
  const std::string file = dir_ + "/" + path;
  const std::string folder = file.substr(0, file.rfind('/'));
  parquet_sink::RemoveQuietly(parquet_sink::TemporaryPath(folder, file));
  if (::unlink(file.c_str()) == 0) (void)parquet_sink::SyncDirectory(folder);
}

Result<bool> ParquetSink::IsCommitted(std::string_view load_id) {
  return CommittedOrClearStale(load_id, /*clear=*/false);
}

void ParquetSink::DiscardAttempt(const std::string& table, const LoadId& load) noexcept {
  if (!parquet_sink::CheckFileName(table, "table").ok() ||
      !parquet_sink::CheckFileName(load.id, "load id").ok()) {
    return;
  }
  const std::string folder = TableDir(table);
  const std::string first = FileName(load.id);
  parquet_sink::RemoveQuietly(
      parquet_sink::TemporaryPath(folder, folder + "/" + first + std::string(kParquet)));
  const std::string keys = KeysDir(table);
  parquet_sink::RemoveQuietly(
      parquet_sink::TemporaryPath(keys, keys + "/" + first + std::string(kKeys)));
  (void)CommittedOrClearStale(load.id, /*clear=*/true);
}

Status ParquetSink::Ping() {
  if (::access(dir_.c_str(), W_OK | X_OK) != 0) return ErrnoStatus("cannot write " + dir_, errno);
  return Status::Ok();
}

Status ParquetSink::RefreshKeyIndex(const std::string& table) {
  KeyIndex& index = key_indexes_[table];
  const std::string keys_dir = KeysDir(table);
  const std::string folder = TableDir(table);
  ASSIGN_OR_RETURN(std::vector<std::string> names, parquet_sink::ListDirectory(keys_dir));
  for (const std::string& name : names) {
    if (!name.ends_with(kKeys) || name.starts_with(".")) continue;
    const std::string data = name.substr(0, name.size() - kKeys.size()) + std::string(kParquet);
    // A keys file counts only once its data file is committed; an attempt that
    // crashed before its rename left keys that no row holds.
    if (index.files.contains(data) || !Exists(folder + "/" + data)) continue;
    const std::string path = keys_dir + "/" + name;
    ASSIGN_OR_RETURN(std::optional<std::string> bytes, parquet_sink::ReadWholeFile(path));
    if (!bytes) continue;
    RETURN_IF_ERROR(ReadKeysFile(*bytes, path, index.keys));
    index.files.insert(data);
  }
  index_ = &index;
  return Status::Ok();
}

Status ParquetSink::BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) {
  RETURN_IF_ERROR(parquet_sink::CheckFileName(table.name, "table"));
  for (const LoadId& load : loads) RETURN_IF_ERROR(parquet_sink::CheckFileName(load.id, "load id"));
  const std::string folder = TableDir(table.name);
  if (!Exists(folder + "/_schema")) {
    return Status::Internal("parquet sink: table \"" + table.name + "\" does not exist");
  }
  if (const TableDef* side = side_table()) {
    RETURN_IF_ERROR(parquet_sink::CheckFileName(side->name, "table"));
    if (!Exists(TableDir(side->name) + "/_schema")) {
      return Status::Internal("parquet sink: table \"" + side->name + "\" does not exist");
    }
  }
  if (!table.key.empty()) {
    ASSIGN_OR_RETURN(lock_, parquet_sink::LockFile(folder + "/.lock"));
  }
  for (const LoadId& load : loads) {
    ASSIGN_OR_RETURN(bool committed, CommittedOrClearStale(load.id, /*clear=*/true));
    if (committed) {
      return Status::AlreadyExists("parquet sink: load " + load.id + " is already committed");
    }
  }
  if (!table.key.empty()) {
    for (const std::string& name : table.key) {
      key_columns_.push_back(static_cast<size_t>(table.FindColumn(name)));
    }
    RETURN_IF_ERROR(RefreshKeyIndex(table.name));
  }
  temp_ = parquet_sink::TemporaryPath(folder,
                                      folder + "/" + FileName(loads[0].id) + std::string(kParquet));
  out_ = UniqueFd(::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!out_.valid()) {
    const int error = errno;
    temp_.clear();
    return ErrnoStatus("cannot create " + folder + "/." + FileName(loads[0].id), error);
  }
  output_ = std::make_unique<parquet::FdOutput>(out_.get(), temp_);
  ASSIGN_OR_RETURN(writer_, parquet::ParquetWriter::Open(table.columns, {}, output_.get()));
  return Status::Ok();
}

Status ParquetSink::CheckRows(const Batch& batch, size_t load) {
  for (const Column& column : batch.columns()) {
    for (size_t row = 0; row < batch.rows(); ++row) {
      const std::string why = Unfit(column, row);
      if (!why.empty()) {
        Refuse({load, batch.Line(row), column.def.name, why});
        return Status::InvalidData("parquet sink: " + loads()[load].file + ", line " +
                                   std::to_string(batch.Line(row)) + ", column \"" +
                                   column.def.name + "\": " + why);
      }
    }
  }
  return Status::Ok();
}

Status ParquetSink::WriteRows(const Batch& batch, size_t load) {
  RETURN_IF_ERROR(CheckRows(batch, load));
  const Batch* rows = &batch;
  uint64_t skipped = 0;
  if (!key_columns_.empty()) {
    kept_.Reset(table().columns);
    std::string key;
    for (size_t row = 0; row < batch.rows(); ++row) {
      if (KeyOf(batch, row, key_columns_, key)) {
        if (!index_->keys.insert(key).second) {
          ++skipped;
          continue;
        }
        new_keys_.push_back(key);
      }
      AppendRow(batch, row, kept_);
    }
    rows = &kept_;
  }
  RETURN_IF_ERROR(writer_->Write(*rows));
  counts()[load].inserted += rows->rows();
  counts()[load].skipped_by_key += skipped;
  return Status::Ok();
}

Status ParquetSink::CommitLoads() {
  RETURN_IF_ERROR(writer_->Close());
  const std::string folder = TableDir(table().name);
  const std::string first = FileName(loads()[0].id);
  const std::string data = first + std::string(kParquet);
  if (!new_keys_.empty()) {
    const std::string keys_dir = KeysDir(table().name);
    RETURN_IF_ERROR(parquet_sink::MakeDirectory(keys_dir));
    RETURN_IF_ERROR(parquet_sink::WriteFileDurably(keys_dir, keys_dir + "/" + first + ".keys",
                                                   KeysFile(new_keys_)));
  }
  parquet_sink::Marker marker;
  marker.table = table().name;
  marker.data = FileName(table().name) + "/" + data;
  if (side_file_) marker.side = FileName(side_table()->name) + "/" + data;
  for (const LoadId& load : loads()) marker.group.push_back(load.id);
  const std::string markers = dir_ + "/_sluice/loads";
  for (size_t i = 0; i < loads().size(); ++i) {
    marker.load_id = loads()[i].id;
    marker.file = loads()[i].file;
    marker.rows = counts()[i].inserted;
    RETURN_IF_ERROR(parquet_sink::WriteFileDurably(markers, MarkerPath(marker.load_id),
                                                   parquet_sink::MarkerJson(marker),
                                                   /*sync_folder=*/false));
  }
  RETURN_IF_ERROR(parquet_sink::SyncDirectory(markers));
  if (side_file_) {
    // Whole, under its name, before the commit: no committed load lacks it.
    const std::string side_folder = TableDir(side_table()->name);
    side_path_ = side_folder + "/" + data;
    RETURN_IF_ERROR(parquet_sink::WriteFileDurably(side_folder, side_path_, *side_file_));
  }
  // The commit: the data file appears under its name, whole.
  RETURN_IF_ERROR(parquet_sink::PublishFile(out_.get(), temp_, folder + "/" + data, folder));
  temp_.clear();
  side_path_.clear();
  if (index_ != nullptr) {
    index_->files.insert(data);
    new_keys_.clear();
  }
  EndLoads();
  return Status::Ok();
}

void ParquetSink::AbortLoads() noexcept {
  if (index_ != nullptr) {
    for (const std::string& key : new_keys_) index_->keys.erase(key);
  }
  // A Commit that failed after the side file and before the data file's rename
  // (which, if it happened, committed the loads: then the side file stays).
  if (!side_path_.empty() &&
      !Exists(TableDir(table().name) + "/" + FileName(loads()[0].id) + std::string(kParquet))) {
    RemoveSideFile(side_path_.substr(dir_.size() + 1));
  }
  EndLoads();
}

void ParquetSink::EndLoads() noexcept {
  writer_.reset();
  output_.reset();
  out_.Reset();
  if (!temp_.empty()) parquet_sink::RemoveQuietly(temp_);
  temp_.clear();
  lock_.Reset();
  key_columns_.clear();
  index_ = nullptr;
  new_keys_.clear();
  side_file_.reset();
  side_path_.clear();
}

Status ParquetSink::WriteSideRows(const Batch& rows, const std::vector<size_t>& loads) {
  const TableDef& side = *side_table();
  for (const Column& column : rows.columns()) {
    for (size_t row = 0; row < rows.rows(); ++row) {
      const std::string why = Unfit(column, row);
      // A side row is no line of a file: none is refused by name.
      if (!why.empty()) {
        return Status::InvalidData("parquet sink: side table \"" + side.name + "\", a row of " +
                                   this->loads()[loads[row]].file + ", column \"" +
                                   column.def.name + "\": " + why);
      }
    }
  }
  std::string file;
  parquet::StringOutput output(&file);
  ASSIGN_OR_RETURN(std::unique_ptr<parquet::ParquetWriter> writer,
                   parquet::ParquetWriter::Open(side.columns, {}, &output));
  RETURN_IF_ERROR(writer->Write(rows));
  RETURN_IF_ERROR(writer->Close());
  side_file_ = std::move(file);
  return Status::Ok();
}

}  // namespace sluice

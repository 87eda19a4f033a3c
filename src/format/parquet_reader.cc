#include "format/parquet_reader.h"

#include <algorithm>

#include "format/stream_buffer.h"
#include "parquet/column_reader.h"
#include "parquet/nested_shape.h"
#include "parquet/parquet_file.h"
#include "parquet/value_text.h"

namespace sluice {
namespace {

// The text of a textless cell: as the column reader would have made it.
class ParquetTypedText final : public TypedText {
 public:
  explicit ParquetTypedText(const parquet::LeafColumn& leaf) : text_(leaf) {}
  void Append(const TypedCells& cells, size_t row, std::string& out) const override {
    if (cells.type == ColumnType::kFloat) {
      text_.TypedText(0, cells.floats[row], out);
    } else {
      text_.TypedText(cells.ints[row], 0, out);
    }
  }

 private:
  parquet::ValueText text_;
};

}  // namespace

ParquetReader::ParquetReader(std::unique_ptr<InputStream> input, const ReaderOptions& options)
    : input_(std::move(input)),
      options_(options),
      // Small first batches, doubled while they stay small: a file of long values
      // never builds a first batch of batch_rows huge rows.
      rows_per_batch_(std::min<size_t>(options.batch_rows, 64)) {}

ParquetReader::~ParquetReader() = default;

Status ParquetReader::Open() {
  RandomAccessInput* raw = input_->random_access();
  if (raw == nullptr) {
    return Status::InvalidData(
        "a Parquet file cannot be read through gzip or zstd (Parquet compresses its own "
        "pages): land it uncompressed");
  }
  ASSIGN_OR_RETURN(file_, parquet::ParquetFile::Open(*raw));
  const auto& leaves = file_->columns();
  fields_ = parquet::TopFields(file_->metadata().schema, leaves);
  if (fields_.size() > options_.max_columns) {
    return Status::InvalidData("the file has " + std::to_string(fields_.size()) +
                               " columns, more than max_columns (" +
                               std::to_string(options_.max_columns) + ")");
  }
  for (const parquet::TopField& field : fields_) {
    names_.push_back(field.name);
    if (!field.nested) {
      types_.emplace_back(parquet::ValueText(leaves[field.first_leaf]).kind_name());
      shapes_.emplace_back();
    } else {
      types_.emplace_back("string");  // JSON text
      ASSIGN_OR_RETURN(std::unique_ptr<parquet::NestedShape> shape,
                       parquet::NestedShape::Make(file_->metadata().schema, leaves, field));
      shapes_.push_back(std::move(shape));
    }
  }
  entries_.resize(fields_.size());
  for (size_t f = 0; f < fields_.size(); ++f) {
    if (fields_[f].nested) entries_[f].resize(fields_[f].end_leaf - fields_[f].first_leaf);
  }
  for (const parquet::TopField& field : fields_) {
    typed_text_.push_back(
        field.nested ? nullptr : std::make_unique<ParquetTypedText>(leaves[field.first_leaf]));
  }
  return Status::Ok();
}

std::vector<std::optional<ColumnType>> ParquetReader::declared_types() const {
  std::vector<std::optional<ColumnType>> types;
  for (const std::string& name : types_) {
    std::optional<ColumnType> type = ParseColumnType(name);
    types.push_back(type ? type : ColumnType::kString);  // "time"
  }
  return types;
}

Result<bool> ParquetReader::NextRowGroup() {
  const auto& md = file_->metadata();
  while (next_group_ < md.row_groups.size()) {
    size_t g = next_group_++;
    const parquet::RowGroup& group = md.row_groups[g];
    if (group.num_rows == 0) continue;
    std::vector<std::unique_ptr<parquet::ColumnReader>> previous = std::move(columns_);
    columns_.clear();
    for (size_t c = 0; c < file_->columns().size(); ++c) {
      auto reader = std::make_unique<parquet::ColumnReader>(
          *input_->random_access(), file_->columns()[c], *group.columns[c].meta, group.num_rows, g);
      // The last row group's page buffers, already grown and mapped: fresh ones
      // for every row group cost page faults and zeroing on each page.
      if (c < previous.size()) reader->AdoptBuffers(*previous[c]);
      RETURN_IF_ERROR(reader->Open(file_->data_end(), file_->chunk_size_excludes_dictionary()));
      columns_.push_back(std::move(reader));
    }
    group_rows_left_ = group.num_rows;
    return true;
  }
  columns_.clear();
  return false;
}

Status ParquetReader::ReadNested(size_t f, size_t n, TextBatch& out,
                                 std::vector<std::pair<size_t, std::string>>& bad_rows) {
  const parquet::TopField& field = fields_[f];
  std::vector<parquet::LevelEntries>& entries = entries_[f];
  std::vector<parquet::BadValue> bad;
  for (size_t l = field.first_leaf; l < field.end_leaf; ++l) {
    bad.clear();
    RETURN_IF_ERROR(columns_[l]->ReadRecords(n, entries[l - field.first_leaf], bad));
    for (auto& b : bad) {
      bad_rows.emplace_back(b.row, "column '" + file_->columns()[l].name + "': " + b.message);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    json_.clear();
    Status rendered = shapes_[f]->Render(entries, i, json_);
    if (!rendered.ok()) {
      // Name the structure at fault: the field's first column chunk in this row group.
      const parquet::ColumnMetaData& meta =
          *file_->metadata().row_groups[next_group_ - 1].columns[field.first_leaf].meta;
      int64_t at = meta.dictionary_page_offset.value_or(meta.data_page_offset);
      return Status::InvalidData("column chunk '" + file_->columns()[field.first_leaf].name +
                                 "' of row group " + std::to_string(next_group_ - 1) + " at byte " +
                                 std::to_string(at) + ": " + rendered.message());
    }
    out.MutableCells(f)[i] = json_ == "null" ? kNullSpan : out.Append(json_);
  }
  return Status::Ok();
}

Result<size_t> ParquetReader::ReadBatch(TextBatch& out, RowErrorSink& errors) {
  // A batch whose every row is bad is not the end of the file: read on.
  while (true) {
    ASSIGN_OR_RETURN(ReadResult r, ReadRows(out, errors));
    if (r.added > 0 || r.end) return r.added;
  }
}

Result<ParquetReader::ReadResult> ParquetReader::ReadRows(TextBatch& out, RowErrorSink& errors) {
  out.Clear();
  if (!error_.ok()) return error_;
  if (options_.stop != nullptr && options_.stop->load()) {
    return Status::Unavailable("stop requested");
  }
  if (file_ == nullptr) {
    error_ = Open();
    if (!error_.ok()) return error_;
  }
  if (out.columns() != names_) out.SetColumns(names_);
  if (group_rows_left_ == 0) {
    Result<bool> more = NextRowGroup();
    if (!more) {
      error_ = more.error();
      return error_;
    }
    if (!*more) return ReadResult{0, true};
  }
  size_t n = static_cast<size_t>(
      std::min<int64_t>(group_rows_left_, static_cast<int64_t>(rows_per_batch_)));
  // The columns are decoded straight into the batch, whole: first the typed
  // columns are declared, then the rows made (null), then each column filled.
  for (size_t c = 0; c < fields_.size(); ++c) {
    if (fields_[c].nested) continue;
    const ColumnType typed = columns_[fields_[c].first_leaf]->typed_type();
    const bool textless = typed != ColumnType::kString && c < textless_.size() && textless_[c];
    if (typed != ColumnType::kString) {
      out.SetTyped(c, typed, textless ? typed_text_[c].get() : nullptr);
    } else {
      out.SetDictionary(c);  // string values checked once per dictionary entry
    }
  }
  out.AppendRows(n, row_ + 1);
  std::vector<parquet::BadValue> bad;
  std::vector<std::pair<size_t, std::string>> bad_rows;  // (row, message)
  for (size_t c = 0; c < fields_.size(); ++c) {
    if (fields_[c].nested) {
      Status read = ReadNested(c, n, out, bad_rows);
      if (!read.ok()) {
        out.Clear();  // no half-read rows
        error_ = read;
        return error_;
      }
      continue;
    }
    bad.clear();
    parquet::ColumnReader& column = *columns_[fields_[c].first_leaf];
    const ColumnType typed = column.typed_type();
    int64_t* ints = nullptr;
    double* floats = nullptr;
    std::vector<Span>* entries = nullptr;
    if (typed == ColumnType::kFloat) {
      floats = out.MutableFloats(c);
    } else {
      ints = out.MutableInts(c);
      if (typed == ColumnType::kString) entries = &out.MutableEntries(c);
    }
    const bool textless = typed != ColumnType::kString && c < textless_.size() && textless_[c];
    Status read = column.Read(n, out, out.MutableCells(c), bad, ints, floats, !textless, entries);
    if (!read.ok()) {
      out.Clear();  // no half-read rows
      error_ = read;
      return error_;
    }
    for (auto& b : bad) {
      bad_rows.emplace_back(b.row, "column '" + names_[c] + "': " + b.message);
    }
  }
  group_rows_left_ -= static_cast<int64_t>(n);
  const uint64_t first_line = row_ + 1;
  row_ += n;
  if (bad_rows.empty()) {
    ResizeBatch(out);
    return ReadResult{n, false};
  }
  // A row with a value without text is reported (its first such value) and dropped.
  std::stable_sort(bad_rows.begin(), bad_rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<size_t> dropped;
  for (auto& [row, message] : bad_rows) {
    if (!dropped.empty() && dropped.back() == row) continue;
    dropped.push_back(row);
    RowError e;
    e.line = first_line + row;
    e.message = std::move(message);
    e.kind = RowErrorKind::kEncoding;
    errors.Report(std::move(e));
  }
  out.RemoveRows(dropped);
  ResizeBatch(out);
  return ReadResult{n - dropped.size(), false};
}

void ParquetReader::ResizeBatch(const TextBatch& out) {
  // Columns are decoded a batch at a time, so the batch cannot be cut when full:
  // size the next one from this one, keeping batches near kBatchArenaBytes.
  size_t bytes = out.memory_bytes();
  if (bytes > kBatchArenaBytes && rows_per_batch_ > 1) {
    rows_per_batch_ = std::max<size_t>(1, rows_per_batch_ / 2);
  } else if (bytes < kBatchArenaBytes / 4 && rows_per_batch_ < options_.batch_rows) {
    rows_per_batch_ = std::min(options_.batch_rows, rows_per_batch_ * 2);
  }
}

}  // namespace sluice

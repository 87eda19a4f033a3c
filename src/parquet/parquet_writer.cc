// ParquetWriter: see parquet_writer.h.
#include "parquet/parquet_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "parquet/parquet_types.h"
#include "parquet/thrift_writer.h"

namespace sluice::parquet {
namespace {

// parquet.thrift asks for "<application> version <version>", which readers parse
// to recognise the writers of known-bad files.
constexpr char kCreatedBy[] = "sluice version " SLUICE_VERSION;

void WriteLogicalType(ThriftWriter& w, ColumnType type) {
  // LogicalType is a union: one field, whose id is the kind, holding its struct.
  auto parameterless = [&w](LogicalKind kind) {
    w.BeginStructField(10);  // LogicalType
    w.BeginStructField(static_cast<int16_t>(kind));
    w.EndStruct();
    w.EndStruct();
  };
  switch (type) {
    case ColumnType::kString:
      parameterless(LogicalKind::kString);
      return;
    case ColumnType::kDate:
      parameterless(LogicalKind::kDate);
      return;
    case ColumnType::kTimestamp:
      w.BeginStructField(10);
      w.BeginStructField(static_cast<int16_t>(LogicalKind::kTimestamp));
      w.FieldBool(1, true);   // isAdjustedToUTC
      w.BeginStructField(2);  // unit: TimeUnit
      w.BeginStructField(static_cast<int16_t>(TimeUnit::kMicros));
      w.EndStruct();
      w.EndStruct();
      w.EndStruct();
      w.EndStruct();
      return;
    case ColumnType::kInteger:
    case ColumnType::kFloat:
    case ColumnType::kBoolean:
      return;  // the physical type says it all
  }
}

// The legacy annotation, for readers that predate logical types.
std::optional<ConvertedType> LegacyType(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return ConvertedType::kUtf8;
    case ColumnType::kDate:
      return ConvertedType::kDate;
    case ColumnType::kTimestamp:
      return ConvertedType::kTimestampMicros;
    default:
      return std::nullopt;
  }
}

}  // namespace

Status FdOutput::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable("writing " + name_ + ": " + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<Codec> ParseParquetCompression(std::string_view name) {
  if (name == "zstd") return Codec::kZstd;
  if (name == "snappy") return Codec::kSnappy;
  if (name == "gzip") return Codec::kGzip;
  if (name == "none" || name == "uncompressed") return Codec::kUncompressed;
  return Status::InvalidArgument("Parquet compression \"" + std::string(name) +
                                 "\" is not one of zstd, snappy, gzip, none");
}

ParquetWriter::ParquetWriter(std::vector<ColumnDef> columns, const ParquetWriterOptions& options,
                             ParquetOutput* output)
    : columns_(std::move(columns)), options_(options), output_(output) {
  ColumnWriterOptions column_options;
  column_options.codec = options.codec;
  column_options.compression_level = options.compression_level;
  // A column's share of the open-page budget; columns_ is non-empty (Open checks).
  const size_t share =
      std::max(ParquetWriterOptions::kMinPageBytes, options.open_page_bytes / columns_.size());
  column_options.page_bytes = std::min(options.page_bytes, share);
  column_options.dictionary = options.dictionary;
  column_options.dictionary_bytes = options.dictionary_bytes;
  chunks_.reserve(columns_.size());
  for (const ColumnDef& def : columns_) chunks_.emplace_back(def, column_options);
}

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(std::vector<ColumnDef> columns,
                                                           const ParquetWriterOptions& options,
                                                           ParquetOutput* output) {
  if (columns.empty()) return Status::InvalidArgument("a Parquet file needs at least one column");
  std::set<std::string_view> names;
  for (const ColumnDef& def : columns) {
    if (def.name.empty()) return Status::InvalidArgument("a Parquet column has an empty name");
    if (!names.insert(def.name).second) {
      return Status::InvalidArgument("Parquet column \"" + def.name + "\" appears twice");
    }
  }
  if (options.row_group_rows == 0 || options.row_group_bytes == 0 || options.page_bytes == 0 ||
      options.open_page_bytes == 0) {
    return Status::InvalidArgument("Parquet row group and page limits must be above zero");
  }
  if (options.codec == Codec::kLzo) {
    return Status::InvalidArgument("Parquet compression LZO is not supported for writing");
  }
  std::unique_ptr<ParquetWriter> writer(new ParquetWriter(std::move(columns), options, output));
  RETURN_IF_ERROR(writer->Emit(kMagic));
  return writer;
}

Status ParquetWriter::Emit(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  Status status = output_->Write(bytes);
  if (!status.ok()) {
    failed_ = status;
    return status;
  }
  offset_ += static_cast<int64_t>(bytes.size());
  return Status::Ok();
}

Status ParquetWriter::Write(const Batch& batch) {
  if (!failed_.ok()) return failed_;
  if (closed_) return Status::Internal("ParquetWriter::Write after Close");
  const auto& columns = batch.columns();
  if (columns.size() != columns_.size()) {
    return Status::InvalidArgument("batch has " + std::to_string(columns.size()) +
                                   " columns, the Parquet file " + std::to_string(columns_.size()));
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].def.type != columns_[i].type) {
      return Status::InvalidArgument(
          "batch column " + std::to_string(i) + " (\"" + columns[i].def.name + "\") is " +
          std::string(ColumnTypeName(columns[i].def.type)) + ", the Parquet column \"" +
          columns_[i].name + "\" is " + std::string(ColumnTypeName(columns_[i].type)));
    }
  }
  // Slices end exactly at the row group's row limit; the byte limit is checked
  // after each slice (a batch is a few thousand rows).
  size_t begin = 0;
  while (begin < batch.rows()) {
    const size_t take = static_cast<size_t>(
        std::min<uint64_t>(batch.rows() - begin, options_.row_group_rows - group_rows_));
    for (size_t i = 0; i < chunks_.size(); ++i) {
      Status status = chunks_[i].Append(columns[i], begin, begin + take);
      if (!status.ok()) {
        failed_ = status;
        return status;
      }
    }
    begin += take;
    group_rows_ += take;
    rows_ += take;
    uint64_t bytes = 0;
    for (const ColumnChunkWriter& chunk : chunks_) bytes += chunk.buffered_bytes();
    if (group_rows_ >= options_.row_group_rows || bytes >= options_.row_group_bytes) {
      RETURN_IF_ERROR(FlushRowGroup());
    }
  }
  return Status::Ok();
}

Status ParquetWriter::FlushRowGroup() {
  if (group_rows_ == 0) return Status::Ok();
  RowGroupInfo group;
  group.num_rows = static_cast<int64_t>(group_rows_);
  group.file_offset = offset_;
  for (ColumnChunkWriter& chunk : chunks_) {
    ColumnChunkInfo info;
    auto bytes = chunk.Finish(offset_, info);
    if (!bytes.has_value()) {
      failed_ = bytes.error();
      return failed_;
    }
    RETURN_IF_ERROR(Emit(bytes->dictionary_page));
    for (const std::string& page : bytes->data_pages) RETURN_IF_ERROR(Emit(page));
    group.total_uncompressed += info.total_uncompressed_size;
    group.total_compressed += info.total_compressed_size;
    group.columns.push_back(std::move(info));
  }
  row_groups_.push_back(std::move(group));
  group_rows_ = 0;
  return Status::Ok();
}

std::string ParquetWriter::FileMetaData() const {
  std::string out;
  ThriftWriter w(&out);
  w.BeginStruct();   // FileMetaData
  w.FieldI32(1, 1);  // version
  w.BeginListField(2, ThriftType::kStruct, static_cast<uint32_t>(columns_.size() + 1));
  w.BeginListStruct();  // the root SchemaElement
  w.FieldBinary(4, "schema");
  w.FieldI32(5, static_cast<int32_t>(columns_.size()));
  w.EndStruct();
  for (const ColumnDef& def : columns_) {
    w.BeginListStruct();  // SchemaElement
    w.FieldI32(1, static_cast<int32_t>(PhysicalType(def.type)));
    w.FieldI32(3,
               static_cast<int32_t>(def.nullable ? Repetition::kOptional : Repetition::kRequired));
    w.FieldBinary(4, def.name);
    if (auto legacy = LegacyType(def.type)) w.FieldI32(6, static_cast<int32_t>(*legacy));
    WriteLogicalType(w, def.type);
    w.EndStruct();
  }
  w.FieldI64(3, static_cast<int64_t>(rows_));
  w.BeginListField(4, ThriftType::kStruct, static_cast<uint32_t>(row_groups_.size()));
  for (const RowGroupInfo& group : row_groups_) {
    w.BeginListStruct();  // RowGroup
    w.BeginListField(1, ThriftType::kStruct, static_cast<uint32_t>(group.columns.size()));
    for (size_t i = 0; i < group.columns.size(); ++i) {
      const ColumnChunkInfo& info = group.columns[i];
      const int64_t chunk_start = info.dictionary_page_offset.value_or(info.data_page_offset);
      w.BeginListStruct();  // ColumnChunk
      w.FieldI64(2, chunk_start);
      w.BeginStructField(3);  // ColumnMetaData
      w.FieldI32(1, static_cast<int32_t>(PhysicalType(columns_[i].type)));
      w.BeginListField(2, ThriftType::kI32, static_cast<uint32_t>(info.encodings.size()));
      for (Encoding e : info.encodings) w.ListI32(static_cast<int32_t>(e));
      w.BeginListField(3, ThriftType::kBinary, 1);
      w.ListBinary(columns_[i].name);
      w.FieldI32(4, static_cast<int32_t>(options_.codec));
      w.FieldI64(5, info.num_values);
      w.FieldI64(6, info.total_uncompressed_size);
      w.FieldI64(7, info.total_compressed_size);
      w.FieldI64(9, info.data_page_offset);
      if (info.dictionary_page_offset) w.FieldI64(11, *info.dictionary_page_offset);
      w.BeginStructField(12);  // Statistics
      w.FieldI64(3, info.null_count);
      if (info.max_value) w.FieldBinary(5, *info.max_value);
      if (info.min_value) w.FieldBinary(6, *info.min_value);
      w.EndStruct();
      w.EndStruct();  // ColumnMetaData
      w.EndStruct();  // ColumnChunk
    }
    w.FieldI64(2, group.total_uncompressed);
    w.FieldI64(3, group.num_rows);
    w.FieldI64(5, group.file_offset);
    w.FieldI64(6, group.total_compressed);
    w.EndStruct();
  }
  if (!options_.key_value.empty()) {
    w.BeginListField(5, ThriftType::kStruct, static_cast<uint32_t>(options_.key_value.size()));
    for (const auto& [key, value] : options_.key_value) {
      w.BeginListStruct();  // KeyValue
      w.FieldBinary(1, key);
      w.FieldBinary(2, value);
      w.EndStruct();
    }
  }
  w.FieldBinary(6, kCreatedBy);
  // TYPE_DEFINED_ORDER for every column: min_value/max_value follow each type's
  // natural order (signed integers, unsigned bytes for strings).
  w.BeginListField(7, ThriftType::kStruct, static_cast<uint32_t>(columns_.size()));
  for (size_t i = 0; i < columns_.size(); ++i) {
    w.BeginListStruct();    // ColumnOrder
    w.BeginStructField(1);  // TypeDefinedOrder
    w.EndStruct();
    w.EndStruct();
  }
  w.EndStruct();
  return out;
}

Status ParquetWriter::Close() {
  if (!failed_.ok()) return failed_;
  if (closed_) return Status::Ok();
  RETURN_IF_ERROR(FlushRowGroup());
  const std::string footer = FileMetaData();
  RETURN_IF_ERROR(Emit(footer));
  const auto length = static_cast<uint32_t>(footer.size());
  char length_bytes[4];
  std::memcpy(length_bytes, &length, 4);
  RETURN_IF_ERROR(Emit(std::string_view(length_bytes, 4)));
  RETURN_IF_ERROR(Emit(kMagic));
  closed_ = true;
  return Status::Ok();
}

}  // namespace sluice::parquet

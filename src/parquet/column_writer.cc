// ColumnChunkWriter: see column_writer.h.
#include "parquet/column_writer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "parquet/delta.h"
#include "parquet/rle.h"
#include "parquet/thrift_writer.h"

namespace sluice::parquet {
namespace {

static_assert(std::endian::native == std::endian::little,
              "PLAIN values are copied from memory as little-endian");

// Longer strings are left out of the statistics: readers gain little from them and
// the footer would carry them once per row group.
constexpr size_t kMaxStatBytes = 256;

template <typename T>
void AppendLittleEndian(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void AppendByteArray(std::string& out, std::string_view value) {
  AppendLittleEndian(out, static_cast<uint32_t>(value.size()));
  out.append(value);
}

// The body of the page being closed and its compressed bytes: scratch shared by
// every column writer of the thread (a page is closed by one writer at a time), so
// that memory holds a page's worth of it, not one per column.
struct PageScratch {
  std::string body;
  std::string compressed;
  std::vector<int32_t> int32s;  // an INT32 page's values, narrowed for the encoder
};
thread_local PageScratch page_scratch;

}  // namespace

Type PhysicalType(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return Type::kByteArray;
    case ColumnType::kInteger:
    case ColumnType::kTimestamp:
      return Type::kInt64;
    case ColumnType::kFloat:
      return Type::kDouble;
    case ColumnType::kBoolean:
      return Type::kBoolean;
    case ColumnType::kDate:
      return Type::kInt32;
  }
  return Type::kByteArray;
}

ColumnChunkWriter::ColumnChunkWriter(ColumnDef def, ColumnWriterOptions options)
    : def_(std::move(def)),
      options_(options),
      physical_(PhysicalType(def_.type)),
      dictionary_(physical_) {
  ResetChunk();
}

void ColumnChunkWriter::ResetChunk() {
  use_dictionary_ = options_.dictionary && def_.type != ColumnType::kBoolean;
  dictionary_used_ = false;
  plain_pages_ = false;
  delta_pages_ = false;
  dictionary_.Clear();
  chunk_values_ = 0;
  info_ = ColumnChunkInfo{};
  has_minmax_ = false;
  no_minmax_ = false;
  min_string_.clear();
  max_string_.clear();
}

uint64_t ColumnChunkWriter::buffered_bytes() const {
  return static_cast<uint64_t>(info_.total_uncompressed_size) + plain_.size() +
         ints_.size() * sizeof(int64_t) + indices_.size() * sizeof(uint32_t) +
         def_levels_.size() / 8 + dictionary_.plain().size();
}

template <typename V, typename T>
void ColumnChunkWriter::UpdateMinMax(V value, T& min, T& max) {
  if (!has_minmax_) {
    min = value;
    max = value;
    has_minmax_ = true;
    return;
  }
  if (value < min) min = value;
  if (value > max) max = value;
}

void ColumnChunkWriter::UpdateStats(int64_t value) { UpdateMinMax(value, min_int_, max_int_); }

void ColumnChunkWriter::UpdateStats(double value) {
  // A reader that orders NaN above every number (DuckDB, Spark) would prune wrongly
  // on min/max that leave NaN out, so a chunk holding a NaN has none, as DuckDB's
  // writer does.
  if (std::isnan(value)) {
    no_minmax_ = true;
    return;
  }
  UpdateMinMax(value, min_double_, max_double_);
}

void ColumnChunkWriter::UpdateStats(std::string_view value) {
  if (no_minmax_) return;
  if (value.size() > kMaxStatBytes) {
    no_minmax_ = true;
    return;
  }
  // std::string compares as unsigned bytes, Parquet's order for BYTE_ARRAY.
  UpdateMinMax(value, min_string_, max_string_);
}

Status ColumnChunkWriter::Append(const Column& column, size_t begin, size_t end) {
  if (finished_) {
    pages_.clear();
    dictionary_page_.clear();
    finished_ = false;
  }
  // The type is resolved once per call, not once per value.
  switch (def_.type) {
    case ColumnType::kString:
      return AppendRows<ColumnType::kString>(column, begin, end);
    case ColumnType::kInteger:
      return AppendRows<ColumnType::kInteger>(column, begin, end);
    case ColumnType::kTimestamp:
      return AppendRows<ColumnType::kTimestamp>(column, begin, end);
    case ColumnType::kDate:
      return AppendRows<ColumnType::kDate>(column, begin, end);
    case ColumnType::kBoolean:
      return AppendRows<ColumnType::kBoolean>(column, begin, end);
    case ColumnType::kFloat:
      return AppendRows<ColumnType::kFloat>(column, begin, end);
  }
  return Status::Ok();
}

template <ColumnType kType>
Status ColumnChunkWriter::AppendRows(const Column& column, size_t begin, size_t end) {
  for (size_t row = begin; row < end; ++row) {
    if (column.nulls[row] != 0) {
      if (!def_.nullable) {
        return Status::InvalidArgument("Parquet column \"" + def_.name +
                                       "\" is not nullable but row " + std::to_string(row) +
                                       " of the batch is null");
      }
      def_levels_.push_back(0);
      ++info_.null_count;
    } else {
      if (def_.nullable) def_levels_.push_back(1);
      RETURN_IF_ERROR(AppendValue<kType>(column, row));
      ++chunk_values_;
    }
    ++page_rows_;
    ++info_.num_values;
    if (open_page_bytes() >= options_.page_bytes ||
        dictionary_.plain().size() > options_.dictionary_bytes ||
        (static_cast<int64_t>(dictionary_.size()) * 10 > chunk_values_ && DictionaryBound())) {
      RETURN_IF_ERROR(ClosePage());
    }
  }
  return Status::Ok();
}

bool ColumnChunkWriter::DictionaryBound() const {
  if (!use_dictionary_ || static_cast<int64_t>(dictionary_.size()) * 10 <= chunk_values_) {
    return false;
  }
  // The most values the chunk can hold when this page closes: each further value
  // takes at least its index (or, before the dictionary's first use, its PLAIN
  // size) and its level.
  const size_t per_value =
      (dictionary_used_ || physical_ == Type::kByteArray ? sizeof(uint32_t) : sizeof(int64_t)) +
      (def_.nullable ? 1 : 0);
  const size_t open = open_page_bytes();
  const size_t room = open < options_.page_bytes ? (options_.page_bytes - open) / per_value : 0;
  return dictionary_.size() * 10 > static_cast<size_t>(chunk_values_) + room;
}

template <ColumnType kType>
Status ColumnChunkWriter::AppendValue(const Column& column, size_t row) {
  // Statistics of dictionary-encoded values come from the dictionary (Finish,
  // UndoDictionary); of the values in ints_ as the page closes.
  if constexpr (kType == ColumnType::kString) {
    const std::string_view value = column.strings[row];
    if (use_dictionary_) {
      indices_.push_back(dictionary_.Insert(value));
      undo_bytes_ += sizeof(uint32_t) + value.size();
    } else {
      UpdateStats(value);
      AppendByteArray(plain_, value);
    }
  } else if constexpr (kType == ColumnType::kBoolean) {
    UpdateStats(static_cast<int64_t>(column.ints[row] != 0));
    plain_.push_back(column.ints[row] != 0 ? 1 : 0);
  } else {
    uint64_t bits;
    if constexpr (kType == ColumnType::kFloat) {
      bits = std::bit_cast<uint64_t>(column.floats[row]);
    } else {
      const int64_t value = column.ints[row];
      if constexpr (kType == ColumnType::kDate) {
        if (value < std::numeric_limits<int32_t>::min() ||
            value > std::numeric_limits<int32_t>::max()) {
          return Status::InvalidArgument("Parquet column \"" + def_.name + "\": date " +
                                         std::to_string(value) +
                                         " days from 1970-01-01 is outside INT32");
        }
      }
      bits = static_cast<uint64_t>(value);
    }
    if (use_dictionary_) {
      indices_.push_back(dictionary_.Insert(bits));
      undo_bytes_ += sizeof(uint64_t);
    } else {
      ints_.push_back(static_cast<int64_t>(bits));
    }
  }
  return Status::Ok();
}

void ColumnChunkWriter::StatsFromDictionary() {
  for (uint32_t i = 0; i < dictionary_.size(); ++i) {
    switch (physical_) {
      case Type::kByteArray:
        UpdateStats(dictionary_.string(i));
        break;
      case Type::kDouble:
        UpdateStats(std::bit_cast<double>(dictionary_.number(i)));
        break;
      default:  // INT32 entries were widened from int32 values, INT64 are as they are
        UpdateStats(static_cast<int64_t>(dictionary_.number(i)));
        break;
    }
  }
}

void ColumnChunkWriter::UndoDictionary() {
  StatsFromDictionary();
  for (uint32_t index : indices_) {
    switch (physical_) {
      case Type::kByteArray:
        AppendByteArray(plain_, dictionary_.string(index));
        break;
      default:  // numbers, doubles as their bits
        ints_.push_back(static_cast<int64_t>(dictionary_.number(index)));
        break;
    }
  }
  indices_.clear();
  undo_bytes_ = 0;
  dictionary_.Clear();
}

Status ColumnChunkWriter::ClosePage() {
  if (page_rows_ == 0) return Status::Ok();
  if (use_dictionary_ && !dictionary_.empty() &&
      (dictionary_.plain().size() > options_.dictionary_bytes ||
       static_cast<int64_t>(dictionary_.size()) * 10 > chunk_values_)) {
    use_dictionary_ = false;  // the rest of this chunk goes without
    // No page needs the dictionary yet: this one is written without it too.
    if (!dictionary_used_) UndoDictionary();
  }
  std::string& body = page_scratch.body;
  body.clear();
  if (def_.nullable) {
    // v1 pages: the levels' runs, prefixed by their length in 4 bytes.
    body.append(4, '\0');
    RleBitPackedEncoder levels(1);
    for (uint8_t level : def_levels_) levels.Put(level);
    levels.Flush(body);
    const auto length = static_cast<uint32_t>(body.size() - 4);
    std::memcpy(body.data(), &length, 4);
  }
  Encoding encoding = Encoding::kPlain;
  // A page of nulls only, before any dictionary entry, is written PLAIN (no
  // values): an empty dictionary page is something readers need not expect.
  if (!indices_.empty()) {
    const int width = std::max(1, BitWidth(dictionary_.size() - 1));
    body.push_back(static_cast<char>(width));
    RleBitPackedEncoder indices(width);
    indices.Put(indices_);
    indices.Flush(body);
    encoding = Encoding::kRleDictionary;
    dictionary_used_ = true;
  } else if (!ints_.empty() && physical_ == Type::kDouble) {
    for (int64_t bits : ints_) UpdateStats(std::bit_cast<double>(bits));
    const size_t start = body.size();
    body.resize(start + ints_.size() * sizeof(int64_t));
    std::memcpy(body.data() + start, ints_.data(), ints_.size() * sizeof(int64_t));
    plain_pages_ = true;
  } else if (!ints_.empty()) {
    int64_t min = ints_[0], max = ints_[0];
    for (int64_t v : ints_) {
      min = std::min(min, v);
      max = std::max(max, v);
    }
    UpdateStats(min);
    UpdateStats(max);
    if (physical_ == Type::kInt32) {
      // Dates, checked against INT32's range as they were appended.
      std::vector<int32_t>& narrow = page_scratch.int32s;
      narrow.assign(ints_.begin(), ints_.end());
      EncodeDeltaBinaryPacked(std::span<const int32_t>(narrow), body);
    } else {
      EncodeDeltaBinaryPacked(std::span<const int64_t>(ints_), body);
    }
    encoding = Encoding::kDeltaBinaryPacked;
    delta_pages_ = true;
  } else if (def_.type == ColumnType::kBoolean) {
    // PLAIN booleans: bit-packed, least significant bit first.
    const size_t start = body.size();
    body.append((plain_.size() + 7) / 8, '\0');
    for (size_t i = 0; i < plain_.size(); ++i) {
      if (plain_[i] != 0) body[start + i / 8] |= static_cast<char>(1 << (i % 8));
    }
    plain_pages_ = true;
  } else {
    body += plain_;
    plain_pages_ = true;
  }
  RETURN_IF_ERROR(
      AppendPage(PageType::kDataPage, body, page_rows_, encoding, pages_.emplace_back()));
  def_levels_.clear();
  plain_.clear();
  ints_.clear();
  indices_.clear();
  undo_bytes_ = 0;
  page_rows_ = 0;
  return Status::Ok();
}

Status ColumnChunkWriter::AppendPage(PageType type, std::string_view body, int32_t num_values,
                                     Encoding encoding, std::string& to) {
  std::string& compressed = page_scratch.compressed;
  RETURN_IF_ERROR(Compress(options_.codec, body, compressed, options_.compression_level)
                      .WithContext("Parquet column \"" + def_.name + "\""));
  if (body.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()) ||
      compressed.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::InvalidArgument("Parquet column \"" + def_.name +
                                   "\": a page exceeds 2 GiB (a value that large cannot be "
                                   "written)");
  }
  header_.clear();
  ThriftWriter w(&header_);
  w.BeginStruct();  // PageHeader
  w.FieldI32(1, static_cast<int32_t>(type));
  w.FieldI32(2, static_cast<int32_t>(body.size()));
  w.FieldI32(3, static_cast<int32_t>(compressed.size()));
  if (type == PageType::kDictionaryPage) {
    w.BeginStructField(7);  // DictionaryPageHeader
    w.FieldI32(1, num_values);
    w.FieldI32(2, static_cast<int32_t>(Encoding::kPlain));
    w.EndStruct();
  } else {
    w.BeginStructField(5);  // DataPageHeader
    w.FieldI32(1, num_values);
    w.FieldI32(2, static_cast<int32_t>(encoding));
    w.FieldI32(3, static_cast<int32_t>(Encoding::kRle));  // definition levels
    w.FieldI32(4, static_cast<int32_t>(Encoding::kRle));  // repetition levels (none)
    w.EndStruct();
  }
  w.EndStruct();
  to.reserve(header_.size() + compressed.size());
  to = header_;
  to += compressed;
  info_.total_uncompressed_size += static_cast<int64_t>(header_.size() + body.size());
  info_.total_compressed_size += static_cast<int64_t>(header_.size() + compressed.size());
  return Status::Ok();
}

Result<ColumnChunkWriter::ChunkBytes> ColumnChunkWriter::Finish(int64_t file_offset,
                                                                ColumnChunkInfo& info) {
  if (finished_) {
    pages_.clear();
    dictionary_page_.clear();
  }
  RETURN_IF_ERROR(ClosePage());
  if (dictionary_used_) {
    StatsFromDictionary();
    info_.dictionary_page_offset = file_offset;
    RETURN_IF_ERROR(AppendPage(PageType::kDictionaryPage, dictionary_.plain(),
                               static_cast<int32_t>(dictionary_.size()), Encoding::kPlain,
                               dictionary_page_));
  }
  info_.data_page_offset = file_offset + static_cast<int64_t>(dictionary_page_.size());

  if (plain_pages_ || dictionary_used_) info_.encodings.push_back(Encoding::kPlain);
  if (def_.nullable) info_.encodings.push_back(Encoding::kRle);
  if (dictionary_used_) info_.encodings.push_back(Encoding::kRleDictionary);
  if (delta_pages_) info_.encodings.push_back(Encoding::kDeltaBinaryPacked);

  if (has_minmax_ && !no_minmax_) {
    std::string min, max;
    switch (def_.type) {
      case ColumnType::kString:
        min = min_string_;
        max = max_string_;
        break;
      case ColumnType::kInteger:
      case ColumnType::kTimestamp:
        AppendLittleEndian(min, min_int_);
        AppendLittleEndian(max, max_int_);
        break;
      case ColumnType::kDate:
        AppendLittleEndian(min, static_cast<int32_t>(min_int_));
        AppendLittleEndian(max, static_cast<int32_t>(max_int_));
        break;
      case ColumnType::kBoolean:
        min.push_back(static_cast<char>(min_int_));
        max.push_back(static_cast<char>(max_int_));
        break;
      case ColumnType::kFloat:
        // The format asks for -0.0 as a zero minimum and +0.0 as a zero maximum, so
        // a reader pruning on either sign of zero keeps the chunk.
        AppendLittleEndian(min, min_double_ == 0.0 ? -0.0 : min_double_);
        AppendLittleEndian(max, max_double_ == 0.0 ? 0.0 : max_double_);
        break;
    }
    info_.min_value = std::move(min);
    info_.max_value = std::move(max);
  }
  info = std::move(info_);
  ResetChunk();
  finished_ = true;
  return ChunkBytes{dictionary_page_, pages_};
}

}  // namespace sluice::parquet

#include "parquet/column_reader.h"

#include <algorithm>
#include <cstring>

#include "parquet/byte_stream_split.h"
#include "parquet/codec.h"
#include "parquet/delta.h"

namespace sluice::parquet {
namespace {

template <typename T>
T LoadLE(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // Parquet is little-endian, as is every target
  return v;
}

}  // namespace

ColumnReader::ColumnReader(RandomAccessInput& file, const LeafColumn& leaf,
                           const ColumnMetaData& meta, int64_t rows, size_t row_group)
    : file_(file),
      leaf_(leaf),
      meta_(meta),
      text_(leaf),
      typed_(text_.typed_type()),
      where_("column chunk '" + leaf.name + "' of row group " + std::to_string(row_group)),
      rows_left_(rows) {}

Status ColumnReader::Fail(std::string_view what, uint64_t offset, std::string_view message) const {
  std::string m(what);
  if (what != where_) m += " of " + where_;
  return Status::InvalidData(m + " at byte " + std::to_string(offset) + ": " +
                             std::string(message));
}

void ColumnReader::AdoptBuffers(ColumnReader& previous) {
  raw_.swap(previous.raw_);
  page_.swap(previous.page_);
  indices_buf_.swap(previous.indices_buf_);
  split_.swap(previous.split_);
}

Status ColumnReader::Open(uint64_t data_end, bool dictionary_slack) {
  uint64_t start = static_cast<uint64_t>(meta_.data_page_offset);
  if (meta_.dictionary_page_offset && *meta_.dictionary_page_offset > 0 &&
      static_cast<uint64_t>(*meta_.dictionary_page_offset) < start) {
    start = static_cast<uint64_t>(*meta_.dictionary_page_offset);
  }
  if (meta_.data_page_offset < 4 || start >= data_end ||
      static_cast<uint64_t>(meta_.total_compressed_size) > data_end - start) {
    return Fail(where_, start,
                "its " + std::to_string(meta_.total_compressed_size) +
                    " bytes lie outside the file's data (bytes 4 to " + std::to_string(data_end) +
                    ")");
  }
  if (meta_.type != static_cast<Type>(*leaf_.element.type)) {
    return Fail(where_, start,
                "physical type " + TypeName(int(meta_.type)) + " differs from the schema's " +
                    TypeName(*leaf_.element.type));
  }
  Result<Codec> codec = CodecFromThrift(static_cast<int32_t>(meta_.codec));  // a known value
  if (!codec) return Fail(where_, start, codec.error().message());
  pos_ = start;
  end_ = start + static_cast<uint64_t>(meta_.total_compressed_size);
  if (dictionary_slack) end_ = std::min(end_ + 100, data_end);
  return Status::Ok();
}

Status ColumnReader::StartValues(int32_t encoding, std::string_view values, uint64_t at,
                                 int32_t count) {
  Type type = static_cast<Type>(*leaf_.element.type);
  materialized_next_ = 0;
  switch (static_cast<Encoding>(encoding)) {
    case Encoding::kPlain:
      source_ = Source::kPlain;
      plain_ = values;
      plain_pos_ = 0;
      bool_bit_ = 0;
      return Status::Ok();
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary: {
      if (!has_dictionary_) {
        return Fail("page", at, "dictionary-encoded values, but the chunk has no dictionary page");
      }
      source_ = Source::kDictionary;
      int width = values.empty() ? 0 : static_cast<unsigned char>(values[0]);
      if (width > 32) return Fail("page", at, "dictionary index width above 32");
      indices_.Reset(values.empty() ? values : values.substr(1), width);
      return Status::Ok();
    }
    case Encoding::kRle: {
      if (type != Type::kBoolean) break;
      Result<std::string_view> runs = ReadLengthPrefixed(values);
      if (!runs) return Fail("page", at, "RLE booleans: " + runs.error().message());
      indices_.Reset(*runs, 1);
      source_ = Source::kBoolRle;
      return Status::Ok();
    }
    case Encoding::kDeltaBinaryPacked: {
      Result<size_t> used =
          type == Type::kInt32   ? DecodeDeltaBinaryPacked(values, size_t(count), ints32_)
          : type == Type::kInt64 ? DecodeDeltaBinaryPacked(values, size_t(count), ints64_)
                                 : Result<size_t>(Status::InvalidData("DELTA_BINARY_PACKED for " +
                                                                      TypeName(int(type))));
      if (!used) return Fail("page", at, used.error().message());
      source_ = Source::kInts;
      return Status::Ok();
    }
    case Encoding::kDeltaLengthByteArray: {
      if (type != Type::kByteArray) break;
      Result<size_t> used = DecodeDeltaLengthByteArray(values, size_t(count), bytes_);
      if (!used) return Fail("page", at, used.error().message());
      source_ = Source::kBytes;
      return Status::Ok();
    }
    case Encoding::kDeltaByteArray: {
      if (type != Type::kByteArray && type != Type::kFixedLenByteArray) break;
      Result<size_t> used =
          DecodeDeltaByteArray(values, size_t(count), delta_arena_, bytes_, kMaxPageBytes);
      if (!used) return Fail("page", at, used.error().message());
      source_ = Source::kBytes;
      return Status::Ok();
    }
    case Encoding::kByteStreamSplit: {
      size_t width = type == Type::kFloat || type == Type::kInt32    ? 4
                     : type == Type::kDouble || type == Type::kInt64 ? 8
                     : type == Type::kFixedLenByteArray ? size_t(leaf_.element.type_length)
                                                        : 0;
      if (width == 0) break;
      Status s = DecodeByteStreamSplit(values, width, split_);
      if (!s.ok()) return Fail("page", at, s.message());
      source_ = Source::kPlain;
      plain_ = split_;
      plain_pos_ = 0;
      return Status::Ok();
    }
    default:
      break;
  }
  return Fail("page", at,
              "unsupported encoding " + EncodingName(encoding) + " for " + TypeName(int(type)));
}

Status ColumnReader::PlainValue(std::string& out, bool& ok) {
  auto need = [&](size_t n) -> Status {
    if (plain_.size() - plain_pos_ < n) {
      return Fail("page", page_at_, "its values end before its value count");
    }
    return Status::Ok();
  };
  const char* p = plain_.data() + plain_pos_;
  switch (static_cast<Type>(*leaf_.element.type)) {
    case Type::kBoolean: {
      if ((bool_bit_ >> 3) >= plain_.size()) return need(1);
      bool v = (static_cast<unsigned char>(plain_[bool_bit_ >> 3]) >> (bool_bit_ & 7)) & 1;
      ++bool_bit_;
      int_ = v;
      ok = !format_ || text_.Bool(v, out);
      return Status::Ok();
    }
    case Type::kInt32:
      RETURN_IF_ERROR(need(4));
      plain_pos_ += 4;
      int_ = LoadLE<int32_t>(p);
      ok = !format_ || text_.Int32(static_cast<int32_t>(int_), out);
      return Status::Ok();
    case Type::kInt64:
      RETURN_IF_ERROR(need(8));
      plain_pos_ += 8;
      int_ = LoadLE<int64_t>(p);
      ok = !format_ || text_.Int64(int_, out);
      return Status::Ok();
    case Type::kInt96:
      RETURN_IF_ERROR(need(12));
      plain_pos_ += 12;
      ok = text_.Int96(reinterpret_cast<const uint8_t*>(p), out);
      return Status::Ok();
    case Type::kFloat:
      RETURN_IF_ERROR(need(4));
      plain_pos_ += 4;
      float_ = LoadLE<float>(p);
      ok = !format_ || text_.Float(static_cast<float>(float_), out);
      return Status::Ok();
    case Type::kDouble:
      RETURN_IF_ERROR(need(8));
      plain_pos_ += 8;
      float_ = LoadLE<double>(p);
      ok = !format_ || text_.Double(float_, out);
      return Status::Ok();
    case Type::kByteArray: {
      RETURN_IF_ERROR(need(4));
      uint32_t len = LoadLE<uint32_t>(p);
      plain_pos_ += 4;
      RETURN_IF_ERROR(need(len));
      ok = text_.Bytes(plain_.substr(plain_pos_, len), out);
      plain_pos_ += len;
      return Status::Ok();
    }
    case Type::kFixedLenByteArray: {
      size_t len = static_cast<size_t>(leaf_.element.type_length);
      RETURN_IF_ERROR(need(len));
      ok = text_.Bytes(plain_.substr(plain_pos_, len), out);
      plain_pos_ += len;
      return Status::Ok();
    }
  }
  return Fail("page", page_at_, "unknown physical type");
}

Result<bool> ColumnReader::NextValue(std::string& out) {
  bool ok = false;
  switch (source_) {
    case Source::kPlain:
      RETURN_IF_ERROR(PlainValue(out, ok));
      return ok;
    case Source::kDictionary:
    case Source::kBoolRle: {
      uint32_t index = 0;
      Result<size_t> got = indices_.Get(&index, 1);
      if (!got) return Fail("page", page_at_, got.error().message());
      if (*got == 0) return Fail("page", page_at_, "its values end before its value count");
      if (source_ == Source::kBoolRle) {
        int_ = index != 0;
        return !format_ || text_.Bool(index != 0, out);
      }
      if (index >= dict_bad_.size()) {
        return Fail("page", page_at_,
                    "dictionary index " + std::to_string(index) + " beyond the dictionary's " +
                        std::to_string(dict_bad_.size()) + " values");
      }
      if (dict_bad_[index]) return false;
      if (typed_ != ColumnType::kString) {
        int_ = dict_ints_[index];
        float_ = dict_floats_[index];
        if (!format_) return true;
      }
      out.append(dict_text_, dict_offsets_[index], dict_offsets_[index + 1] - dict_offsets_[index]);
      return true;
    }
    case Source::kInts: {
      size_t i = materialized_next_++;
      if (static_cast<Type>(*leaf_.element.type) == Type::kInt32) {
        if (i >= ints32_.size())
          return Fail("page", page_at_, "its values end before its value count");
        int_ = ints32_[i];
        return !format_ || text_.Int32(ints32_[i], out);
      }
      if (i >= ints64_.size())
        return Fail("page", page_at_, "its values end before its value count");
      int_ = ints64_[i];
      return !format_ || text_.Int64(ints64_[i], out);
    }
    case Source::kBytes: {
      size_t i = materialized_next_++;
      if (i >= bytes_.size())
        return Fail("page", page_at_, "its values end before its value count");
      std::string_view v = bytes_[i];
      if (static_cast<Type>(*leaf_.element.type) == Type::kFixedLenByteArray &&
          v.size() != static_cast<size_t>(leaf_.element.type_length)) {
        return Fail("page", page_at_, "a fixed-length value of the wrong length");
      }
      return text_.Bytes(v, out);
    }
  }
  return false;
}

Status ColumnReader::StartLevels(LevelStream& stream, int32_t encoding, std::string_view& data,
                                 int16_t max, int32_t count, std::string_view what) {
  stream.kind = Levels::kNone;
  if (max == 0) return Status::Ok();
  std::string name = std::string(what) + " levels";
  int width = BitWidth(static_cast<uint64_t>(max));
  if (encoding == static_cast<int32_t>(Encoding::kRle)) {
    Result<std::string_view> levels = ReadLengthPrefixed(data);
    if (!levels) return Fail("page", page_at_, name + ": " + levels.error().message());
    stream.rle.Reset(*levels, width);
    data.remove_prefix(4 + levels->size());
    stream.kind = Levels::kRle;
    return Status::Ok();
  }
  if (encoding == static_cast<int32_t>(Encoding::kBitPacked)) {
    if (static_cast<uint64_t>(count) * width > uint64_t{8} * data.size()) {
      return Fail("page", page_at_, name + " run past the page");
    }
    stream.all.resize(static_cast<size_t>(count));
    Result<size_t> used = DecodeLegacyBitPacked(data, width, stream.all.size(), stream.all.data());
    if (!used) return Fail("page", page_at_, name + ": " + used.error().message());
    data.remove_prefix(*used);
    stream.next = 0;
    stream.kind = Levels::kMaterialized;
    return Status::Ok();
  }
  return Fail("page", page_at_, name + " in unsupported encoding " + EncodingName(encoding));
}

Status ColumnReader::GetLevels(LevelStream& stream, size_t n, int16_t fill,
                               std::vector<int16_t>& out) {
  out.resize(n);
  switch (stream.kind) {
    case Levels::kNone:
      std::fill(out.begin(), out.end(), fill);
      return Status::Ok();
    case Levels::kRle: {
      Result<size_t> got = stream.rle.Get(out.data(), n);
      if (!got) return Fail("page", page_at_, "levels: " + got.error().message());
      if (*got < n) return Fail("page", page_at_, "fewer levels than values");
      return Status::Ok();
    }
    case Levels::kMaterialized:
      if (stream.all.size() - stream.next < n) {
        return Fail("page", page_at_, "fewer levels than values");
      }
      std::copy_n(stream.all.begin() + static_cast<ptrdiff_t>(stream.next), n, out.begin());
      stream.next += n;
      return Status::Ok();
  }
  return Status::Ok();
}

Status ColumnReader::ReadLevels(size_t n) { return GetLevels(def_, n, leaf_.max_def, levels_); }

Status ColumnReader::Read(size_t n, TextBatch& batch, Span* cells, std::vector<BadValue>& bad,
                          int64_t* ints, double* floats, bool text, std::vector<Span>* entries) {
  // Only a typed column goes without text (its values are in `ints` or `floats`).
  format_ = text || typed_ == ColumnType::kString || (ints == nullptr && floats == nullptr);
  dict_in_arena_ = false;  // a new batch
  entries_ = typed_ == ColumnType::kString && ints != nullptr ? entries : nullptr;
  if (typed_ == ColumnType::kString && entries_ == nullptr) ints = nullptr;
  if (static_cast<uint64_t>(n) > static_cast<uint64_t>(rows_left_)) {
    return Status::Internal("read past the row group's rows");
  }
  size_t done = 0;
  while (done < n) {
    if (page_left_ == 0) {
      RETURN_IF_ERROR(NextPage());
      continue;
    }
    size_t take =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(n - done), page_left_));
    RETURN_IF_ERROR(ReadLevels(take));
    const int16_t max = leaf_.max_def;
    // Unsigned, a negative level is out of range too; no branch, so the loop
    // vectorises.
    const uint16_t umax = static_cast<uint16_t>(max);
    const int16_t* levels = levels_.data();
    uint32_t values32 = 0;
    uint16_t above = 0;
    for (size_t i = 0; i < take; ++i) {
      const uint16_t level = static_cast<uint16_t>(levels[i]);
      values32 += level == umax ? 1 : 0;
      above |= level > umax ? 1 : 0;
    }
    const size_t values = values32;
    const bool out_of_range = above != 0;
    if (out_of_range) {
      for (size_t i = 0; i < take; ++i) {
        if (levels_[i] < 0) return Fail("page", page_at_, "negative definition level");
        if (levels_[i] > max) {
          return Fail("page", page_at_,
                      "definition level " + std::to_string(levels_[i]) +
                          " above the column's maximum " + std::to_string(max));
        }
      }
    }
    RETURN_IF_ERROR(DecodeValues(take, values, batch, cells + done, done, bad,
                                 ints == nullptr ? nullptr : ints + done,
                                 floats == nullptr ? nullptr : floats + done));
    page_left_ -= static_cast<int64_t>(take);
    done += take;
  }
  rows_left_ -= static_cast<int64_t>(n);
  return Status::Ok();
}

}  // namespace sluice::parquet

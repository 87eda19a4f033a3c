#include "parquet/column_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "parquet/byte_stream_split.h"
#include "parquet/codec.h"
#include "parquet/delta.h"

namespace sluice::parquet {
namespace {

// A page header is read with this many bytes first, then more if it needs them
// (statistics can make it long), up to kMaxHeaderBytes.
constexpr size_t kHeaderProbeBytes = 16 * 1024;
constexpr size_t kMaxHeaderBytes = 16 * 1024 * 1024;

template <typename T>
T LoadLE(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // Parquet is little-endian, as is every target
  return v;
}

// The fewest bytes one PLAIN value of `leaf` takes (0 for booleans: one bit).
size_t MinPlainBytes(const LeafColumn& leaf) {
  switch (static_cast<Type>(*leaf.element.type)) {
    case Type::kBoolean:
      return 0;
    case Type::kInt32:
    case Type::kFloat:
    case Type::kByteArray:
      return 4;
    case Type::kInt64:
    case Type::kDouble:
      return 8;
    case Type::kInt96:
      return 12;
    case Type::kFixedLenByteArray:
      return static_cast<size_t>(leaf.element.type_length);
  }
  return 1;
}

bool CrcMatches(uLong crc, int32_t expected) {
  return static_cast<uint32_t>(crc) == static_cast<uint32_t>(expected);
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

Status ColumnReader::NextPage() {
  Codec codec = meta_.codec;
  while (true) {
    if (pos_ >= end_) {
      return Fail(where_, pos_,
                  "ends with " + std::to_string(rows_left_) + " of the row group's rows unread");
    }
    page_at_ = pos_;
    // The header, and as much of the body as the first read brings.
    size_t want = static_cast<size_t>(std::min<uint64_t>(end_ - pos_, kHeaderProbeBytes));
    PageHeader h;
    while (true) {
      raw_.resize(want);
      ASSIGN_OR_RETURN(size_t got, file_.ReadAt(pos_, raw_.data(), want));
      if (got < want) return Fail("page header", pos_, "the file ends inside it");
      Result<PageHeader> parsed = ParsePageHeader(raw_, pos_);
      if (parsed) {
        h = *parsed;
        break;
      }
      uint64_t avail = end_ - pos_;
      if (want >= avail || want >= kMaxHeaderBytes) {
        return Status::InvalidData(parsed.error().message() + " (in " + where_ + ")");
      }
      want = static_cast<size_t>(std::min<uint64_t>({avail, want * 8, kMaxHeaderBytes}));
    }
    uint64_t body_at = pos_ + h.header_size;
    uint64_t size = static_cast<uint64_t>(h.compressed_page_size);
    if (size > end_ - body_at) {
      return Fail("page", page_at_,
                  "its " + std::to_string(size) + " bytes run past the end of the column chunk");
    }
    if (static_cast<uint64_t>(h.uncompressed_page_size) > kMaxPageBytes || size > kMaxPageBytes) {
      return Fail("page", page_at_,
                  "declares " + std::to_string(size) + " bytes (" +
                      std::to_string(h.uncompressed_page_size) + " uncompressed), more than the " +
                      std::to_string(kMaxPageBytes) + " sluice reads");
    }
    // A large compressed data page is decompressed as it is read, a piece at a
    // time, rather than held whole in both forms.
    const bool in_pieces = static_cast<PageType>(h.type) == PageType::kDataPage &&
                           PieceDecompressor::StreamsPieces(codec) && size > kPieceBytes;
    std::string_view body;
    if (in_pieces) {
      RETURN_IF_ERROR(ReadPagePieces(h, body_at, size));
    } else {
      size_t have = raw_.size() - h.header_size;
      if (have < size) {
        raw_.resize(h.header_size + size);
        ASSIGN_OR_RETURN(size_t got, file_.ReadAt(body_at + have,
                                                  raw_.data() + h.header_size + have, size - have));
        if (got < size - have) return Fail("page", page_at_, "the file ends inside it");
      }
      body = std::string_view(raw_).substr(h.header_size, size);
      if (h.crc && !CrcMatches(crc32(0L, reinterpret_cast<const Bytef*>(body.data()),
                                     static_cast<uInt>(body.size())),
                               *h.crc)) {
        return Fail("page", page_at_, "CRC mismatch (the page is corrupt)");
      }
    }
    pos_ = body_at + size;
    switch (static_cast<PageType>(h.type)) {
      case PageType::kDictionaryPage:
        RETURN_IF_ERROR(ReadDictionary(h, body, page_at_));
        continue;
      case PageType::kDataPage: {
        if (!h.data_page) return Fail("page header", page_at_, "data page without its header");
        const DataPageHeader& d = *h.data_page;
        if (d.num_values < 0) return Fail("page header", page_at_, "negative num_values");
        std::string_view data = body;
        if (in_pieces) {
          data = page_;
        } else if (codec != Codec::kUncompressed) {
          Status s = Decompress(codec, body, static_cast<size_t>(h.uncompressed_page_size), page_,
                                kMaxPageBytes);
          if (!s.ok()) return Fail("page", page_at_, s.message());
          data = page_;
        }
        // Repetition levels come first, then definition levels.
        RETURN_IF_ERROR(StartLevels(rep_, d.repetition_level_encoding, data, leaf_.max_rep,
                                    d.num_values, "repetition"));
        RETURN_IF_ERROR(StartLevels(def_, d.definition_level_encoding, data, leaf_.max_def,
                                    d.num_values, "definition"));
        RETURN_IF_ERROR(StartValues(d.encoding, data, page_at_, d.num_values));
        page_left_ = d.num_values;
        return Status::Ok();
      }
      case PageType::kDataPageV2: {
        if (!h.data_page_v2)
          return Fail("page header", page_at_, "data page v2 without its header");
        const DataPageHeaderV2& d = *h.data_page_v2;
        if (d.num_values < 0 || d.repetition_levels_byte_length < 0 ||
            d.definition_levels_byte_length < 0 ||
            uint64_t(d.repetition_levels_byte_length) + uint64_t(d.definition_levels_byte_length) >
                body.size()) {
          return Fail("page header", page_at_, "level lengths do not fit the page");
        }
        size_t levels_size =
            size_t(d.repetition_levels_byte_length) + size_t(d.definition_levels_byte_length);
        std::string_view levels = body.substr(size_t(d.repetition_levels_byte_length),
                                              size_t(d.definition_levels_byte_length));
        std::string_view data = body.substr(levels_size);
        if (d.is_compressed && codec != Codec::kUncompressed) {
          if (static_cast<size_t>(h.uncompressed_page_size) < levels_size) {
            return Fail("page header", page_at_, "uncompressed size smaller than the levels");
          }
          size_t values_size = static_cast<size_t>(h.uncompressed_page_size) - levels_size;
          if (values_size == 0) {
            page_.clear();
          } else {
            Status s = Decompress(codec, data, values_size, page_, kMaxPageBytes);
            if (!s.ok()) return Fail("page", page_at_, s.message());
          }
          data = page_;
        }
        def_.kind = Levels::kNone;
        if (leaf_.max_def > 0) {
          def_.rle.Reset(levels, BitWidth(static_cast<uint64_t>(leaf_.max_def)));
          def_.kind = Levels::kRle;
        }
        rep_.kind = Levels::kNone;
        if (leaf_.max_rep > 0) {
          rep_.rle.Reset(body.substr(0, size_t(d.repetition_levels_byte_length)),
                         BitWidth(static_cast<uint64_t>(leaf_.max_rep)));
          rep_.kind = Levels::kRle;
        }
        RETURN_IF_ERROR(StartValues(d.encoding, data, page_at_, d.num_values));
        page_left_ = d.num_values;
        return Status::Ok();
      }
      default:
        continue;  // index pages and page types from newer writers carry no values
    }
  }
}

Status ColumnReader::ReadPagePieces(const PageHeader& h, uint64_t body_at, uint64_t size) {
  PieceDecompressor pieces;
  Status decoded = pieces.Start(meta_.codec, size, static_cast<size_t>(h.uncompressed_page_size),
                                page_, kMaxPageBytes);
  uLong crc = crc32(0L, Z_NULL, 0);
  // The header's read brought the body's first bytes.
  size_t have = std::min<size_t>(raw_.size() - h.header_size, size);
  std::string_view piece(raw_.data() + h.header_size, have);
  uint64_t done = 0;
  while (true) {
    crc = crc32(crc, reinterpret_cast<const Bytef*>(piece.data()), static_cast<uInt>(piece.size()));
    if (decoded.ok()) decoded = pieces.Feed(piece);
    done += piece.size();
    // A damaged stream is read on only to tell a CRC mismatch from it.
    if (done == size || (!decoded.ok() && !h.crc)) break;
    size_t n = static_cast<size_t>(std::min<uint64_t>(size - done, kPieceBytes));
    raw_.resize(n);
    ASSIGN_OR_RETURN(size_t got, file_.ReadAt(body_at + done, raw_.data(), n));
    if (got < n) return Fail("page", page_at_, "the file ends inside it");
    piece = std::string_view(raw_.data(), n);
  }
  if (h.crc && !CrcMatches(crc, *h.crc)) {
    return Fail("page", page_at_, "CRC mismatch (the page is corrupt)");
  }
  if (decoded.ok()) decoded = pieces.Finish();
  if (!decoded.ok()) return Fail("page", page_at_, decoded.message());
  return Status::Ok();
}

Status ColumnReader::ReadDictionary(const PageHeader& h, std::string_view body, uint64_t at) {
  if (!h.dictionary_page) return Fail("page header", at, "dictionary page without its header");
  if (has_dictionary_) return Fail("page", at, "a second dictionary page");
  const DictionaryPageHeader& d = *h.dictionary_page;
  if (d.encoding != static_cast<int32_t>(Encoding::kPlain) &&
      d.encoding != static_cast<int32_t>(Encoding::kPlainDictionary)) {
    return Fail("page", at, "dictionary in unsupported encoding " + EncodingName(d.encoding));
  }
  std::string_view data = body;
  Codec codec = meta_.codec;
  if (codec != Codec::kUncompressed) {
    Status s = Decompress(codec, body, static_cast<size_t>(h.uncompressed_page_size), page_,
                          kMaxPageBytes);
    if (!s.ok()) return Fail("page", at, s.message());
    data = page_;
  }
  size_t min_bytes = MinPlainBytes(leaf_);
  uint64_t n = d.num_values < 0 ? UINT64_MAX : static_cast<uint64_t>(d.num_values);
  if (n == UINT64_MAX || (min_bytes == 0 ? n > data.size() * 8 : n > data.size() / min_bytes)) {
    return Fail("page", at,
                "dictionary of " + std::to_string(d.num_values) + " values cannot fit its " +
                    std::to_string(data.size()) + " bytes");
  }
  source_ = Source::kPlain;
  plain_ = data;
  plain_pos_ = 0;
  bool_bit_ = 0;
  dict_text_.clear();
  dict_offsets_.assign(1, 0);
  dict_bad_.clear();
  dict_ints_.clear();
  dict_typed_ints_.clear();
  dict_floats_.clear();
  // The dictionary keeps its text whatever this Read wants: later reads may.
  const bool format = format_;
  format_ = true;
  for (uint64_t i = 0; i < n; ++i) {
    value_.clear();
    bool ok = false;
    RETURN_IF_ERROR(PlainValue(value_, ok));
    if (dict_text_.size() + value_.size() > UINT32_MAX) {
      return Fail("page", at, "dictionary text larger than 4 GiB");
    }
    if (ok) dict_text_ += value_;
    dict_offsets_.push_back(static_cast<uint32_t>(dict_text_.size()));
    dict_bad_.push_back(!ok);
    if (typed_ != ColumnType::kString) {
      dict_ints_.push_back(int_);
      dict_typed_ints_.push_back(text_.TypedInt(int_));
      dict_floats_.push_back(float_);
    }
  }
  dict_any_bad_ = std::find(dict_bad_.begin(), dict_bad_.end(), 1) != dict_bad_.end();
  has_dictionary_ = true;
  format_ = format;
  plain_ = {};
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
                          int64_t* ints, double* floats, bool text) {
  // Only a typed column goes without text (its values are in `ints` or `floats`).
  format_ = text || typed_ == ColumnType::kString || (ints == nullptr && floats == nullptr);
  dict_in_arena_ = false;  // a new batch
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
    size_t values = 0;
    bool out_of_range = false;
    for (size_t i = 0; i < take; ++i) {
      const int16_t level = levels_[i];
      values += level == max;
      out_of_range |= level < 0 || level > max;
    }
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

// ColumnReader's page layer: page headers, pages read whole or in pieces,
// checksums and the dictionary page. The values and levels of a page are read
// in column_reader.cc. Thread-safety: as ColumnReader (one thread at a time).
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "parquet/codec.h"
#include "parquet/column_reader.h"

namespace sluice::parquet {
namespace {

// A page header is read with this many bytes first, then more if it needs them
// (statistics can make it long), up to kMaxHeaderBytes.
constexpr size_t kHeaderProbeBytes = 16 * 1024;
constexpr size_t kMaxHeaderBytes = 16 * 1024 * 1024;

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
  dict_in_arena_ = false;  // a new dictionary is not the batch's copy
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

}  // namespace sluice::parquet

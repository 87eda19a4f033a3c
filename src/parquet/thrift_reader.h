// ThriftReader: a decoder of the Thrift compact protocol, as Parquet writes its
// metadata (FileMetaData in the footer, PageHeader before each page).
//
// It reads from one byte range in memory and never trusts it: every length is
// checked against the bytes left, nesting is bounded (kMaxDepth), list sizes are
// bounded by the bytes that could hold them (every element takes at least one byte,
// except booleans in a list, which take one byte each too), and varints longer than
// their type allows are refused. A failure is InvalidData naming `what` (the
// structure being decoded, e.g. "footer" or "page header") and the byte offset in
// the file (`base` plus the position in the range).
//
// Thread-safety: none; one reader per buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sluice::parquet {

// Compact protocol type ids (field headers and list element types).
enum class TType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

struct FieldHeader {
  TType type = TType::kStop;  // kStop ends the struct
  int16_t id = 0;
};

struct ListHeader {
  TType elem_type = TType::kStop;
  uint32_t size = 0;
};

class ThriftReader {
 public:
  // Structs nested deeper than this are refused (Parquet's own nest 5 deep at most;
  // unknown fields from newer writers get the rest).
  static constexpr int kMaxDepth = 32;

  ThriftReader(std::string_view bytes, uint64_t base, std::string what)
      : data_(bytes), base_(base), what_(std::move(what)) {}

  // Struct framing: StructBegin before the first field, then ReadField until it
  // returns kStop, then StructEnd.
  Status StructBegin();
  Result<FieldHeader> ReadField();
  void StructEnd();

  // Values. A bool field carries its value in its header: use FieldBool.
  static bool FieldBool(const FieldHeader& field) { return field.type == TType::kBoolTrue; }
  Result<bool> ReadBool();  // a bool list element
  Result<int8_t> ReadByte();
  Result<int16_t> ReadI16();
  Result<int32_t> ReadI32();
  Result<int64_t> ReadI64();
  Result<double> ReadDouble();
  // A view into the buffer; valid as long as the buffer.
  Result<std::string_view> ReadBinary();
  // List or set header.
  Result<ListHeader> ReadListBegin();

  // Skips a value of `type` (any nesting, bounded by kMaxDepth).
  Status Skip(TType type);

  // Bytes consumed so far.
  size_t position() const { return pos_; }
  // InvalidData "<what> at byte <offset>: <message>" at the current position.
  Status Error(std::string_view message) const;

 private:
  Result<uint64_t> ReadVarint(int max_bytes);
  Status SkipList(int depth_left);
  Status SkipValue(TType type, int depth_left);

  std::string_view data_;
  size_t pos_ = 0;
  uint64_t base_;
  std::string what_;
  int depth_ = 0;
  // Last field id per open struct, for delta-encoded field ids.
  int16_t last_id_[kMaxDepth + 1] = {};
};

}  // namespace sluice::parquet

// ThriftWriter: encodes Thrift structs in the compact protocol, the encoding of
// every Parquet structure (page headers, the FileMetaData footer). The caller
// writes fields in increasing id order inside BeginStruct/EndStruct pairs and
// gives each list its element type and size up front; the writer tracks the field
// id deltas of nested structs. Bytes are appended to a std::string.
//
// Encoding (thrift/doc/specs/thrift-compact-protocol.md): a field header is one
// byte (id delta << 4 | type) when the delta is 1..15, else the type byte and the
// id as a zigzag varint; booleans live in the header's type nibble; integers are
// zigzag varints; binary is a varint length and the bytes; a list header is
// (size << 4 | element type) for sizes below 15, else 0xF0 | type and a varint size.
//
// Thread-safety: none; one owner at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::parquet {

// Compact protocol type ids (the nibble of a field header or list header).
enum class ThriftType : uint8_t {
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

class ThriftWriter {
 public:
  // Appends to `*out`, which must outlive the writer.
  explicit ThriftWriter(std::string* out) : out_(out) {}

  // Fields of the struct being written; ids must increase within one struct.
  void FieldI32(int16_t id, int32_t value);
  void FieldI64(int16_t id, int64_t value);
  void FieldBool(int16_t id, bool value);
  void FieldBinary(int16_t id, std::string_view value);
  // Opens a struct-valued field; its own fields follow, then EndStruct().
  void BeginStructField(int16_t id);
  // Opens a list-valued field of `size` elements of `element_type`; the elements
  // follow (ListI32, ListBinary, or BeginListStruct ... EndStruct per element).
  void BeginListField(int16_t id, ThriftType element_type, uint32_t size);
  void ListI32(int32_t value);
  void ListBinary(std::string_view value);
  // Opens a struct that is a list element; close it with EndStruct().
  void BeginListStruct();

  // Opens the outermost struct (a PageHeader, the FileMetaData).
  void BeginStruct();
  // Writes the stop byte of the innermost open struct.
  void EndStruct();

  // Primitive encodings, public for the tests and for Parquet's own varints.
  static void AppendVarint(std::string& out, uint64_t value);
  static uint64_t ZigZag(int64_t value) {
    return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  }

 private:
  void FieldHeader(int16_t id, ThriftType type);

  std::string* out_;
  // The last field id of each open struct, innermost last.
  std::vector<int16_t> last_ids_;
};

}  // namespace sluice::parquet

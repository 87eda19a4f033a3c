#include "parquet/thrift_reader.h"

#include <bit>
#include <cstring>

namespace sluice::parquet {
namespace {

int64_t ZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

bool ValidType(uint8_t t) { return t <= static_cast<uint8_t>(TType::kStruct); }

}  // namespace

Status ThriftReader::Error(std::string_view message) const {
  return Status::InvalidData(what_ + " at byte " + std::to_string(base_ + pos_) + ": " +
                             std::string(message));
}

Result<uint64_t> ThriftReader::ReadVarint(int max_bytes) {
  uint64_t value = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (pos_ >= data_.size()) return Error("truncated (varint)");
    uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return value;
  }
  return Error("varint too long");
}

Status ThriftReader::StructBegin() {
  if (depth_ >= kMaxDepth) return Error("structs nested too deep");
  ++depth_;
  last_id_[depth_] = 0;
  return Status::Ok();
}

void ThriftReader::StructEnd() {
  if (depth_ > 0) --depth_;
}

Result<FieldHeader> ThriftReader::ReadField() {
  if (pos_ >= data_.size()) return Error("truncated (field header)");
  uint8_t b = static_cast<uint8_t>(data_[pos_++]);
  FieldHeader field;
  uint8_t type = b & 0x0f;
  if (type == 0) return field;  // stop
  if (!ValidType(type)) return Error("unknown field type " + std::to_string(type));
  field.type = static_cast<TType>(type);
  uint8_t delta = b >> 4;
  if (delta != 0) {
    int id = last_id_[depth_] + delta;
    if (id > INT16_MAX) return Error("field id out of range");
    field.id = static_cast<int16_t>(id);
  } else {
    ASSIGN_OR_RETURN(int16_t id, ReadI16());
    field.id = id;
  }
  last_id_[depth_] = field.id;
  return field;
}

Result<bool> ThriftReader::ReadBool() {
  ASSIGN_OR_RETURN(int8_t b, ReadByte());
  return b == 1;
}

Result<int8_t> ThriftReader::ReadByte() {
  if (pos_ >= data_.size()) return Error("truncated (byte)");
  return static_cast<int8_t>(data_[pos_++]);
}

Result<int16_t> ThriftReader::ReadI16() {
  ASSIGN_OR_RETURN(uint64_t v, ReadVarint(3));
  int64_t z = ZigZag(v);
  if (z < INT16_MIN || z > INT16_MAX) return Error("i16 out of range");
  return static_cast<int16_t>(z);
}

Result<int32_t> ThriftReader::ReadI32() {
  ASSIGN_OR_RETURN(uint64_t v, ReadVarint(5));
  int64_t z = ZigZag(v);
  if (z < INT32_MIN || z > INT32_MAX) return Error("i32 out of range");
  return static_cast<int32_t>(z);
}

Result<int64_t> ThriftReader::ReadI64() {
  ASSIGN_OR_RETURN(uint64_t v, ReadVarint(10));
  return ZigZag(v);
}

Result<double> ThriftReader::ReadDouble() {
  if (data_.size() - pos_ < 8) return Error("truncated (double)");
  uint64_t bits;
  std::memcpy(&bits, data_.data() + pos_, 8);  // little-endian on the wire
  if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
  pos_ += 8;
  return std::bit_cast<double>(bits);
}

Result<std::string_view> ThriftReader::ReadBinary() {
  ASSIGN_OR_RETURN(uint64_t size, ReadVarint(5));
  if (size > data_.size() - pos_) {
    return Error("binary of " + std::to_string(size) + " bytes overruns the structure");
  }
  std::string_view out = data_.substr(pos_, size);
  pos_ += size;
  return out;
}

Result<ListHeader> ThriftReader::ReadListBegin() {
  if (pos_ >= data_.size()) return Error("truncated (list header)");
  uint8_t b = static_cast<uint8_t>(data_[pos_++]);
  ListHeader list;
  uint8_t type = b & 0x0f;
  // In lists, booleans are written with type 1 (some writers use 2).
  if (type == 0 || !ValidType(type))
    return Error("unknown list element type " + std::to_string(type));
  list.elem_type = static_cast<TType>(type);
  uint64_t size = b >> 4;
  if (size == 15) {
    ASSIGN_OR_RETURN(size, ReadVarint(5));
  }
  // Every element takes at least one byte, so a larger count is a lie that would
  // make callers reserve memory for nothing.
  if (size > data_.size() - pos_) {
    return Error("list of " + std::to_string(size) + " elements overruns the structure");
  }
  list.size = static_cast<uint32_t>(size);
  return list;
}

Status ThriftReader::Skip(TType type) { return SkipValue(type, kMaxDepth - depth_); }

Status ThriftReader::SkipList(int depth_left) {
  ASSIGN_OR_RETURN(ListHeader list, ReadListBegin());
  for (uint32_t i = 0; i < list.size; ++i) {
    if (list.elem_type == TType::kBoolTrue || list.elem_type == TType::kBoolFalse) {
      RETURN_IF_ERROR(ReadByte().status());
    } else {
      RETURN_IF_ERROR(SkipValue(list.elem_type, depth_left));
    }
  }
  return Status::Ok();
}

Status ThriftReader::SkipValue(TType type, int depth_left) {
  if (depth_left <= 0) return Error("values nested too deep");
  switch (type) {
    case TType::kBoolTrue:
    case TType::kBoolFalse:
      return Status::Ok();  // in a field header; list elements are handled by SkipList
    case TType::kByte:
      return ReadByte().status();
    case TType::kI16:
    case TType::kI32:
    case TType::kI64:
      return ReadVarint(10).status();
    case TType::kDouble:
      if (data_.size() - pos_ < 8) return Error("truncated (double)");
      pos_ += 8;
      return Status::Ok();
    case TType::kBinary:
      return ReadBinary().status();
    case TType::kList:
    case TType::kSet:
      return SkipList(depth_left - 1);
    case TType::kMap: {
      ASSIGN_OR_RETURN(uint64_t size, ReadVarint(5));
      if (size == 0) return Status::Ok();
      if (size > data_.size() - pos_) return Error("map overruns the structure");
      if (pos_ >= data_.size()) return Error("truncated (map header)");
      uint8_t kv = static_cast<uint8_t>(data_[pos_++]);
      uint8_t kt = kv >> 4, vt = kv & 0x0f;
      if (kt == 0 || vt == 0 || !ValidType(kt) || !ValidType(vt)) return Error("bad map types");
      for (uint64_t i = 0; i < size; ++i) {
        for (uint8_t t : {kt, vt}) {
          if (t == 1 || t == 2) {
            RETURN_IF_ERROR(ReadByte().status());
          } else {
            RETURN_IF_ERROR(SkipValue(static_cast<TType>(t), depth_left - 1));
          }
        }
      }
      return Status::Ok();
    }
    case TType::kStruct: {
      RETURN_IF_ERROR(StructBegin());
      while (true) {
        ASSIGN_OR_RETURN(FieldHeader f, ReadField());
        if (f.type == TType::kStop) break;
        RETURN_IF_ERROR(SkipValue(f.type, depth_left - 1));
      }
      StructEnd();
      return Status::Ok();
    }
    case TType::kStop:
      break;
  }
  return Error("cannot skip a value of type " + std::to_string(static_cast<int>(type)));
}

}  // namespace sluice::parquet

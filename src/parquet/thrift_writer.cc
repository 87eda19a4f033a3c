// ThriftWriter: see thrift_writer.h.
#include "parquet/thrift_writer.h"

#include <cassert>

namespace sluice::parquet {

void ThriftWriter::AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void ThriftWriter::FieldHeader(int16_t id, ThriftType type) {
  assert(!last_ids_.empty() && id > last_ids_.back());
  const int delta = id - last_ids_.back();
  if (delta >= 1 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<uint8_t>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    AppendVarint(*out_, ZigZag(id));
  }
  last_ids_.back() = id;
}

void ThriftWriter::FieldI32(int16_t id, int32_t value) {
  FieldHeader(id, ThriftType::kI32);
  AppendVarint(*out_, ZigZag(value));
}

void ThriftWriter::FieldI64(int16_t id, int64_t value) {
  FieldHeader(id, ThriftType::kI64);
  AppendVarint(*out_, ZigZag(value));
}

void ThriftWriter::FieldBool(int16_t id, bool value) {
  FieldHeader(id, value ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
}

void ThriftWriter::FieldBinary(int16_t id, std::string_view value) {
  FieldHeader(id, ThriftType::kBinary);
  ListBinary(value);
}

void ThriftWriter::BeginStructField(int16_t id) {
  FieldHeader(id, ThriftType::kStruct);
  last_ids_.push_back(0);
}

void ThriftWriter::BeginListField(int16_t id, ThriftType element_type, uint32_t size) {
  FieldHeader(id, ThriftType::kList);
  const auto type = static_cast<uint8_t>(element_type);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | type));
  } else {
    out_->push_back(static_cast<char>(0xF0 | type));
    AppendVarint(*out_, size);
  }
}

void ThriftWriter::ListI32(int32_t value) { AppendVarint(*out_, ZigZag(value)); }

void ThriftWriter::ListBinary(std::string_view value) {
  AppendVarint(*out_, value.size());
  out_->append(value);
}

void ThriftWriter::BeginListStruct() { last_ids_.push_back(0); }

void ThriftWriter::BeginStruct() { last_ids_.push_back(0); }

void ThriftWriter::EndStruct() {
  assert(!last_ids_.empty());
  out_->push_back(static_cast<char>(ThriftType::kStop));
  last_ids_.pop_back();
}

}  // namespace sluice::parquet

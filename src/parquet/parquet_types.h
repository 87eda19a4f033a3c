// The enumerations of the Parquet format (apache/parquet-format, parquet.thrift),
// with the numeric values the Thrift metadata carries. Shared by the reader and the
// writer, so both speak the same numbers.
//
// Values not listed here may appear in files from newer writers: code holding one of
// these enums must treat an unknown value as "not supported", never as undefined.
//
// Thread-safety: constants only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::parquet {

// Magic bytes at the start and end of every file; "PARE" ends a file whose footer
// is encrypted.
inline constexpr std::string_view kMagic = "PAR1";
inline constexpr std::string_view kEncryptedMagic = "PARE";

// Physical (storage) types.
enum class Type : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

// The legacy annotation (SchemaElement.converted_type).
enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTimeMillis = 7,
  kTimeMicros = 8,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kInt8 = 15,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
  kBson = 20,
  kInterval = 21,
};

enum class Repetition : int32_t {
  kRequired = 0,
  kOptional = 1,
  kRepeated = 2,
};

// The field id of each member of the LogicalType union; it is the kind of the
// logical type.
enum class LogicalKind : int16_t {
  kNone = 0,  // not a Thrift value: no logical type
  kString = 1,
  kMap = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTime = 7,
  kTimestamp = 8,
  kInteger = 10,
  kUnknown = 11,  // "NullType": every value is null
  kJson = 12,
  kBson = 13,
  kUuid = 14,
  kFloat16 = 15,
  kVariant = 16,
  kGeometry = 17,
  kGeography = 18,
};

// The field id of each member of the TimeUnit union.
enum class TimeUnit : int16_t {
  kMillis = 1,
  kMicros = 2,
  kNanos = 3,
};

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class CompressionCodec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,  // Hadoop framing (or, from some writers, raw LZ4 blocks)
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

// Names for messages ("INT32", "RLE_DICTIONARY"); "type N" / "encoding N" for a
// value outside the enum.
std::string TypeName(int32_t type);
std::string EncodingName(int32_t encoding);

}  // namespace sluice::parquet

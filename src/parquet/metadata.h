// Parquet metadata: the Thrift structures of parquet.thrift that reading needs
// (FileMetaData, SchemaElement, RowGroup, ColumnChunk, ColumnMetaData, PageHeader),
// their decoders, and the flattening of the schema tree into leaf columns with
// their maximum definition and repetition levels.
//
// Decoders skip fields they do not know (newer writers add some) and check what
// they need: required fields present, counts and sizes non-negative, enum values
// known where the reader acts on them. A failure is InvalidData naming the
// structure and the byte offset in the file.
//
// Thread-safety: values; decoders are free functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "parquet/codec.h"
#include "parquet/parquet_types.h"

namespace sluice::parquet {

struct LogicalType {
  LogicalKind kind = LogicalKind::kNone;
  int32_t scale = 0;                  // DECIMAL
  int32_t precision = 0;              // DECIMAL
  TimeUnit unit = TimeUnit::kMillis;  // TIME, TIMESTAMP
  bool adjusted_to_utc = false;       // TIME, TIMESTAMP
  int bit_width = 0;                  // INTEGER: 8, 16, 32, 64
  bool is_signed = true;              // INTEGER
};

struct SchemaElement {
  std::optional<int32_t> type;  // Type value; absent for groups
  int32_t type_length = 0;      // FIXED_LEN_BYTE_ARRAY
  std::optional<int32_t> repetition;
  std::string name;
  int32_t num_children = 0;
  std::optional<int32_t> converted_type;
  int32_t scale = 0;
  int32_t precision = 0;
  LogicalType logical;
};

struct ColumnMetaData {
  Type type = Type::kBoolean;
  std::vector<std::string> path;
  Codec codec = Codec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct ColumnChunk {
  std::string file_path;  // set when the chunk lives in another file (unsupported)
  std::optional<ColumnMetaData> meta;
  bool encrypted = false;  // crypto_metadata or encrypted_column_metadata present
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t num_rows = 0;
};

struct FileMetaData {
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::string created_by;
  // key_value_metadata pairs that have a value, in file order.
  std::vector<std::pair<std::string, std::string>> key_value;
  bool encrypted = false;  // encryption_algorithm present (plaintext footer mode)
};

struct DataPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = 0;
  int32_t repetition_level_encoding = 0;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
};

struct PageHeader {
  int32_t type = 0;  // PageType value
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<int32_t> crc;
  std::optional<DataPageHeader> data_page;
  std::optional<DataPageHeaderV2> data_page_v2;
  std::optional<DictionaryPageHeader> dictionary_page;
  size_t header_size = 0;  // bytes the Thrift header took
};

// Decodes the footer's FileMetaData from `bytes`, which start at file offset `base`.
Result<FileMetaData> ParseFileMetaData(std::string_view bytes, uint64_t base);

// Decodes a PageHeader from the start of `bytes` (file offset `base`); `bytes` may
// run past the header, header_size tells where the page begins. A header that
// does not fit is InvalidData "page header at byte N: truncated ...".
Result<PageHeader> ParsePageHeader(std::string_view bytes, uint64_t base);

// A leaf of the schema tree: one column chunk per row group.
struct LeafColumn {
  std::string name;               // dotted path from the root's children
  std::vector<std::string> path;  // path_in_schema
  SchemaElement element;
  int16_t max_def = 0;
  int16_t max_rep = 0;
  // Under a group or repeated: part of a nested top-level field (parquet/nested_shape.h).
  bool nested = false;
};

// Flattens `schema` (depth-first, root first, as stored) into its leaves. Errors:
// InvalidData "schema: ..." for a tree that does not add up (children counts past
// the end, elements left over, a leaf without a type, nesting deeper than 64).
Result<std::vector<LeafColumn>> FlattenSchema(const std::vector<SchemaElement>& schema);

}  // namespace sluice::parquet

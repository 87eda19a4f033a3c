// NestedShape: a top-level field of a Parquet schema that is not a flat column (a
// group, or a repeated field) and the JSON text of its values, reassembled from
// the repetition and definition levels of its leaves.
//
//   LIST (3-level, and the legacy 2-level forms)   JSON array
//   repeated field without annotation              JSON array
//   MAP / MAP_KEY_VALUE                            JSON object; keys as text
//   other groups (structs)                         JSON object by field name
//   leaves                                         numbers, true/false, or strings
//                                                  (ValueText's text; NaN and
//                                                  infinities as strings)
//
// A null group or list is `null`; an empty list `[]`, an empty map `{}`, as the
// levels say. A map without a value field has no JSON form: Make refuses it,
// naming the column.
//
// Thread-safety: immutable after Make; Render is const.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "parquet/column_reader.h"
#include "parquet/metadata.h"

namespace sluice::parquet {

// A top-level field: the leaves [first_leaf, end_leaf) of the flattened schema.
struct TopField {
  std::string name;
  size_t schema_index = 0;  // its element in FileMetaData::schema
  size_t first_leaf = 0;
  size_t end_leaf = 0;
  bool nested = false;  // a group or repeated field: read as JSON by a NestedShape
};

// The top-level fields of `schema`, whose leaves are `leaves` (FlattenSchema's).
std::vector<TopField> TopFields(const std::vector<SchemaElement>& schema,
                                const std::vector<LeafColumn>& leaves);

class NestedShape {
 public:
  // The shape of top-level field `field`; `leaves` are the file's leaves.
  // InvalidData "column 'x' ..." for a nesting without a JSON form.
  static Result<std::unique_ptr<NestedShape>> Make(const std::vector<SchemaElement>& schema,
                                                   const std::vector<LeafColumn>& leaves,
                                                   const TopField& field);
  ~NestedShape();

  // Appends the JSON text of record `record` to `out`; `entries[i]` are the level
  // entries of the field's leaf i, read with ColumnReader::ReadRecords. InvalidData
  // when the leaves' levels disagree.
  Status Render(const std::vector<LevelEntries>& entries, size_t record, std::string& out) const;

  struct Node;  // a node of the field's tree (nested_shape.cc)

 private:
  NestedShape();
  std::unique_ptr<Node> root_;
  std::string name_;
};

}  // namespace sluice::parquet

#include "parquet/metadata.h"

#include <functional>

#include "parquet/thrift_reader.h"

namespace sluice::parquet {
namespace {

// Each Parquet struct is a list of fields; `on_field` decodes the ones it knows
// and returns false for the others, which are skipped.
using FieldFn = std::function<Result<bool>(const FieldHeader&)>;

Status ReadStruct(ThriftReader& r, const FieldFn& on_field) {
  RETURN_IF_ERROR(r.StructBegin());
  while (true) {
    ASSIGN_OR_RETURN(FieldHeader f, r.ReadField());
    if (f.type == TType::kStop) break;
    ASSIGN_OR_RETURN(bool used, on_field(f));
    if (!used) RETURN_IF_ERROR(r.Skip(f.type));
  }
  r.StructEnd();
  return Status::Ok();
}

// Reads a field's value when its wire type is as expected; a known field id with
// another type is damage (or a writer we cannot understand).
Status Expect(ThriftReader& r, const FieldHeader& f, TType type, std::string_view name) {
  bool is_bool = type == TType::kBoolTrue || type == TType::kBoolFalse;
  bool f_bool = f.type == TType::kBoolTrue || f.type == TType::kBoolFalse;
  if (is_bool ? f_bool : f.type == type) return Status::Ok();
  return r.Error(std::string(name) + " has wire type " + std::to_string(int(f.type)));
}

Result<int32_t> I32(ThriftReader& r, const FieldHeader& f, std::string_view name) {
  RETURN_IF_ERROR(Expect(r, f, TType::kI32, name));
  return r.ReadI32();
}

Result<int64_t> I64(ThriftReader& r, const FieldHeader& f, std::string_view name) {
  RETURN_IF_ERROR(Expect(r, f, TType::kI64, name));
  return r.ReadI64();
}

Result<std::string_view> Binary(ThriftReader& r, const FieldHeader& f, std::string_view name) {
  RETURN_IF_ERROR(Expect(r, f, TType::kBinary, name));
  return r.ReadBinary();
}

// Decodes a field into `dst`; true (the field was used) or the error.
template <typename T>
Result<bool> SetI32(ThriftReader& r, const FieldHeader& f, std::string_view name, T& dst) {
  Result<int32_t> v = I32(r, f, name);
  if (!v) return v.error();
  dst = *v;
  return true;
}

template <typename T>
Result<bool> SetI64(ThriftReader& r, const FieldHeader& f, std::string_view name, T& dst) {
  Result<int64_t> v = I64(r, f, name);
  if (!v) return v.error();
  dst = *v;
  return true;
}

// Reads a list whose elements are structs, calling `each` for every one.
Status StructList(ThriftReader& r, const FieldHeader& f, std::string_view name,
                  const std::function<Status()>& each) {
  RETURN_IF_ERROR(Expect(r, f, TType::kList, name));
  ASSIGN_OR_RETURN(ListHeader list, r.ReadListBegin());
  if (list.elem_type != TType::kStruct) return r.Error(std::string(name) + " is not a struct list");
  for (uint32_t i = 0; i < list.size; ++i) RETURN_IF_ERROR(each());
  return Status::Ok();
}

Status ReadTimeUnit(ThriftReader& r, TimeUnit& unit) {
  return ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
    if (f.id >= 1 && f.id <= 3 && f.type == TType::kStruct) {
      unit = static_cast<TimeUnit>(f.id);
    }
    return false;  // the member is an empty struct: skip it
  });
}

Status ReadLogicalType(ThriftReader& r, LogicalType& out) {
  return ReadStruct(r, [&](const FieldHeader& u) -> Result<bool> {
    if (u.type != TType::kStruct) return false;
    out.kind = static_cast<LogicalKind>(u.id);
    switch (out.kind) {
      case LogicalKind::kDecimal:
        RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
          if (f.id == 1) return SetI32(r, f, "DecimalType.scale", out.scale);
          if (f.id == 2) return SetI32(r, f, "DecimalType.precision", out.precision);
          return false;
        }));
        return true;
      case LogicalKind::kTime:
      case LogicalKind::kTimestamp:
        RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
          if (f.id == 1 && (f.type == TType::kBoolTrue || f.type == TType::kBoolFalse)) {
            out.adjusted_to_utc = ThriftReader::FieldBool(f);
            return true;
          }
          if (f.id == 2 && f.type == TType::kStruct) {
            RETURN_IF_ERROR(ReadTimeUnit(r, out.unit));
            return true;
          }
          return false;
        }));
        return true;
      case LogicalKind::kInteger:
        RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
          if (f.id == 1 && f.type == TType::kByte) {
            ASSIGN_OR_RETURN(int8_t w, r.ReadByte());
            out.bit_width = w;
            return true;
          }
          if (f.id == 2 && (f.type == TType::kBoolTrue || f.type == TType::kBoolFalse)) {
            out.is_signed = ThriftReader::FieldBool(f);
            return true;
          }
          return false;
        }));
        return true;
      default:
        return false;  // members without parameters (or unknown ones): skip the struct
    }
  });
}

Status ReadSchemaElement(ThriftReader& r, SchemaElement& e) {
  bool has_name = false;
  RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
    switch (f.id) {
      case 1:
        return SetI32(r, f, "SchemaElement.type", e.type);
      case 2:
        return SetI32(r, f, "SchemaElement.type_length", e.type_length);
      case 3:
        return SetI32(r, f, "SchemaElement.repetition_type", e.repetition);
      case 4: {
        ASSIGN_OR_RETURN(std::string_view name, Binary(r, f, "SchemaElement.name"));
        e.name = name;
        has_name = true;
        return true;
      }
      case 5:
        return SetI32(r, f, "SchemaElement.num_children", e.num_children);
      case 6:
        return SetI32(r, f, "SchemaElement.converted_type", e.converted_type);
      case 7:
        return SetI32(r, f, "SchemaElement.scale", e.scale);
      case 8:
        return SetI32(r, f, "SchemaElement.precision", e.precision);
      case 10:
        RETURN_IF_ERROR(Expect(r, f, TType::kStruct, "SchemaElement.logicalType"));
        RETURN_IF_ERROR(ReadLogicalType(r, e.logical));
        return true;
      default:
        return false;
    }
  }));
  if (!has_name) return r.Error("SchemaElement without a name");
  if (e.num_children < 0) return r.Error("SchemaElement with a negative num_children");
  return Status::Ok();
}

Status ReadColumnMetaData(ThriftReader& r, ColumnMetaData& m) {
  bool has_type = false, has_codec = false, has_offset = false;
  RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
    switch (f.id) {
      case 1: {
        ASSIGN_OR_RETURN(int32_t t, I32(r, f, "ColumnMetaData.type"));
        if (t < 0 || t > 7) return r.Error("unknown physical type " + std::to_string(t));
        m.type = static_cast<Type>(t);
        has_type = true;
        return true;
      }
      case 3: {
        RETURN_IF_ERROR(Expect(r, f, TType::kList, "ColumnMetaData.path_in_schema"));
        ASSIGN_OR_RETURN(ListHeader list, r.ReadListBegin());
        if (list.elem_type != TType::kBinary) return r.Error("path_in_schema is not a string list");
        for (uint32_t i = 0; i < list.size; ++i) {
          ASSIGN_OR_RETURN(std::string_view s, r.ReadBinary());
          m.path.emplace_back(s);
        }
        return true;
      }
      case 4: {
        ASSIGN_OR_RETURN(int32_t c, I32(r, f, "ColumnMetaData.codec"));
        m.codec = static_cast<Codec>(c);
        has_codec = true;
        return true;
      }
      case 5:
        return SetI64(r, f, "ColumnMetaData.num_values", m.num_values);
      case 7:
        return SetI64(r, f, "ColumnMetaData.total_compressed_size", m.total_compressed_size);
      case 9:
        has_offset = true;
        return SetI64(r, f, "ColumnMetaData.data_page_offset", m.data_page_offset);
      case 11:
        return SetI64(r, f, "ColumnMetaData.dictionary_page_offset", m.dictionary_page_offset);
      default:
        return false;
    }
  }));
  if (!has_type || !has_codec || !has_offset) {
    return r.Error("ColumnMetaData without type, codec or data_page_offset");
  }
  if (m.num_values < 0 || m.total_compressed_size < 0) {
    return r.Error("ColumnMetaData with a negative size");
  }
  return Status::Ok();
}

Status ReadColumnChunk(ThriftReader& r, ColumnChunk& c) {
  return ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
    switch (f.id) {
      case 1: {
        ASSIGN_OR_RETURN(std::string_view p, Binary(r, f, "ColumnChunk.file_path"));
        c.file_path = p;
        return true;
      }
      case 3:
        RETURN_IF_ERROR(Expect(r, f, TType::kStruct, "ColumnChunk.meta_data"));
        c.meta.emplace();
        RETURN_IF_ERROR(ReadColumnMetaData(r, *c.meta));
        return true;
      case 8:
      case 9:
        c.encrypted = true;
        return false;
      default:
        return false;
    }
  });
}

Status ReadRowGroup(ThriftReader& r, RowGroup& g) {
  return ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
    switch (f.id) {
      case 1:
        RETURN_IF_ERROR(StructList(r, f, "RowGroup.columns", [&]() {
          g.columns.emplace_back();
          return ReadColumnChunk(r, g.columns.back());
        }));
        return true;
      case 3:
        return SetI64(r, f, "RowGroup.num_rows", g.num_rows);
      default:
        return false;
    }
  });
}

}  // namespace

Result<FileMetaData> ParseFileMetaData(std::string_view bytes, uint64_t base) {
  ThriftReader r(bytes, base, "footer");
  FileMetaData md;
  bool has_schema = false;
  RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
    switch (f.id) {
      case 2:
        has_schema = true;
        RETURN_IF_ERROR(StructList(r, f, "FileMetaData.schema", [&]() {
          md.schema.emplace_back();
          return ReadSchemaElement(r, md.schema.back());
        }));
        return true;
      case 3:
        return SetI64(r, f, "FileMetaData.num_rows", md.num_rows);
      case 4:
        RETURN_IF_ERROR(StructList(r, f, "FileMetaData.row_groups", [&]() {
          md.row_groups.emplace_back();
          return ReadRowGroup(r, md.row_groups.back());
        }));
        return true;
      case 5:
        RETURN_IF_ERROR(StructList(r, f, "FileMetaData.key_value_metadata", [&]() -> Status {
          std::pair<std::string, std::string> kv;
          bool has_value = false;
          RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& g) -> Result<bool> {
            if (g.id != 1 && g.id != 2) return false;
            ASSIGN_OR_RETURN(std::string_view s, Binary(r, g, "KeyValue"));
            (g.id == 1 ? kv.first : kv.second) = s;
            has_value = has_value || g.id == 2;
            return true;
          }));
          if (has_value) md.key_value.push_back(std::move(kv));
          return Status::Ok();
        }));
        return true;
      case 6: {
        ASSIGN_OR_RETURN(std::string_view s, Binary(r, f, "FileMetaData.created_by"));
        md.created_by = s;
        return true;
      }
      case 8:
        md.encrypted = true;
        return false;
      default:
        return false;
    }
  }));
  if (!has_schema || md.schema.empty()) return r.Error("FileMetaData without a schema");
  if (md.num_rows < 0) return r.Error("FileMetaData with a negative num_rows");
  return md;
}

Result<PageHeader> ParsePageHeader(std::string_view bytes, uint64_t base) {
  ThriftReader r(bytes, base, "page header");
  PageHeader h;
  bool has_type = false, has_sizes = false;
  RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& f) -> Result<bool> {
    switch (f.id) {
      case 1:
        has_type = true;
        return SetI32(r, f, "PageHeader.type", h.type);
      case 2:
        return SetI32(r, f, "PageHeader.uncompressed_page_size", h.uncompressed_page_size);
      case 3:
        has_sizes = true;
        return SetI32(r, f, "PageHeader.compressed_page_size", h.compressed_page_size);
      case 4:
        return SetI32(r, f, "PageHeader.crc", h.crc);
      case 5: {
        RETURN_IF_ERROR(Expect(r, f, TType::kStruct, "PageHeader.data_page_header"));
        DataPageHeader& d = h.data_page.emplace();
        RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& g) -> Result<bool> {
          switch (g.id) {
            case 1:
              return SetI32(r, g, "DataPageHeader.num_values", d.num_values);
            case 2:
              return SetI32(r, g, "DataPageHeader.encoding", d.encoding);
            case 3:
              return SetI32(r, g, "DataPageHeader.definition_level_encoding",
                            d.definition_level_encoding);
            case 4:
              return SetI32(r, g, "DataPageHeader.repetition_level_encoding",
                            d.repetition_level_encoding);
            default:
              return false;
          }
        }));
        return true;
      }
      case 7: {
        RETURN_IF_ERROR(Expect(r, f, TType::kStruct, "PageHeader.dictionary_page_header"));
        DictionaryPageHeader& d = h.dictionary_page.emplace();
        RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& g) -> Result<bool> {
          switch (g.id) {
            case 1:
              return SetI32(r, g, "DictionaryPageHeader.num_values", d.num_values);
            case 2:
              return SetI32(r, g, "DictionaryPageHeader.encoding", d.encoding);
            default:
              return false;
          }
        }));
        return true;
      }
      case 8: {
        RETURN_IF_ERROR(Expect(r, f, TType::kStruct, "PageHeader.data_page_header_v2"));
        DataPageHeaderV2& d = h.data_page_v2.emplace();
        RETURN_IF_ERROR(ReadStruct(r, [&](const FieldHeader& g) -> Result<bool> {
          switch (g.id) {
            case 1:
              return SetI32(r, g, "DataPageHeaderV2.num_values", d.num_values);
            case 2:
              return SetI32(r, g, "DataPageHeaderV2.num_nulls", d.num_nulls);
            case 3:
              return SetI32(r, g, "DataPageHeaderV2.num_rows", d.num_rows);
            case 4:
              return SetI32(r, g, "DataPageHeaderV2.encoding", d.encoding);
            case 5:
              return SetI32(r, g, "DataPageHeaderV2.definition_levels_byte_length",
                            d.definition_levels_byte_length);
            case 6:
              return SetI32(r, g, "DataPageHeaderV2.repetition_levels_byte_length",
                            d.repetition_levels_byte_length);
            case 7:
              RETURN_IF_ERROR(Expect(r, g, TType::kBoolTrue, "DataPageHeaderV2.is_compressed"));
              d.is_compressed = ThriftReader::FieldBool(g);
              return true;
            default:
              return false;
          }
        }));
        return true;
      }
      default:
        return false;
    }
  }));
  if (!has_type || !has_sizes) return r.Error("PageHeader without type or compressed_page_size");
  if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0) {
    return r.Error("PageHeader with a negative page size");
  }
  h.header_size = r.position();
  return h;
}

namespace {

constexpr int kMaxSchemaDepth = 64;

struct Flattener {
  const std::vector<SchemaElement>& schema;
  std::vector<LeafColumn>& out;
  size_t next = 1;

  Status Children(int32_t count, std::vector<std::string>& path, int16_t def, int16_t rep,
                  bool nested, int depth) {
    if (depth > kMaxSchemaDepth) return Status::InvalidData("schema: nested too deep");
    for (int32_t i = 0; i < count; ++i) {
      if (next >= schema.size()) {
        return Status::InvalidData("schema: a group counts more children than the schema holds");
      }
      const SchemaElement& e = schema[next++];
      int32_t rep_type = e.repetition.value_or(0);
      int16_t d = def + (rep_type != 0 ? 1 : 0);
      int16_t r = rep + (rep_type == 2 ? 1 : 0);
      path.push_back(e.name);
      if (e.num_children > 0) {
        RETURN_IF_ERROR(Children(e.num_children, path, d, r, true, depth + 1));
      } else {
        if (!e.type) {
          return Status::InvalidData("schema: element '" + e.name +
                                     "' has neither type nor children");
        }
        LeafColumn leaf;
        leaf.path = path;
        for (size_t k = 0; k < path.size(); ++k) leaf.name += (k ? "." : "") + path[k];
        leaf.element = e;
        leaf.max_def = d;
        leaf.max_rep = r;
        leaf.nested = nested || r > 0;
        out.push_back(std::move(leaf));
      }
      path.pop_back();
    }
    return Status::Ok();
  }
};

}  // namespace

Result<std::vector<LeafColumn>> FlattenSchema(const std::vector<SchemaElement>& schema) {
  std::vector<LeafColumn> leaves;
  if (schema.empty()) return Status::InvalidData("schema: empty");
  Flattener f{schema, leaves};
  std::vector<std::string> path;
  RETURN_IF_ERROR(f.Children(schema[0].num_children, path, 0, 0, false, 0));
  if (f.next != schema.size()) {
    return Status::InvalidData("schema: " + std::to_string(schema.size() - f.next) +
                               " elements belong to no group");
  }
  return leaves;
}

}  // namespace sluice::parquet

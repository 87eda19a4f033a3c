#include "parquet/parquet_file.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace sluice::parquet {
namespace {

Status Invalid(std::string_view what, uint64_t offset, std::string_view message) {
  return Status::InvalidData(std::string(what) + " at byte " + std::to_string(offset) + ": " +
                             std::string(message));
}

Status ReadFully(RandomAccessInput& input, uint64_t offset, char* dst, size_t n,
                 std::string_view what) {
  ASSIGN_OR_RETURN(size_t got, input.ReadAt(offset, dst, n));
  if (got < n) return Invalid(what, offset + got, "the file ends early");
  return Status::Ok();
}

// Checks what the reader relies on in every leaf: a known physical type, and a
// positive length for fixed-length byte arrays.
Status CheckLeaf(const LeafColumn& leaf) {
  int32_t type = *leaf.element.type;
  if (type < 0 || type > 7) {
    return Status::InvalidData("schema: column '" + leaf.name + "' has unknown physical type " +
                               std::to_string(type));
  }
  if (static_cast<Type>(type) == Type::kFixedLenByteArray && leaf.element.type_length <= 0) {
    return Status::InvalidData("schema: column '" + leaf.name +
                               "' is FIXED_LEN_BYTE_ARRAY without a positive type_length");
  }
  return Status::Ok();
}

// "parquet-mr" without a version, or "parquet-mr version X.Y.Z ..." below 1.2.9.
bool OldParquetMr(std::string_view created_by) {
  if (!created_by.starts_with("parquet-mr")) return false;
  std::string_view rest = created_by.substr(10);
  constexpr std::string_view kVersion = " version ";
  if (!rest.starts_with(kVersion)) return true;
  rest.remove_prefix(kVersion.size());
  int parts[3] = {0, 0, 0};
  for (int i = 0; i < 3 && !rest.empty(); ++i) {
    size_t n = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') {
      parts[i] = std::min(parts[i] * 10 + (rest[n] - '0'), 100000);
      ++n;
    }
    rest.remove_prefix(n);
    if (rest.empty() || rest[0] != '.') break;
    rest.remove_prefix(1);
  }
  return std::lexicographical_compare(parts, parts + 3, std::begin({1, 2, 9}), std::end({1, 2, 9}));
}

}  // namespace

Result<std::unique_ptr<ParquetFile>> ParquetFile::Open(RandomAccessInput& input) {
  uint64_t size = input.size();
  if (size < 12) {
    return Invalid("magic", 0,
                   "a Parquet file has at least 12 bytes, this one " + std::to_string(size));
  }
  char head[4];
  char tail[8];
  RETURN_IF_ERROR(ReadFully(input, 0, head, 4, "magic"));
  RETURN_IF_ERROR(ReadFully(input, size - 8, tail, 8, "footer"));
  std::string_view tail_magic(tail + 4, 4);
  if (tail_magic == kEncryptedMagic) {
    return Invalid("magic", size - 4,
                   "the footer is encrypted (PARE): sluice does not read encrypted Parquet files");
  }
  if (std::string_view(head, 4) != kMagic) return Invalid("magic", 0, "no PAR1 at the start");
  if (tail_magic != kMagic) return Invalid("magic", size - 4, "no PAR1 at the end");
  uint32_t footer_size;
  std::memcpy(&footer_size, tail, 4);
  if (footer_size > size - 12) {
    return Invalid("footer", size - 8,
                   "length " + std::to_string(footer_size) + " is more than the file's " +
                       std::to_string(size - 12) + " bytes between the magics");
  }
  if (footer_size > kMaxFooterBytes) {
    return Invalid("footer", size - 8,
                   "length " + std::to_string(footer_size) + " is over the limit");
  }
  auto file = std::make_unique<ParquetFile>();
  file->data_end_ = size - 8 - footer_size;
  std::string footer(footer_size, '\0');
  RETURN_IF_ERROR(ReadFully(input, file->data_end_, footer.data(), footer_size, "footer"));
  ASSIGN_OR_RETURN(file->metadata_, ParseFileMetaData(footer, file->data_end_));
  const FileMetaData& md = file->metadata_;
  if (md.encrypted) {
    return Invalid(
        "footer", file->data_end_,
        "the file's columns are encrypted: sluice does not read encrypted Parquet files");
  }
  file->old_parquet_mr_ = OldParquetMr(md.created_by);
  Result<std::vector<LeafColumn>> leaves = FlattenSchema(md.schema);
  if (!leaves) return Invalid("footer", file->data_end_, leaves.error().message());
  file->columns_ = std::move(*leaves);
  if (file->columns_.empty()) return Invalid("footer", file->data_end_, "schema: no columns");
  for (const LeafColumn& leaf : file->columns_) {
    Status checked = CheckLeaf(leaf);
    if (!checked.ok()) return Invalid("footer", file->data_end_, checked.message());
  }
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    const RowGroup& group = md.row_groups[g];
    std::string where = "row group " + std::to_string(g);
    if (group.num_rows < 0) return Invalid(where, file->data_end_, "has a negative row count");
    if (group.columns.size() != file->columns_.size()) {
      return Invalid(where, file->data_end_,
                     "has " + std::to_string(group.columns.size()) + " column chunks for " +
                         std::to_string(file->columns_.size()) + " columns");
    }
    for (size_t c = 0; c < group.columns.size(); ++c) {
      const ColumnChunk& chunk = group.columns[c];
      std::string chunk_where = "column chunk '" + file->columns_[c].name + "' of " + where;
      if (chunk.encrypted) {
        return Invalid(chunk_where, file->data_end_,
                       "encrypted: sluice does not read encrypted Parquet files");
      }
      if (!chunk.file_path.empty()) {
        return Invalid(
            chunk_where, file->data_end_,
            "lives in another file ('" + chunk.file_path + "'), which sluice does not read");
      }
      if (!chunk.meta) return Invalid(chunk_where, file->data_end_, "has no metadata");
      if (chunk.meta->path != file->columns_[c].path) {
        return Invalid(chunk_where, file->data_end_, "names another column of the schema");
      }
    }
  }
  return file;
}

}  // namespace sluice::parquet

// ParquetFile: the structure of a Parquet file — magic at both ends, the footer
// length, the footer (FileMetaData) — checked and decoded, with the flat leaf
// columns and each row group's column chunks.
//
//   "PAR1" | column chunks ... | FileMetaData (Thrift compact) | u32 LE length | "PAR1"
//
// Open refuses, as InvalidData naming the structure and the byte offset: a file too
// short or without the magic ("magic"), a footer length beyond the file
// ("footer"), a footer that does not decode ("footer at byte N: ..."), a schema
// that does not add up ("schema"), an encrypted file ("PARE" magic, or encryption
// metadata in a plaintext footer), column chunks in other files, row groups whose
// chunks do not match the schema ("row group N"). Nested columns (lists, maps,
// structs) are leaves like any other here; parquet/nested_shape.h joins them.
//
// Thread-safety: immutable after Open; the RandomAccessInput is the caller's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/input_stream.h"
#include "core/status.h"
#include "parquet/metadata.h"

namespace sluice::parquet {

// A footer longer than this is refused before it is read (real footers are KiBs;
// a wide file with thousands of row groups stays far below).
inline constexpr uint64_t kMaxFooterBytes = uint64_t{256} << 20;

class ParquetFile {
 public:
  static Result<std::unique_ptr<ParquetFile>> Open(RandomAccessInput& input);

  const FileMetaData& metadata() const { return metadata_; }
  const std::vector<LeafColumn>& columns() const { return columns_; }
  // Where the footer starts: column chunks lie in [4, data_end()).
  uint64_t data_end() const { return data_end_; }
  // parquet-mr before 1.2.9 left the dictionary page out of a chunk's
  // total_compressed_size (PARQUET-816); readers allow for it as Arrow does.
  bool chunk_size_excludes_dictionary() const { return old_parquet_mr_; }

 private:
  FileMetaData metadata_;
  std::vector<LeafColumn> columns_;
  uint64_t data_end_ = 0;
  bool old_parquet_mr_ = false;
};

}  // namespace sluice::parquet

// ColumnReader: one flat leaf column of one row group, read page by page as cell
// text. Pages are read from the file one at a time (header, then body), checked
// against their CRC when they carry one, decompressed, and their levels and values
// decoded on demand, so memory is one page (plus a dictionary) whatever the chunk.
// A large zstd data page is decompressed as it is read, 1 MiB at a time, so it is
// held decompressed only (DuckDB writes a chunk of long strings as one page).
//
// Supported: data pages v1 and v2, dictionary pages (PLAIN / PLAIN_DICTIONARY),
// values PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY, RLE (booleans),
// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT;
// levels RLE or BIT_PACKED. A flat column (no repetition levels) is read a row
// at a time with Read; a leaf of a nested column is read as level entries with
// ReadRecords, whole records (rows) at a time.
//
// Every failure is InvalidData naming the structure ("column chunk 'x' of row group
// N", "page header", "page") and the byte offset of the page in the file.
//
// Thread-safety: none; one owner.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/input_stream.h"
#include "core/status.h"
#include "core/text_batch.h"
#include "parquet/metadata.h"
#include "parquet/rle.h"
#include "parquet/value_text.h"

namespace sluice::parquet {

// A page may not decompress to more than this (a hostile header cannot make the
// reader allocate more; legitimate writers use pages of about 1 MiB).
inline constexpr size_t kMaxPageBytes = size_t{256} << 20;

// A value that has no cell text: the row is bad (RowErrorKind::kEncoding).
struct BadValue {
  size_t row;           // index among the rows of the Read call
  std::string message;  // e.g. "invalid UTF-8"
};

// The level entries of some records of a nested column's leaf: entry i has
// repetition level rep[i], definition level def[i] and, when def[i] is the leaf's
// maximum and the value has text, text[offsets[i], offsets[i+1]).
struct LevelEntries {
  std::vector<int16_t> rep;
  std::vector<int16_t> def;
  std::vector<size_t> offsets{0};
  std::string text;
  std::vector<size_t> records;  // first entry of each record, then the entry count
  void Clear() {
    rep.clear();
    def.clear();
    offsets.assign(1, 0);
    text.clear();
    records.clear();
  }
};

class ColumnReader {
 public:
  // `leaf` and `file` must outlive the reader. `rows` is the row group's row count;
  // `row_group` its index (for messages).
  ColumnReader(RandomAccessInput& file, const LeafColumn& leaf, const ColumnMetaData& meta,
               int64_t rows, size_t row_group);

  // Checks the chunk's byte range against the file (`data_end`: where the footer
  // starts). `dictionary_slack`: the chunk's size may leave out its dictionary page
  // (ParquetFile::chunk_size_excludes_dictionary), so pages may run up to 100 bytes
  // past it, as Arrow allows.
  Status Open(uint64_t data_end, bool dictionary_slack = false);

  // Appends the next `n` cells' text to `batch`'s arena and sets cells[i] to its
  // span (kNullSpan for null). Values without text are reported in `bad` and get
  // kNullSpan. InvalidData when the chunk is damaged or ends early. For a column
  // with typed values (typed_type() not kString), `ints` (integer, boolean, date,
  // timestamp) or `floats` (float), when given, receive each cell's value
  // (left alone for null and bad cells). Without `text` (only with `ints` or
  // `floats`), non-null cells get an empty span and no text is made.
  // For a string column, `ints` and `entries`, when given, make the cells a
  // batch's dictionary column (TextBatch::SetDictionary): a small dictionary's
  // values are added to `entries` once per Read and each non-null cell's ints[i]
  // is the index of its entry there, or -1 (values not from such a dictionary).
  Status Read(size_t n, TextBatch& batch, Span* cells, std::vector<BadValue>& bad,
              int64_t* ints = nullptr, double* floats = nullptr, bool text = true,
              std::vector<Span>* entries = nullptr);

  // Takes the page buffers of `previous` (the same leaf's reader of an earlier row
  // group, done with), so that their memory is reused rather than allocated again.
  void AdoptBuffers(ColumnReader& previous);

  // The type of the column's typed values (ValueText::typed_type).
  ColumnType typed_type() const { return typed_; }

  // Reads the level entries of the next `n` records (rows) into `out` (cleared
  // first): a record starts at each repetition level 0. Values without text are
  // reported in `bad` by record index. InvalidData when the chunk is damaged, ends
  // early or holds more levels than its rows.
  Status ReadRecords(size_t n, LevelEntries& out, std::vector<BadValue>& bad);

 private:
  // Cell text of one batch stays below this: spans are 32-bit offsets.
  static constexpr size_t kMaxBatchArena = size_t{1} << 31;
  // A compressed data page larger than this is read in pieces of this size.
  static constexpr size_t kPieceBytes = size_t{1} << 20;

  Status Fail(std::string_view what, uint64_t offset, std::string_view message) const;
  Status NextPage();
  // Reads and decompresses the `size` bytes of a data page's body at `body_at` a
  // piece of kPieceBytes at a time into page_ (raw_ holds the header's read).
  Status ReadPagePieces(const PageHeader& h, uint64_t body_at, uint64_t size);
  Status ReadDictionary(const PageHeader& h, std::string_view body, uint64_t at);
  Status StartValues(int32_t encoding, std::string_view values, uint64_t at, int32_t count);
  Status ReadLevels(size_t n);
  // Decodes the values of the next `take` rows of the page, whose definition levels
  // are in levels_ (`values` of them at the maximum), into cells[0..take) and
  // ints / floats (as Read); bad values are reported as row first_row + i.
  Status DecodeValues(size_t take, size_t values, TextBatch& batch, Span* cells, size_t first_row,
                      std::vector<BadValue>& bad, int64_t* ints, double* floats);
  // Puts a small dictionary's text into `batch` (once per Read) and its entries
  // into entries_ (when given); false when the dictionary is too large for that.
  Result<bool> DictionaryInArena(TextBatch& batch);
  Status ArenaFull() const;
  // DecodeValues without text: typed values only, for dictionary indices `idx`
  // (no bad entry) or PLAIN numbers at `p` of type T.
  // A string column's dictionary in the arena goes the same way: `spans` are its
  // entries (else cells get an empty span) and `dict_ints` each entry's value
  // for `ints` (dict_typed_ints_, or the entry numbers entry_numbers_).
  void DictionaryTyped(size_t take, const uint32_t* idx, Span* cells, int64_t* ints, double* floats,
                       const Span* spans, const int64_t* dict_ints) const;
  template <typename T>
  void PlainTyped(size_t take, const char* p, Span* cells, int64_t* ints, double* floats) const;
  // Decodes the next `n` levels of `stream` into `out`.
  struct LevelStream;
  Status GetLevels(LevelStream& stream, size_t n, int16_t fill, std::vector<int16_t>& out);
  Status StartLevels(LevelStream& stream, int32_t encoding, std::string_view& data, int16_t max,
                     int32_t count, std::string_view what);
  // Appends the next value's text to `out`; false when it has none.
  Result<bool> NextValue(std::string& out);
  Status PlainValue(std::string& out, bool& ok);

  RandomAccessInput& file_;
  const LeafColumn& leaf_;
  const ColumnMetaData& meta_;
  ValueText text_;
  ColumnType typed_;
  // The last value decoded, for typed values (raw: TypedInt converts).
  int64_t int_ = 0;
  double float_ = 0;
  bool format_ = true;  // make values' text (false: typed values only)
  std::string where_;   // "column chunk 'x' of row group N"
  int64_t rows_left_;
  uint64_t pos_ = 0;  // next page header
  uint64_t end_ = 0;  // end of the chunk
  uint64_t page_at_ = 0;

  std::string raw_;        // page as read
  std::string page_;       // page decompressed
  int64_t page_left_ = 0;  // values (levels) left in the page

  // Definition and repetition levels of the current page.
  enum class Levels { kNone, kRle, kMaterialized };
  struct LevelStream {
    Levels kind = Levels::kNone;
    RleBitPackedDecoder rle;
    std::vector<int16_t> all;  // BIT_PACKED levels, whole page
    size_t next = 0;
  };
  LevelStream def_;
  LevelStream rep_;
  std::vector<int16_t> levels_;  // levels of the current Read
  // ReadRecords: levels decoded ahead (a record's end shows only at the next one).
  std::vector<int16_t> rep_ahead_;
  std::vector<int16_t> def_ahead_;
  size_t ahead_next_ = 0;
  int64_t levels_left_ = 0;  // level entries of the chunk not yet decoded
  bool started_records_ = false;

  // Values.
  enum class Source { kPlain, kDictionary, kInts, kBytes, kBoolRle } source_ = Source::kPlain;
  std::string_view plain_;  // PLAIN (and BYTE_STREAM_SPLIT decoded to plain)
  size_t plain_pos_ = 0;
  size_t bool_bit_ = 0;
  std::string split_;  // BYTE_STREAM_SPLIT decoded
  RleBitPackedDecoder indices_;
  std::vector<uint32_t> indices_buf_;  // DecodeValues: a run's dictionary indices
  // A dictionary of at most kDictInArenaBytes of text is copied into the batch once
  // per Read (at dict_arena_at_) and its cells point into that copy.
  static constexpr size_t kDictInArenaBytes = 64 * 1024;
  bool dict_in_arena_ = false;
  uint32_t dict_arena_at_ = 0;
  // The Read's dictionary column entries (a string column's; may be null), and
  // the index there of this dictionary's first entry once it is in the arena.
  std::vector<Span>* entries_ = nullptr;
  int64_t entries_at_ = 0;
  std::vector<int64_t> entry_numbers_;  // entries_at_ + i for entry i
  std::vector<int32_t> ints32_;
  std::vector<int64_t> ints64_;
  std::vector<std::string_view> bytes_;
  std::string delta_arena_;
  size_t materialized_next_ = 0;

  // The dictionary, as text: entry i is dict_text_[dict_offsets_[i], dict_offsets_[i+1]),
  // or has no text when dict_bad_[i].
  bool has_dictionary_ = false;
  std::string dict_text_;
  std::vector<uint32_t> dict_offsets_;
  std::vector<uint8_t> dict_bad_;
  bool dict_any_bad_ = false;             // some entry of dict_bad_ is set
  std::vector<int64_t> dict_ints_;        // typed columns: entry i's value
  std::vector<int64_t> dict_typed_ints_;  // and its representation (ValueText::TypedInt)
  std::vector<double> dict_floats_;
  std::string value_;
};

}  // namespace sluice::parquet

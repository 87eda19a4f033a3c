// ColumnReader::DecodeValues: the values of a run of a flat column's rows decoded in
// bulk (see column_reader.h). Dictionary indices are unpacked all at once and
// range-checked before any is used; PLAIN fixed-width numbers are loaded straight
// from the page after one bounds check; every other source goes value by value.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "parquet/column_reader.h"

namespace sluice::parquet {
namespace {

// The reason a value without text gives (NextValue returned false).
std::string_view NoTextReason(Type type) {
  return type == Type::kInt96 ? "INT96 timestamp out of range" : "invalid UTF-8 in a byte array";
}

template <typename T>
T LoadLE(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // Parquet is little-endian, as is every target
  return v;
}

}  // namespace

Status ColumnReader::DecodeValues(size_t take, size_t values, TextBatch& batch, Span* cells,
                                  size_t first_row, std::vector<BadValue>& bad, int64_t* ints,
                                  double* floats) {
  const int16_t max = leaf_.max_def;
  const int16_t* levels = levels_.data();
  const Type type = static_cast<Type>(*leaf_.element.type);
  // A string column's `ints` are its cells' dictionary entries (Read).
  int64_t* entry_of = nullptr;
  if (typed_ == ColumnType::kString) {
    entry_of = ints;
    ints = nullptr;
    floats = nullptr;
    if (entry_of != nullptr && source_ != Source::kDictionary) std::fill_n(entry_of, take, -1);
  }
  if (source_ == Source::kDictionary) {
    indices_buf_.resize(values);
    Result<size_t> got = indices_.Get(indices_buf_.data(), values);
    if (!got) return Fail("page", page_at_, got.error().message());
    if (*got < values) return Fail("page", page_at_, "its values end before its value count");
    const uint32_t* idx = indices_buf_.data();
    const size_t dict_size = dict_bad_.size();
    if (values > 0 && *std::max_element(idx, idx + values) >= dict_size) {
      const uint32_t index =
          *std::find_if(idx, idx + values, [&](uint32_t i) { return i >= dict_size; });
      return Fail("page", page_at_,
                  "dictionary index " + std::to_string(index) + " beyond the dictionary's " +
                      std::to_string(dict_size) + " values");
    }
    // Locals, not members: stores through `cells` could alias them otherwise.
    const uint8_t* dict_bad = dict_bad_.data();
    const int64_t* dict_ints = typed_ != ColumnType::kString ? dict_typed_ints_.data() : nullptr;
    const double* dict_floats = typed_ != ColumnType::kString ? dict_floats_.data() : nullptr;
    if (dict_ints == nullptr) ints = nullptr;
    if (dict_floats == nullptr) floats = nullptr;
    if (!format_ && !dict_any_bad_) {
      DictionaryTyped(take, idx, cells, ints, floats, nullptr, dict_typed_ints_.data());
      return Status::Ok();
    }
    const uint32_t* offsets = dict_offsets_.data();
    // A small dictionary's text goes into the batch once per Read and cells point
    // into it; a large one's values are copied one by one (only those used).
    bool in_arena = false;
    if (format_) {
      ASSIGN_OR_RETURN(in_arena, DictionaryInArena(batch));
    }
    if (in_arena && entry_of != nullptr && !dict_any_bad_) {
      // Cells are their entries; the typed value is the entry's index.
      DictionaryTyped(take, idx, cells, entry_of, nullptr, entries_->data() + entries_at_,
                      entry_numbers_.data());
      return Status::Ok();
    }
    size_t k = 0;
    for (size_t i = 0; i < take; ++i) {
      if (levels[i] != max) {
        cells[i] = kNullSpan;
        continue;
      }
      const uint32_t index = idx[k++];
      if (dict_bad[index]) {
        cells[i] = kNullSpan;
        bad.push_back({first_row + i, std::string(NoTextReason(type))});
        continue;
      }
      if (ints != nullptr) ints[i] = dict_ints[index];
      if (floats != nullptr) floats[i] = dict_floats[index];
      const uint32_t from = offsets[index];
      const uint32_t size = offsets[index + 1] - from;
      if (!format_) {
        cells[i] = Span{0, 0};
      } else if (in_arena) {
        cells[i] = Span{dict_arena_at_ + from, size};
        if (entry_of != nullptr) entry_of[i] = entries_at_ + index;
      } else {
        if (batch.arena_bytes() + size > kMaxBatchArena) return ArenaFull();
        cells[i] = batch.Append(std::string_view(dict_text_.data() + from, size));
        if (entry_of != nullptr) entry_of[i] = -1;
      }
    }
    return Status::Ok();
  }
  if (source_ == Source::kPlain && (type == Type::kInt32 || type == Type::kInt64 ||
                                    type == Type::kFloat || type == Type::kDouble)) {
    const size_t width = type == Type::kInt32 || type == Type::kFloat ? 4 : 8;
    if ((plain_.size() - plain_pos_) / width < values) {
      return Fail("page", page_at_, "its values end before its value count");
    }
    const char* p = plain_.data() + plain_pos_;
    plain_pos_ += values * width;
    if (!format_) {
      switch (type) {
        case Type::kInt32:
          PlainTyped<int32_t>(take, p, cells, ints, floats);
          break;
        case Type::kInt64:
          PlainTyped<int64_t>(take, p, cells, ints, floats);
          break;
        case Type::kFloat:
          PlainTyped<float>(take, p, cells, ints, floats);
          break;
        default:
          PlainTyped<double>(take, p, cells, ints, floats);
          break;
      }
      return Status::Ok();
    }
    for (size_t i = 0; i < take; ++i) {
      if (levels[i] != max) {
        cells[i] = kNullSpan;
        continue;
      }
      bool ok = true;
      if (format_) value_.clear();
      switch (type) {
        case Type::kInt32: {
          const int32_t v = LoadLE<int32_t>(p);
          if (ints != nullptr) ints[i] = text_.TypedInt(v);
          if (format_) ok = text_.Int32(v, value_);
          break;
        }
        case Type::kInt64: {
          const int64_t v = LoadLE<int64_t>(p);
          if (ints != nullptr) ints[i] = text_.TypedInt(v);
          if (format_) ok = text_.Int64(v, value_);
          break;
        }
        case Type::kFloat: {
          const float v = LoadLE<float>(p);
          if (floats != nullptr) floats[i] = v;
          if (format_) ok = text_.Float(v, value_);
          break;
        }
        default: {
          const double v = LoadLE<double>(p);
          if (floats != nullptr) floats[i] = v;
          if (format_) ok = text_.Double(v, value_);
          break;
        }
      }
      p += width;
      if (!ok) {
        cells[i] = kNullSpan;
        bad.push_back({first_row + i, std::string(NoTextReason(type))});
        continue;
      }
      if (!format_) {
        cells[i] = Span{0, 0};
        continue;
      }
      if (batch.arena_bytes() + value_.size() > kMaxBatchArena) return ArenaFull();
      cells[i] = batch.Append(value_);
    }
    return Status::Ok();
  }
  for (size_t i = 0; i < take; ++i) {
    if (levels[i] != max) {
      cells[i] = kNullSpan;
      continue;
    }
    value_.clear();
    ASSIGN_OR_RETURN(bool ok, NextValue(value_));
    if (ok) {
      // Spans are 32-bit offsets: refuse rather than wrap.
      if (batch.arena_bytes() + value_.size() > kMaxBatchArena) return ArenaFull();
      cells[i] = format_ ? batch.Append(value_) : Span{0, 0};
      if (ints != nullptr) ints[i] = text_.TypedInt(int_);
      if (floats != nullptr) floats[i] = float_;
    } else {
      cells[i] = kNullSpan;
      bad.push_back({first_row + i, std::string(NoTextReason(type))});
    }
  }
  return Status::Ok();
}

Result<bool> ColumnReader::DictionaryInArena(TextBatch& batch) {
  if (dict_in_arena_) return true;
  if (dict_text_.size() > kDictInArenaBytes) return false;
  if (batch.arena_bytes() + dict_text_.size() > kMaxBatchArena) return ArenaFull();
  dict_arena_at_ = batch.Append(dict_text_).offset;
  dict_in_arena_ = true;
  if (entries_ != nullptr) {
    entries_at_ = static_cast<int64_t>(entries_->size());
    entry_numbers_.clear();
    for (size_t i = 0; i + 1 < dict_offsets_.size(); ++i) {
      entry_numbers_.push_back(entries_at_ + static_cast<int64_t>(i));
      entries_->push_back(dict_bad_[i] ? kNullSpan
                                       : Span{dict_arena_at_ + dict_offsets_[i],
                                              dict_offsets_[i + 1] - dict_offsets_[i]});
    }
  }
  return true;
}

// The loops below are a textless read's hot path (typed values, no text, no
// bad value possible): no text buffer, no per-value switch or bad-value test.
void ColumnReader::DictionaryTyped(size_t take, const uint32_t* idx, Span* cells, int64_t* ints,
                                   double* floats, const Span* spans,
                                   const int64_t* dict_ints) const {
  const int16_t max = leaf_.max_def;
  const int16_t* levels = levels_.data();
  const double* dict_floats = dict_floats_.data();
  if (std::all_of(levels, levels + take, [max](int16_t l) { return l == max; })) {
    // No null: a gather per column, without the level test per value.
    if (spans == nullptr) {
      std::fill_n(cells, take, Span{0, 0});
    } else {
      for (size_t i = 0; i < take; ++i) cells[i] = spans[idx[i]];
    }
    if (ints != nullptr) {
      for (size_t i = 0; i < take; ++i) ints[i] = dict_ints[idx[i]];
    }
    if (floats != nullptr) {
      for (size_t i = 0; i < take; ++i) floats[i] = dict_floats[idx[i]];
    }
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < take; ++i) {
    if (levels[i] != max) {
      cells[i] = kNullSpan;
      continue;
    }
    const uint32_t index = idx[k++];
    cells[i] = spans == nullptr ? Span{0, 0} : spans[index];
    if (ints != nullptr) ints[i] = dict_ints[index];
    if (floats != nullptr) floats[i] = dict_floats[index];
  }
}

template <typename T>
void ColumnReader::PlainTyped(size_t take, const char* p, Span* cells, int64_t* ints,
                              double* floats) const {
  const int16_t max = leaf_.max_def;
  const int16_t* levels = levels_.data();
  const bool identity = text_.TypedIntIsValue();
  if (std::all_of(levels, levels + take, [max](int16_t l) { return l == max; })) {
    // No null: the values are contiguous, loaded without the level test.
    std::fill_n(cells, take, Span{0, 0});
    for (size_t i = 0; i < take; ++i) {
      const T v = LoadLE<T>(p + i * sizeof(T));
      if constexpr (std::is_floating_point_v<T>) {
        if (floats != nullptr) floats[i] = v;
      } else {
        if (ints != nullptr) ints[i] = identity ? int64_t{v} : text_.TypedInt(v);
      }
    }
    return;
  }
  for (size_t i = 0; i < take; ++i) {
    if (levels[i] != max) {
      cells[i] = kNullSpan;
      continue;
    }
    cells[i] = Span{0, 0};
    const T v = LoadLE<T>(p);
    p += sizeof(T);
    if constexpr (std::is_floating_point_v<T>) {
      if (floats != nullptr) floats[i] = v;
    } else {
      if (ints != nullptr) ints[i] = identity ? int64_t{v} : text_.TypedInt(v);
    }
  }
}

Status ColumnReader::ArenaFull() const {
  return Fail("page", page_at_, "values too long for one batch of rows (over 2 GiB)");
}

}  // namespace sluice::parquet

// DictionaryBuilder: the distinct values of a column chunk being written, in the
// order they first appear, and the PLAIN body of the chunk's dictionary page.
// Numbers are keyed by their bit pattern (so -0.0 and 0.0, or two NaNs of other
// payloads, are distinct entries and every value reads back bit for bit),
// strings by their bytes. An open-addressing table with a multiplicative hash:
// the writer looks up every value of a dictionary-encoded column, so the lookup
// is the cost that decides whether trying a dictionary pays.
//
// Thread-safety: none; one owner at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/parquet_types.h"

namespace sluice::parquet {

class DictionaryBuilder {
 public:
  // `physical`: kInt32, kInt64, kDouble (numbers) or kByteArray (strings).
  explicit DictionaryBuilder(Type physical) : physical_(physical) {}

  // The index of a number (an int32 or int64 value, or a double's bits), added
  // if new. For kInt32 the value must fit in 32 bits.
  uint32_t Insert(uint64_t bits);
  // The index of a string, added if new.
  uint32_t Insert(std::string_view value);

  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  // The dictionary page's body: the entries PLAIN-encoded, in index order.
  const std::string& plain() const { return plain_; }

  // Entry `index`: a number's bits, or a string's bytes (valid until the next
  // Insert or Clear).
  uint64_t number(uint32_t index) const { return keys_[index]; }
  std::string_view string(uint32_t index) const;

  void Clear();

 private:
  void Grow();

  // A slot holds its entry's key beside the index, so that a lookup of a number
  // reads one cache line.
  struct Slot {
    uint64_t key;     // numbers: the bits; strings: the hash
    uint32_t index1;  // index + 1 of the entry; 0 for a free slot
  };

  Type physical_;
  std::vector<Slot> slots_;
  std::vector<uint64_t> keys_;     // by index: as Slot::key
  std::vector<uint32_t> offsets_;  // strings: where each entry's bytes start in plain_
  std::string plain_;
};

}  // namespace sluice::parquet

// DictionaryBuilder: see dictionary_builder.h.
#include "parquet/dictionary_builder.h"

#include <cstring>

namespace sluice::parquet {
namespace {

constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio
// Small: a table of thousands of columns has a dictionary per column.
constexpr size_t kInitialSlots = 16;

// Multiplies in the bits and folds the high half down, so that slots taken from
// the low bits depend on every bit of the key (sequential integers spread too).
uint64_t Mix(uint64_t x) {
  const unsigned __int128 product = static_cast<unsigned __int128>(x) * kMultiplier;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

uint64_t HashBytes(std::string_view s) {
  uint64_t h = s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    h = Mix(h ^ word);
  }
  if (i < s.size()) {
    // The tail a byte at a time: a memcpy of a variable length is a call.
    uint64_t word = 0;
    for (size_t k = 0; i + k < s.size(); ++k) {
      word |= uint64_t{static_cast<uint8_t>(s[i + k])} << (8 * k);
    }
    h = Mix(h ^ word ^ 0xff);
  }
  return Mix(h);
}

}  // namespace

void DictionaryBuilder::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? kInitialSlots : old.size() * 2, Slot{0, 0});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.index1 == 0) continue;
    const uint64_t hash = physical_ == Type::kByteArray ? slot.key : Mix(slot.key);
    size_t at = static_cast<size_t>(hash) & mask;
    while (slots_[at].index1 != 0) at = (at + 1) & mask;
    slots_[at] = slot;
  }
}

uint32_t DictionaryBuilder::Insert(uint64_t bits) {
  // At most half full: probes stay short.
  if ((keys_.size() + 1) * 2 > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  size_t at = static_cast<size_t>(Mix(bits)) & mask;
  for (;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.index1 == 0) break;
    if (slot.key == bits) return slot.index1 - 1;
  }
  const auto index = static_cast<uint32_t>(keys_.size());
  keys_.push_back(bits);
  slots_[at] = Slot{bits, index + 1};
  if (physical_ == Type::kInt32) {
    const auto value = static_cast<uint32_t>(bits);
    plain_.append(reinterpret_cast<const char*>(&value), 4);
  } else {
    plain_.append(reinterpret_cast<const char*>(&bits), 8);
  }
  return index;
}

uint32_t DictionaryBuilder::Insert(std::string_view value) {
  if ((keys_.size() + 1) * 2 > slots_.size()) Grow();
  const uint64_t hash = HashBytes(value);
  const size_t mask = slots_.size() - 1;
  size_t at = static_cast<size_t>(hash) & mask;
  for (;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.index1 == 0) break;
    if (slot.key == hash && string(slot.index1 - 1) == value) return slot.index1 - 1;
  }
  const auto index = static_cast<uint32_t>(keys_.size());
  keys_.push_back(hash);
  const auto length = static_cast<uint32_t>(value.size());
  plain_.append(reinterpret_cast<const char*>(&length), 4);
  offsets_.push_back(static_cast<uint32_t>(plain_.size()));
  plain_.append(value);
  slots_[at] = Slot{hash, index + 1};
  return index;
}

std::string_view DictionaryBuilder::string(uint32_t index) const {
  const uint32_t start = offsets_[index];
  uint32_t length;
  std::memcpy(&length, plain_.data() + start - 4, 4);
  return std::string_view(plain_).substr(start, length);
}

void DictionaryBuilder::Clear() {
  slots_.clear();
  keys_.clear();
  offsets_.clear();
  plain_.clear();
}

}  // namespace sluice::parquet

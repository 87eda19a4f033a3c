#include "transform/expr/string_arena.h"

#include <algorithm>
#include <cstring>

namespace sluice {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

}  // namespace

char* StringArena::Allocate(size_t size) {
  if (chunks_.empty() || chunks_.back().size - used_ < size) {
    // Chunks double, so that a batch needs few of them, and Clear keeps the
    // largest: after a few batches one chunk holds a batch's strings.
    const size_t next = chunks_.empty() ? kChunkBytes : chunks_.back().size * 2;
    const size_t capacity = std::max(next, size);
    chunks_.push_back({std::make_unique<char[]>(capacity), capacity});
    used_ = 0;
  }
  char* p = chunks_.back().data.get() + used_;
  used_ += size;
  bytes_ += size;
  return p;
}

std::string_view StringArena::Store(std::string_view bytes) {
  if (bytes.empty()) return {};
  char* p = Allocate(bytes.size());
  std::memcpy(p, bytes.data(), bytes.size());
  return {p, bytes.size()};
}

void StringArena::Clear() {
  if (chunks_.size() > 1) {
    // Keep the largest chunk: the next batch likely needs about as much.
    auto largest = std::max_element(chunks_.begin(), chunks_.end(),
                                    [](const Chunk& a, const Chunk& b) { return a.size < b.size; });
    Chunk keep = std::move(*largest);
    chunks_.clear();
    chunks_.push_back(std::move(keep));
  }
  used_ = 0;
  bytes_ = 0;
}

}  // namespace sluice

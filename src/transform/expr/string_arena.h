// StringArena: storage for the string values an expression evaluation produces
// (lower, substr, ||, cast to string, ...), so that output columns can hold
// string_views like every other Batch column. Bytes live in chunks that never
// move; Clear() forgets them but keeps the first chunk, so an arena reused batch
// after batch stops allocating once it has grown to a batch's needs.
//
// Thread-safety: none; one owner at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace sluice {

class StringArena {
 public:
  StringArena() = default;
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;
  StringArena(StringArena&&) = default;
  StringArena& operator=(StringArena&&) = default;

  // Returns `size` writable bytes that stay valid until Clear() or destruction.
  char* Allocate(size_t size);
  // Copies `bytes` into the arena and returns the copy.
  std::string_view Store(std::string_view bytes);
  // Invalidates everything handed out; keeps one chunk of capacity.
  void Clear();
  // Bytes handed out since the last Clear().
  size_t bytes() const { return bytes_; }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  std::vector<Chunk> chunks_;
  size_t used_ = 0;  // bytes used in chunks_.back()
  size_t bytes_ = 0;
};

}  // namespace sluice

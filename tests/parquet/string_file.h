// A Parquet file held in a string, read through RandomAccessInput: what the
// parquet stage's tests give its readers.
//
// Thread-safety: none needed (one test).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/input_stream.h"

namespace sluice::parquet {

class StringFile : public RandomAccessInput {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  Result<size_t> ReadAt(uint64_t offset, char* dst, size_t n) override {
    if (offset >= data_.size()) return size_t{0};
    return data_.copy(dst, n, offset);
  }

 private:
  std::string data_;
};

}  // namespace sluice::parquet

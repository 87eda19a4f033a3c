// Helpers shared by the fuzz targets: an in-memory InputStream served in small
// chunks, a RowErrorSink that drops everything, a memfd path for APIs that take a
// file name, and FUZZ_CHECK for properties that must hold on every input.
//
// Thread-safety: none; libFuzzer calls a target from one thread.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/input_stream.h"
#include "core/row_error.h"

namespace sluice::fuzz {

// A broken property is a finding like a crash: abort so that libFuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

// Serves `data` `chunk` bytes per Read, so that records straddle reads.
class ChunkedInput final : public InputStream, public RandomAccessInput {
 public:
  ChunkedInput(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
  // Parquet reads at offsets; the sequential readers ignore this.
  RandomAccessInput* random_access() override { return this; }
  uint64_t size() const override { return data_.size(); }
  Result<size_t> ReadAt(uint64_t offset, char* dst, size_t n) override {
    if (offset >= data_.size()) return size_t{0};
    size_t take = std::min<size_t>(n, data_.size() - offset);
    std::memcpy(dst, data_.data() + offset, take);
    return take;
  }
  Result<size_t> Read(char* dst, size_t n) override {
    size_t take = std::min({n, chunk_, data_.size() - pos_});
    std::memcpy(dst, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

class DroppedErrors final : public RowErrorSink {
 public:
  void Report(RowError error) override { ++count; }
  size_t count = 0;
};

// `data` in an anonymous memory file, named by a /proc/self/fd path; closed on
// destruction. For APIs that open a path (configuration files, compressed input).
class MemFile {
 public:
  explicit MemFile(std::string_view data) : fd_(memfd_create("fuzz", 0)) {
    if (fd_ < 0 || write(fd_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      std::perror("memfd");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

}  // namespace sluice::fuzz

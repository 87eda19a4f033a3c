// Helpers shared by the unit tests: temporary folders, files, in-memory streams
// and a RowErrorSink that keeps what it is given.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/input_stream.h"
#include "core/row_error.h"

namespace sluice::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// An InputStream over `data` that returns at most `chunk` bytes per Read, so
// readers are exercised across buffer boundaries.
std::unique_ptr<InputStream> StringInput(std::string data, size_t chunk = 1 << 20);

class CollectingErrors : public RowErrorSink {
 public:
  void Report(RowError error) override { errors.push_back(std::move(error)); }
  std::vector<RowError> errors;
};

}  // namespace sluice::testing

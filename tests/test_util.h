// Helpers shared by the unit tests: temporary folders, files, in-memory streams
// and a RowErrorSink that keeps what it is given.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/input_stream.h"
#include "core/row_error.h"

// Declares `std::string var` holding the environment variable `name`, which
// scripts/test.sh sets for a throwaway server it started (e.g. a PostgreSQL URL).
// Without it the test is skipped, or fails when CI=true: in CI every server must run.
#define SLUICE_SERVER_OR_SKIP(var, name)                                           \
  const char* var##_env_ = std::getenv(name);                                      \
  if (var##_env_ == nullptr || *var##_env_ == '\0') {                              \
    const char* ci_ = std::getenv("CI");                                           \
    if (ci_ != nullptr && std::string(ci_) == "true") {                            \
      FAIL() << name << " is not set: its server did not start (scripts/test.sh)"; \
    }                                                                              \
    GTEST_SKIP() << name << " is not set: run the tests with scripts/test.sh";     \
  }                                                                                \
  std::string var(var##_env_)

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
// readers are exercised across buffer boundaries; random access reads `data` too.
std::unique_ptr<InputStream> StringInput(std::string data, size_t chunk = 1 << 20);

class CollectingErrors : public RowErrorSink {
 public:
  void Report(RowError error) override { errors.push_back(std::move(error)); }
  std::vector<RowError> errors;
};

}  // namespace sluice::testing

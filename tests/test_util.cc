#include "test_util.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sluice::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
class StringStream : public InputStream, public RandomAccessInput {
 public:
  StringStream(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
  RandomAccessInput* random_access() override { return this; }
  uint64_t size() const override { return data_.size(); }
  Result<size_t> ReadAt(uint64_t offset, char* dst, size_t n) override {
    if (offset >= data_.size()) return size_t{0};
    return data_.copy(dst, n, offset);
  }
  Result<size_t> Read(char* dst, size_t n) override {
    size_t take = std::min({n, chunk_, data_.size() - pos_});
    data_.copy(dst, take, pos_);
    pos_ += take;
    return take;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};
}  // namespace

std::unique_ptr<InputStream> StringInput(std::string data, size_t chunk) {
  return std::make_unique<StringStream>(std::move(data), chunk);
}

}  // namespace sluice::testing

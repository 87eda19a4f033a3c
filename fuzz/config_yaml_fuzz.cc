// Fuzz target: the YAML configuration file (LoadConfigFile on an in-memory file).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "pipeline/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::MemFile file(std::string_view(reinterpret_cast<const char*>(data), size));
  sluice::Config config;
  (void)sluice::LoadConfigFile(file.path(), config);
  return 0;
}

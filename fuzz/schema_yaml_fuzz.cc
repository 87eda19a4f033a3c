// Fuzz target: schema YAML (SchemaFromYaml), and SchemaToYaml's output must parse back.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "schema/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const YAML::Exception&) {
    return 0;  // LoadSchemaFile reports these as InvalidArgument
  }
  sluice::Result<sluice::Schema> schema = sluice::SchemaFromYaml(node, "fuzz");
  if (!schema.has_value()) return 0;
  const std::string yaml = sluice::SchemaToYaml(*schema);
  YAML::Node again;
  try {
    again = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "SchemaToYaml wrote invalid YAML: %s\n%s\n", e.what(), yaml.c_str());
    std::abort();
  }
  sluice::Result<sluice::Schema> back = sluice::SchemaFromYaml(again, "fuzz");
  if (!back.has_value()) {
    std::fprintf(stderr, "%s\n%s\n", back.status().ToString().c_str(), yaml.c_str());
    std::abort();
  }
  FUZZ_CHECK(back->columns.size() == schema->columns.size());
  for (size_t i = 0; i < back->columns.size(); ++i) {
    if (back->columns[i].name != schema->columns[i].name) {
      std::fprintf(stderr, "name [%s] came back as [%s] from:\n%s\n",
                   schema->columns[i].name.c_str(), back->columns[i].name.c_str(), yaml.c_str());
      std::abort();
    }
    FUZZ_CHECK(back->columns[i].type == schema->columns[i].type);
    FUZZ_CHECK(back->columns[i].nullable == schema->columns[i].nullable);
  }
  return 0;
}

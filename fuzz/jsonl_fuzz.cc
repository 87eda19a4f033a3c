// Fuzz target: the JSONL reader, chunked and batched as the first byte says, and
// its flat-object parser against simdjson.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "format/json_flat.h"
#include "reader_fuzz.h"

namespace {

// The JSONL reader's fast path (json_flat.h) accepts only what simdjson accepts,
// with the same values: the input after the knob byte as one line.
void CheckFlatAgainstSimdjson(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const simdjson::padded_string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<sluice::FlatField> fields;
  if (!sluice::ParseFlatObject(text, fields)) return;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  FUZZ_CHECK(parser.parse(text).get_object().get(object) == simdjson::SUCCESS);
  FUZZ_CHECK(sluice::FlatDifference(fields, object).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckFlatAgainstSimdjson(data, size);
  sluice::fuzz::FuzzReader(sluice::Format::kJsonl, data, size);
  return 0;
}

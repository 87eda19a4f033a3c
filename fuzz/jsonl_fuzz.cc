// Fuzz target: the JSONL reader, chunked and batched as the first byte says, and
// its flat-object parser against simdjson.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "format/json_flat.h"
#include "reader_fuzz.h"

namespace {

// The JSONL reader's fast path (json_flat.h) accepts only what simdjson accepts,
// with the same values: the input after the knob byte as one line; as a JSON
// Lines line, up to its first LF (ParseFlatLine); and the part after that LF with
// the keys of the part before it expected (FlatKeys), as the reader reads a line
// after a line.
void CheckFlatAgainstSimdjson(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const simdjson::padded_string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view all(text.data(), text.size());
  simdjson::dom::parser parser;
  std::vector<sluice::FlatField> fields;
  if (sluice::ParseFlatObject(all, fields)) {
    simdjson::dom::object object;
    FUZZ_CHECK(parser.parse(text).get_object().get(object) == simdjson::SUCCESS);
    FUZZ_CHECK(sluice::FlatDifference(fields, object).empty());
  }

  const size_t lf = all.find('\n');
  const std::string_view first = all.substr(0, lf);
  std::vector<sluice::FlatField> line_fields;
  const char* end =
      sluice::ParseFlatLine(all.data(), all.data() + all.size(), line_fields, nullptr);
  const bool first_flat = sluice::ParseFlatObject(first, fields);
  FUZZ_CHECK(end == (first_flat ? all.data() + first.size() : nullptr));
  if (!first_flat || lf == std::string_view::npos) return;

  sluice::FlatKeys keys;
  for (size_t i = 0; i < fields.size(); ++i) keys.Set(i, fields[i].key);
  const simdjson::padded_string rest(all.substr(lf + 1));
  if (!sluice::ParseFlatObject(rest, fields, &keys)) return;
  simdjson::dom::object object;
  FUZZ_CHECK(parser.parse(rest).get_object().get(object) == simdjson::SUCCESS);
  FUZZ_CHECK(sluice::FlatDifference(fields, object).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckFlatAgainstSimdjson(data, size);
  sluice::fuzz::FuzzReader(sluice::Format::kJsonl, data, size);
  return 0;
}

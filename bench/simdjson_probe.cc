// simdjson_probe: simdjson's own parse rate on a JSON Lines file, the baseline of
// bench/reader.sh for sluice's JSONL reader.
//
// The file is read into memory once (not timed); then each pass parses every line
// and touches every field: the key's bytes, and the value as its type (a string's
// bytes, an integer, a double, a boolean; a nested value is counted, not walked).
// Two ways, each the best of --passes passes:
//   stream: simdjson's document stream (parser.parse_many, DOM), its JSONL API;
//   lines:  one parser.parse per line, found with memchr, as a per-line reader does.
// Prints one line per way: `<way> bytes=N rows=N wall_s=S cpu_s=S` (CPU time of the
// process, user+sys, over the best pass), and exits 1 on a parse error.
//
// Build (bench/reader.sh does it): c++ -std=c++20 -O2 simdjson_probe.cc
//   $(pkg-config --cflags --libs simdjson)
// Thread-safety: single-threaded.
#include <simdjson.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "simdjson_probe: %s\n", message.c_str());
  std::exit(1);
}

double Seconds(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Reads every field of `object`; the sum keeps the compiler from skipping work.
uint64_t Touch(simdjson::dom::object object) {
  uint64_t sum = 0;
  for (simdjson::dom::key_value_pair field : object) {
    sum += field.key.size();
    simdjson::dom::element value = field.value;
    switch (value.type()) {
      case simdjson::dom::element_type::STRING:
        sum += value.get_string().value_unsafe().size();
        break;
      case simdjson::dom::element_type::INT64:
        sum += static_cast<uint64_t>(value.get_int64().value_unsafe());
        break;
      case simdjson::dom::element_type::UINT64:
        sum += value.get_uint64().value_unsafe();
        break;
      case simdjson::dom::element_type::DOUBLE:
        sum += static_cast<uint64_t>(value.get_double().value_unsafe());
        break;
      case simdjson::dom::element_type::BOOL:
        sum += value.get_bool().value_unsafe();
        break;
      default:
        ++sum;
    }
  }
  return sum;
}

struct Pass {
  uint64_t rows = 0;
  uint64_t sum = 0;
  double wall = 0;
  double cpu = 0;
};

Pass Stream(const simdjson::padded_string& json) {
  Pass pass;
  double wall0 = Seconds(CLOCK_MONOTONIC), cpu0 = Seconds(CLOCK_PROCESS_CPUTIME_ID);
  simdjson::dom::parser parser;
  simdjson::dom::document_stream docs;
  if (parser.parse_many(json).get(docs)) Die("parse_many failed");
  for (auto doc : docs) {
    simdjson::dom::object object;
    if (doc.get_object().get(object))
      Die("row " + std::to_string(pass.rows + 1) + ": not an object");
    pass.sum += Touch(object);
    ++pass.rows;
  }
  pass.wall = Seconds(CLOCK_MONOTONIC) - wall0;
  pass.cpu = Seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  return pass;
}

Pass Lines(const simdjson::padded_string& json) {
  Pass pass;
  double wall0 = Seconds(CLOCK_MONOTONIC), cpu0 = Seconds(CLOCK_PROCESS_CPUTIME_ID);
  simdjson::dom::parser parser;
  const char* p = json.data();
  const char* end = p + json.size();
  while (p < end) {
    const char* newline = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (newline == nullptr) newline = end;
    if (newline > p) {
      simdjson::dom::object object;
      // padded_string's padding covers the read past the last line.
      if (parser.parse(p, newline - p, false).get_object().get(object)) {
        Die("row " + std::to_string(pass.rows + 1) + ": not a JSON object");
      }
      pass.sum += Touch(object);
      ++pass.rows;
    }
    p = newline + 1;
  }
  pass.wall = Seconds(CLOCK_MONOTONIC) - wall0;
  pass.cpu = Seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  return pass;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  int passes = 3;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--passes" && i + 1 < argc) {
      passes = std::atoi(argv[++i]);
    } else if (file.empty() && !arg.starts_with("--")) {
      file = arg;
    } else {
      Die("usage: simdjson_probe [--passes N] FILE.jsonl");
    }
  }
  if (file.empty() || passes < 1) Die("usage: simdjson_probe [--passes N] FILE.jsonl");
  simdjson::padded_string json;
  if (simdjson::padded_string::load(file).get(json)) Die("cannot read " + file);
  for (auto [name, way] : {std::pair{"stream", &Stream}, std::pair{"lines", &Lines}}) {
    Pass best;
    uint64_t sum = 0;
    for (int i = 0; i < passes; ++i) {
      Pass pass = way(json);
      if (i == 0 || pass.cpu < best.cpu) best = pass;
      sum = pass.sum;
    }
    std::printf("%s bytes=%zu rows=%llu wall_s=%.4f cpu_s=%.4f checksum=%llu\n", name, json.size(),
                static_cast<unsigned long long>(best.rows), best.wall, best.cpu,
                static_cast<unsigned long long>(sum));
  }
  return 0;
}

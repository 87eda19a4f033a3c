// Fuzz target: sink URL parsing and redaction; a password set by SinkUrlWithPassword never shows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "sink/clickhouse/clickhouse_url.h"
#include "sink/mysql/mysql_url.h"
#include "sink/postgres/pg_url.h"
#include "sink/registry.h"
#include "sink/sink_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  (void)sluice::RedactSinkUrl(url);
  (void)sluice::RedactPostgresUrl(url);
  (void)sluice::PercentEncode(url);
  auto endpoint = sluice::ParseClickHouseUrl(url);
  if (endpoint.has_value()) (void)endpoint->Redacted();
  (void)sluice::ParseMysqlUrl(url);
  // A password unlike anything a URL holds, so that finding it means a leak.
  constexpr std::string_view kPassword = "Qz7pW3xKv9Lr";
  if (url.find(kPassword) != std::string_view::npos) return 0;
  sluice::Result<std::string> with = sluice::SinkUrlWithPassword(url, kPassword);
  if (!with.has_value()) return 0;
  const std::string redacted = sluice::RedactSinkUrl(*with);
  if (redacted.find(kPassword) != std::string::npos) {
    std::fprintf(stderr, "password shown: %s\n", redacted.c_str());
    std::abort();
  }
  return 0;
}

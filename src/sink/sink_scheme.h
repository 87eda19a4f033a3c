// SinkScheme: the entry a sink gives the registry (sink/registry.*) — its URL
// schemes and what sluice does with such a URL before a sink exists: open it, add
// a password kept out of the URL, show it without the password. Each sink folder
// defines its entry beside its URL parser; the registry lists the entries.
//
// Thread-safety: entries are constant; their functions are pure (open returns a
// new, unshared sink).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "sink/sink.h"
#include "sink/sink_text.h"

namespace sluice {

struct SinkScheme {
  std::string_view schemes[2];  // the second may be empty
  // Each function receives the whole URL, whose scheme is one of `schemes`.
  Result<std::unique_ptr<Sink>> (*open)(std::string_view url);
  // See SinkUrlWithPassword (registry.h).
  Result<std::string> (*with_password)(std::string_view url, std::string_view password);
  // See RedactSinkUrl (registry.h).
  std::string (*redact)(std::string_view url);
};

// A sink's static Open(url), returning its own type, as an entry's `open`.
template <auto kOpen>
Result<std::unique_ptr<Sink>> OpenSinkAs(std::string_view url) {
  auto sink = kOpen(url);
  if (!sink.has_value()) return std::move(sink).error();
  return std::unique_ptr<Sink>(std::move(*sink));
}

// `url` with a password hidden wherever a URL may hold one: a URI's user info
// after its first ':' up to the last '@', and any password parameter. For URLs
// no sink's parser reads.
std::string RedactUserInfo(std::string_view url);

// `with` (`url` given `password`) if `parsed`, what the sink's URL parser read
// back from it, holds exactly that password; else InvalidArgument naming the
// sink and `redacted` (the URL without its password), never the password.
// `misread` says why when the parser read another password.
template <typename Parsed>
Result<std::string> PasswordReadBack(std::string_view sink, std::string_view redacted,
                                     std::string with, const Result<Parsed>& parsed,
                                     std::string_view password, const char* misread) {
  if (parsed.has_value() && parsed->password == password) return with;
  std::string why =
      parsed.has_value() ? misread : ScrubPassword(parsed.error().message(), password);
  return Status::InvalidArgument(std::string(sink) + " sink " + std::string(redacted) +
                                 ": cannot take a password: " + why);
}

}  // namespace sluice

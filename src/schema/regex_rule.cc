#include "schema/regex_rule.h"

#include <re2/re2.h>

namespace sluice {

Result<std::shared_ptr<const RegexRule>> RegexRule::Compile(const std::string& pattern) {
  RE2::Options options;
  // Errors are returned, not printed to stderr.
  options.set_log_errors(false);
  // Large enough for the DFA of any sensible column rule; RE2 falls back to its
  // (still linear) NFA when a pattern needs more.
  options.set_max_mem(int64_t{32} << 20);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) return Status::InvalidArgument("does not compile: " + re->error());
  return std::shared_ptr<const RegexRule>(new RegexRule(std::move(re)));
}

RegexRule::RegexRule(std::unique_ptr<re2::RE2> re) : re_(std::move(re)) {}

RegexRule::~RegexRule() = default;

bool RegexRule::Matches(std::string_view text) const { return RE2::FullMatch(text, *re_); }

}  // namespace sluice

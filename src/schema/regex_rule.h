// RegexRule: a column's `regex` rule compiled with RE2, which matches in time
// linear in the cell and without recursion, so no cell (however long) can make
// validation slow or overflow the stack, as std::regex did.
//
// Syntax is RE2's (https://github.com/google/re2/wiki/Syntax): Perl-like, without
// backreferences or lookaround. Patterns are UTF-8; the whole cell must match.
//
// Thread-safety: a compiled rule is immutable; Matches may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace re2 {
class RE2;
}

namespace sluice {

class RegexRule {
 public:
  // Compiles `pattern`. Errors: InvalidArgument "does not compile: <RE2's reason>".
  static Result<std::shared_ptr<const RegexRule>> Compile(const std::string& pattern);
  ~RegexRule();

  // True if the whole of `text` matches.
  bool Matches(std::string_view text) const;

 private:
  explicit RegexRule(std::unique_ptr<re2::RE2> re);
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace sluice

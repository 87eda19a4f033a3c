// String functions: lower, upper (ASCII letters; other characters unchanged),
// trim (ASCII blanks), length and substr (in UTF-8 characters), replace,
// starts_with and regexp_matches (RE2, the pattern a constant compiled once).
// Results that are a part of the argument (trim, substr, an unchanged lower) are
// views into it; only new text goes into the arena.
//
// Thread-safety: stateless; the kernels read only the immutable tree and their EvalContext.
#include <re2/re2.h>

#include <cstring>
#include <string>

#include "core/cell_parse.h"
#include "transform/expr/functions.h"
#include "transform/expr/kernel_util.h"

namespace sluice::expr {
namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

template <bool kUpper>
void ChangeCase(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<std::string_view, std::string_view>(
      node, ctx, sel, out, [&](size_t, std::string_view s, std::string_view& v) {
        const char from = kUpper ? 'a' : 'A';
        size_t first = 0;
        while (first < s.size() && !(s[first] >= from && s[first] <= from + 25)) ++first;
        if (first == s.size()) {
          v = s;
          return true;
        }
        char* p = ctx.arena().Allocate(s.size());
        std::memcpy(p, s.data(), s.size());
        for (size_t i = first; i < s.size(); ++i) {
          if (p[i] >= from && p[i] <= from + 25) p[i] = static_cast<char>(p[i] ^ 0x20);
        }
        v = std::string_view(p, s.size());
        return true;
      });
}

void Trim(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<std::string_view, std::string_view>(node, ctx, sel, out,
                                               [](size_t, std::string_view s, std::string_view& v) {
                                                 v = TrimBlanks(s);
                                                 return true;
                                               });
}

void Length(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapUnary<std::string_view, int64_t>(node, ctx, sel, out,
                                      [](size_t, std::string_view s, int64_t& v) {
                                        int64_t n = 0;
                                        for (char c : s) n += IsContinuation(c) ? 0 : 1;
                                        v = n;
                                        return true;
                                      });
}

// Byte offset of character `index` (0-based) of `s`, or s.size() past the end.
size_t ByteOfChar(std::string_view s, int64_t index) {
  size_t i = 0;
  for (int64_t chars = 0; i < s.size(); ++i) {
    if (!IsContinuation(s[i])) {
      if (chars == index) return i;
      ++chars;
    }
  }
  return s.size();
}

// Characters [start, start + length) of `s`, counted from 1, clipped to the
// string (as in SQL: substr('hello', 0, 2) = 'h').
std::string_view Substring(std::string_view s, int64_t start, int64_t length, bool to_end) {
  const int64_t first = start < 1 ? 1 : start;
  int64_t end = 0;  // exclusive, 1-based
  if (to_end || __builtin_add_overflow(start, length, &end)) end = INT64_MAX;
  if (end <= first) return s.substr(0, 0);
  const size_t begin = ByteOfChar(s, first - 1);
  const size_t stop = end == INT64_MAX ? s.size() : ByteOfChar(s, end - 1);
  return s.substr(begin, stop - begin);
}

void Substr(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  Column scratch[3];
  const size_t n = node.args.size();
  const Column* args[3] = {nullptr, nullptr, nullptr};
  for (size_t i = 0; i < n; ++i) args[i] = &Arg(node, i, ctx, sel, scratch[i]);
  PrepareColumn(out, ColumnType::kString, ctx.rows());
  ForEach(sel, [&](size_t r) {
    bool null = false;
    for (size_t i = 0; i < n; ++i) null = null || args[i]->nulls[r] != 0;
    if (null) {
      out.nulls[r] = 1;
      return;
    }
    const int64_t length = n == 3 ? args[2]->ints[r] : 0;
    if (length < 0) {
      ctx.Fail(r, "negative substring length");
      out.nulls[r] = 1;
      return;
    }
    Put<std::string_view>(out, r, Substring(args[0]->strings[r], args[1]->ints[r], length, n < 3));
  });
}

void Replace(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  Column scratch[3];
  const Column& s = Arg(node, 0, ctx, sel, scratch[0]);
  const Column& from = Arg(node, 1, ctx, sel, scratch[1]);
  const Column& to = Arg(node, 2, ctx, sel, scratch[2]);
  PrepareColumn(out, ColumnType::kString, ctx.rows());
  std::string buffer;
  ForEach(sel, [&](size_t r) {
    if ((s.nulls[r] | from.nulls[r] | to.nulls[r]) != 0) {
      out.nulls[r] = 1;
      return;
    }
    const std::string_view text = s.strings[r];
    const std::string_view pattern = from.strings[r];
    size_t hit = pattern.empty() ? std::string_view::npos : text.find(pattern);
    if (hit == std::string_view::npos) {
      Put<std::string_view>(out, r, text);
      return;
    }
    buffer.clear();
    size_t done = 0;
    for (; hit != std::string_view::npos; hit = text.find(pattern, done)) {
      buffer.append(text.substr(done, hit - done));
      buffer.append(to.strings[r]);
      done = hit + pattern.size();
    }
    buffer.append(text.substr(done));
    Put<std::string_view>(out, r, ctx.arena().Store(buffer));
  });
}

void StartsWith(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  MapBinary<std::string_view, std::string_view, int64_t>(
      node, ctx, sel, out, [](size_t, std::string_view s, std::string_view prefix, int64_t& v) {
        v = s.substr(0, prefix.size()) == prefix ? 1 : 0;
        return true;
      });
}

void RegexpMatches(const Node& node, EvalContext& ctx, Selection sel, Column& out) {
  const RE2& re = *node.regex;
  MapUnary<std::string_view, int64_t>(node, ctx, sel, out,
                                      [&](size_t, std::string_view s, int64_t& v) {
                                        v = RE2::PartialMatch(s, re) ? 1 : 0;
                                        return true;
                                      });
}

Status BindRegexp(const Binder& binder, Node& node) {
  const Node& pattern = node.args[1];
  if (pattern.op != Op::kLiteral || pattern.null_literal) {
    return binder.Error(pattern, "the pattern of regexp_matches must be a constant string");
  }
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern.string_value, options);
  if (!re->ok()) return binder.Error(pattern, "invalid regular expression: " + re->error());
  node.regex = std::move(re);
  node.kernel = RegexpMatches;
  node.type = ColumnType::kBoolean;
  node.nullable = node.args[0].nullable;
  return Status::Ok();
}

}  // namespace

Status BindStringCall(const Binder& binder, Node& node) {
  const std::string& name = node.name;
  RETURN_IF_ERROR(RequireType(binder, node, 0, ColumnType::kString));
  node.nullable = AnyNullable(node);
  node.type = ColumnType::kString;
  if (name == "substr") {
    RETURN_IF_ERROR(RequireType(binder, node, 1, ColumnType::kInteger));
    if (node.args.size() == 3) RETURN_IF_ERROR(RequireType(binder, node, 2, ColumnType::kInteger));
    node.kernel = Substr;
    return Status::Ok();
  }
  for (size_t i = 1; i < node.args.size(); ++i) {
    RETURN_IF_ERROR(RequireType(binder, node, i, ColumnType::kString));
  }
  if (name == "lower") node.kernel = ChangeCase<false>;
  if (name == "upper") node.kernel = ChangeCase<true>;
  if (name == "trim") node.kernel = Trim;
  if (name == "replace") node.kernel = Replace;
  if (name == "length") {
    node.type = ColumnType::kInteger;
    node.kernel = Length;
  }
  if (name == "starts_with") {
    node.type = ColumnType::kBoolean;
    node.kernel = StartsWith;
  }
  if (name == "regexp_matches") return BindRegexp(binder, node);
  return Status::Ok();
}

}  // namespace sluice::expr

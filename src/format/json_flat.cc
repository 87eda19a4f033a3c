#include "format/json_flat.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "format/byte_search.h"

namespace sluice {
namespace {

// The first byte in [p, end) that may not stand unescaped in a string of the
// subset ('"', '\\', a control byte, a non-ASCII byte), or a pointer at or past
// end. Sixteen bytes a step (GCC vector extensions, as FindFirstOf): reads up to
// 15 bytes past end.
const char* FindStringEnd(const char* p, const char* end) {
  using Vector = signed char __attribute__((vector_size(16)));
  for (; p < end; p += sizeof(Vector)) {
    Vector v;
    std::memcpy(&v, p, sizeof v);
    // Signed: bytes of 0x80 and above are negative, below 0x20 too.
    const int first = FirstSetByte((v == '"') | (v == '\\') | (v < 0x20));
    if (first < 16) return p + first;
  }
  return p;
}

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kMaxExactMantissa = uint64_t{1} << 53;

// True if the bytes at `p` are `quoted`. Sixteen bytes a step: reads up to 15
// bytes past the end of both.
bool SameBytes(const char* p, std::string_view quoted) {
  using Vector = unsigned char __attribute__((vector_size(16)));
  for (size_t i = 0; i < quoted.size(); i += sizeof(Vector)) {
    Vector a;
    Vector b;
    std::memcpy(&a, p + i, sizeof a);
    std::memcpy(&b, quoted.data() + i, sizeof b);
    if (static_cast<size_t>(FirstSetByte(a != b)) < std::min(sizeof(Vector), quoted.size() - i)) {
      return false;
    }
  }
  return true;
}

// kLine: the text is a JSON Lines line, which ends at the first LF (ParseFlatLine).
template <bool kLine>
class FlatParser {
 public:
  FlatParser(const char* begin, const char* end, const FlatKeys* keys)
      : p_(begin), end_(end), keys_(keys) {}

  // The end of the object and the blanks after it (a LF, or end_ when kLine); null
  // if the text is not a flat object.
  const char* Parse(std::vector<FlatField>& fields) {
    SkipSpace();
    if (!Take('{')) return nullptr;
    // Slots are reused from line to line rather than cleared and made again.
    size_t count = 0;
    for (;;) {
      if (count == fields.size()) fields.emplace_back();
      FlatField& field = fields[count++];
      SkipSpace();
      if (!Key(count - 1, field)) return nullptr;
      SkipSpace();
      if (!Take(':')) return nullptr;
      SkipSpace();
      if (!Value(field)) return nullptr;
      SkipSpace();
      if (Take(',')) continue;
      if (!Take('}')) return nullptr;
      fields.resize(count);
      SkipSpace();
      if (p_ == end_ || (kLine && *p_ == '\n')) return p_;
      return nullptr;
    }
  }

 private:
  bool Take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // JSON whitespace, but LF in a line (it ends the line).
  void SkipSpace() {
    // Compact JSON has no blanks: one comparison in the usual case. (*end_ is
    // readable: the padding.)
    if (static_cast<unsigned char>(*p_) > ' ') return;
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || (!kLine && *p_ == '\n'))) {
      ++p_;
    }
  }

  // The key at `position`: first as the expected one, compared with its closing
  // quote (an expected key is in the subset, so matching bytes are a valid key).
  bool Key(size_t position, FlatField& field) {
    if (!Take('"')) return false;
    if (keys_ != nullptr) {
      const std::string_view quoted = keys_->Quoted(position);
      if (!quoted.empty() && static_cast<size_t>(end_ - p_) >= quoted.size() &&
          SameBytes(p_, quoted)) {
        field.key = std::string_view(p_, quoted.size() - 1);
        field.expected = true;
        p_ += quoted.size();
        return true;
      }
    }
    field.expected = false;
    return StringBody(field.key);
  }

  bool String(std::string_view& out) { return Take('"') && StringBody(out); }

  // The rest of a string after its opening quote.
  bool StringBody(std::string_view& out) {
    const char* begin = p_;
    p_ = FindStringEnd(p_, end_);
    if (p_ >= end_ || *p_ != '"') return false;  // an escape, a control or non-ASCII byte
    out = std::string_view(begin, p_ - begin);
    ++p_;
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;  // a letter after it fails the caller's search for ',' or '}'
  }

  bool Value(FlatField& field) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        field.kind = FlatKind::kString;
        return String(field.string);
      case 't':
        field.kind = FlatKind::kTrue;
        return Literal("true");
      case 'f':
        field.kind = FlatKind::kFalse;
        return Literal("false");
      case 'n':
        field.kind = FlatKind::kNull;
        return Literal("null");
      default:
        return Number(field);
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // Appends the digits at p_ to `mantissa`, which wraps past 19 digits: the caller
  // counts them and declines such numbers. A byte at a time: numbers in files are
  // short, and eight-byte steps (SWAR) were slower.
  void Digits(uint64_t& mantissa) {
    while (p_ != end_ && IsDigit(*p_))
      mantissa = mantissa * 10 + static_cast<uint64_t>(*p_++ - '0');
  }

  // A digit after a leading 0 ("01") is left for the caller to refuse.
  bool Number(FlatField& field) {
    const bool negative = Take('-');
    const char* first = p_;
    uint64_t mantissa = 0;
    if (p_ != end_ && *p_ == '0') {
      ++p_;
    } else {
      Digits(mantissa);
    }
    if (p_ == first) return false;
    auto digits = p_ - first;
    int exponent = 0;
    bool is_integer = true;
    if (Take('.')) {
      is_integer = false;
      const char* fraction = p_;
      Digits(mantissa);
      if (p_ == fraction) return false;
      digits += p_ - fraction;
      exponent = -static_cast<int>(p_ - fraction);
    }
    if (digits > 19) return false;  // the mantissa may have wrapped
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      is_integer = false;
      const bool negative_exponent = Take('-');
      if (!negative_exponent) Take('+');
      if (p_ == end_ || !IsDigit(*p_)) return false;
      int value = 0;
      int count = 0;
      while (p_ != end_ && IsDigit(*p_)) {
        if (++count > 4) return false;
        value = value * 10 + (*p_++ - '0');
      }
      exponent += negative_exponent ? -value : value;
    }
    // simdjson's call for -0 and -0.0 (their sign), not repeated here.
    if (negative && mantissa == 0) return false;
    if (is_integer) {
      if (digits > 18) return false;
      field.kind = FlatKind::kInteger;
      field.integer = negative ? -static_cast<int64_t>(mantissa) : static_cast<int64_t>(mantissa);
      return true;
    }
    if (mantissa > kMaxExactMantissa || exponent < -22 || exponent > 22) return false;
    // Both operands exact, so the one rounding is the correct one (Clinger).
    double value = static_cast<double>(mantissa);
    value = exponent < 0 ? value / kPow10[-exponent] : value * kPow10[exponent];
    field.kind = FlatKind::kDouble;
    field.number = negative ? -value : value;
    return true;
  }

  const char* p_;
  const char* end_;
  const FlatKeys* keys_;
};

}  // namespace

void FlatKeys::Set(size_t position, std::string_view key) {
  if (position >= quoted_.size()) quoted_.resize(position + 1);
  std::string& quoted = quoted_[position];
  quoted.clear();
  // The bytes FindStringEnd stops at (a byte loop: `key` has no padding).
  for (char c : key) {
    if (c == '"' || c == '\\' || static_cast<signed char>(c) < 0x20) return;
  }
  quoted.append(key);
  quoted.push_back('"');
  quoted.append(kPadding, '\0');
}

bool ParseFlatObject(std::string_view text, std::vector<FlatField>& fields, const FlatKeys* keys) {
  return FlatParser<false>(text.data(), text.data() + text.size(), keys).Parse(fields) != nullptr;
}

const char* ParseFlatLine(const char* begin, const char* end, std::vector<FlatField>& fields,
                          const FlatKeys* keys) {
  return FlatParser<true>(begin, end, keys).Parse(fields);
}

std::string FlatDifference(const std::vector<FlatField>& fields, simdjson::dom::object object) {
  size_t i = 0;
  for (simdjson::dom::key_value_pair field : object) {
    if (i == fields.size()) return "simdjson has more fields";
    const FlatField& f = fields[i++];
    if (field.key != f.key) return "key " + std::string(field.key) + " vs " + std::string(f.key);
    simdjson::dom::element v = field.value;
    bool same = false;
    switch (v.type()) {
      case simdjson::dom::element_type::STRING:
        same = f.kind == FlatKind::kString && v.get_string().value_unsafe() == f.string;
        break;
      case simdjson::dom::element_type::INT64:
        same = f.kind == FlatKind::kInteger && v.get_int64().value_unsafe() == f.integer;
        break;
      case simdjson::dom::element_type::DOUBLE:
        same =
            f.kind == FlatKind::kDouble && std::bit_cast<uint64_t>(v.get_double().value_unsafe()) ==
                                               std::bit_cast<uint64_t>(f.number);
        break;
      case simdjson::dom::element_type::BOOL:
        same = f.kind == (v.get_bool().value_unsafe() ? FlatKind::kTrue : FlatKind::kFalse);
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        same = f.kind == FlatKind::kNull;
        break;
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::ARRAY:
      case simdjson::dom::element_type::OBJECT:
        break;  // never in the subset
    }
    if (!same) return "the value of key " + std::string(f.key) + " differs";
  }
  return i == fields.size() ? "" : "simdjson has fewer fields";
}

}  // namespace sluice

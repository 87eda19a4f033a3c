#include "format/json_flat.h"

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

class FlatParser {
 public:
  explicit FlatParser(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool Parse(std::vector<FlatField>& fields) {
    SkipSpace();
    if (!Take('{')) return false;
    // Slots are reused from line to line rather than cleared and made again.
    size_t count = 0;
    for (;;) {
      if (count == fields.size()) fields.emplace_back();
      FlatField& field = fields[count++];
      SkipSpace();
      if (!String(field.key)) return false;
      SkipSpace();
      if (!Take(':')) return false;
      SkipSpace();
      if (!Value(field)) return false;
      SkipSpace();
      if (Take(',')) continue;
      if (!Take('}')) return false;
      fields.resize(count);
      SkipSpace();
      return p_ == end_;
    }
  }

 private:
  bool Take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }

  bool String(std::string_view& out) {
    if (!Take('"')) return false;
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
};

}  // namespace

bool ParseFlatObject(std::string_view text, std::vector<FlatField>& fields) {
  return FlatParser(text).Parse(fields);
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

#include "format/json_row.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace sluice {
namespace {

constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr uint64_t kMaxMantissa = 1'000'000'000'000'000;  // 10^15: exact as a double

}  // namespace

char* FormatDouble(double value, char* first, char* last) {
  const double magnitude = value < 0 ? -value : value;
  if (!(magnitude >= 0.1 && magnitude < 1e15)) return std::to_chars(first, last, value).ptr;
  // The decimal with 15 significant digits nearest `magnitude`, M / 10^k. Any
  // decimal of at most 15 significant digits reads back as one double only (their
  // spacing exceeds a double's), so if some such decimal reads back as `magnitude`
  // it is this one padded with zeros, and M's trailing zeros removed give the
  // shortest. M and 10^k are exact doubles, so M / 10^k is the correctly rounded
  // reading of the decimal (as from_chars would make it).
  int integer_digits = 0;
  while (integer_digits < 15 && magnitude >= kPow10[integer_digits]) ++integer_digits;
  int k = 15 - integer_digits;
  double scaled = std::nearbyint(magnitude * kPow10[k]);
  if (!(scaled < static_cast<double>(kMaxMantissa)) || scaled / kPow10[k] != magnitude) {
    return std::to_chars(first, last, value).ptr;
  }
  auto mantissa = static_cast<uint64_t>(scaled);
  // Drops up to k trailing zeros, 8, 4, 2, 1 at a time (k <= 15): a decimal from
  // a file has few digits, so its 15-digit M ends in many zeros.
  for (int step : {8, 4, 2, 1}) {
    const auto divisor = static_cast<uint64_t>(kPow10[step]);
    if (k >= step && mantissa % divisor == 0) {
      mantissa /= divisor;
      k -= step;
    }
  }
  // An integer ending in zeros may be shorter in scientific notation (1e+06).
  if (k == 0 && mantissa % 10 == 0) return std::to_chars(first, last, value).ptr;
  // In [0.1, 1e15) with no trailing zeros, fixed notation is the shorter: the
  // scientific form has the same digits plus an exponent of at least 4 bytes.
  char digits[20];
  char* digits_end = std::to_chars(digits, digits + sizeof digits, mantissa).ptr;
  const auto count = static_cast<int>(digits_end - digits);
  char* out = first;
  if (value < 0) *out++ = '-';
  if (count <= k) {  // magnitude < 1: k == count, as magnitude >= 0.1
    *out++ = '0';
    *out++ = '.';
    return std::copy(digits, digits_end, out);
  }
  out = std::copy(digits, digits_end - k, out);
  if (k > 0) {
    *out++ = '.';
    out = std::copy(digits_end - k, digits_end, out);
  }
  return out;
}

namespace {

// The text of a typed JSON value (kind not kText; a kFloat as its double's bits)
// in `text` (32 bytes); returns its end.
char* FormatTyped(TypedKind kind, int64_t value, char* text) {
  switch (kind) {
    case TypedKind::kInteger:
      return std::to_chars(text, text + 32, value).ptr;
    case TypedKind::kFloat:
      return FormatDouble(std::bit_cast<double>(value), text, text + 32);
    case TypedKind::kBoolean:
    case TypedKind::kText:
      break;
  }
  const std::string_view word = value != 0 ? "true" : "false";
  return std::copy(word.begin(), word.end(), text);
}

}  // namespace

void JsonRowBuilder::StartBatch(TextBatch& out) {
  if (out.memory_bytes() > 2 * kBatchArenaBytes) out = TextBatch();
  out.Clear();
  if (out.columns() != columns_) {
    out.Reset();
    out.SetColumns(columns_);
  }
}

void JsonRowBuilder::StartRow(std::string_view raw, uint64_t line, uint64_t offset,
                              TextBatch& out) {
  raw_ = out.Append(raw);
  shared_end_ = 0;
  out.StartRow(line, offset, raw_);
}

Status JsonRowBuilder::TooManyKeys(std::string_view key, uint64_t line, TextBatch& out) const {
  out.DropRow();
  constexpr size_t kShownKeyBytes = 64;
  std::string message = "line " + std::to_string(line) + ": more than max_columns (" +
                        std::to_string(max_columns_) + ") distinct keys; the next is \"" +
                        std::string(key.substr(0, kShownKeyBytes)) +
                        (key.size() > kShownKeyBytes ? "...\"" : "\"");
  return Status::InvalidData(std::move(message));
}

Status JsonRowBuilder::AddRow(simdjson::dom::object object, std::string_view raw, uint64_t line,
                              uint64_t offset, TextBatch& out) {
  StartRow(raw, line, offset, out);
  size_t position = 0;
  for (simdjson::dom::key_value_pair field : object) {
    size_t column = ColumnFor(position++, field.key, out);
    if (column == kTooMany) return TooManyKeys(field.key, line, out);
    SetValue(column, field.value, out);
  }
  out.FinishRow();
  return Status::Ok();
}

Status JsonRowBuilder::AddRow(const std::vector<FlatField>& fields, std::string_view raw,
                              uint64_t line, uint64_t offset, TextBatch& out) {
  StartRow(raw, line, offset, out);
  size_t position = 0;
  for (const FlatField& field : fields) {
    // An expected key is the previous object's at this position, already compared.
    size_t column =
        field.expected ? position_columns_[position++] : ColumnFor(position++, field.key, out);
    if (column == kTooMany) return TooManyKeys(field.key, line, out);
    switch (field.kind) {
      case FlatKind::kString:
        // Strings of the flat subset have no escapes: the raw text holds them as they are.
        out.SetCell(column,
                    Span{static_cast<uint32_t>(raw_.offset + (field.string.data() - raw.data())),
                         static_cast<uint32_t>(field.string.size())});
        break;
      case FlatKind::kInteger:
        SetTypedScalar(column, TypedKind::kInteger, field.integer, out);
        break;
      case FlatKind::kDouble:
        SetTypedScalar(column, TypedKind::kFloat, std::bit_cast<int64_t>(field.number), out);
        break;
      case FlatKind::kTrue:
      case FlatKind::kFalse:
        SetTypedScalar(column, TypedKind::kBoolean, field.kind == FlatKind::kTrue ? 1 : 0, out);
        break;
      case FlatKind::kNull:
        break;  // the cell stays null
    }
  }
  out.FinishRow();
  return Status::Ok();
}

size_t JsonRowBuilder::FindColumn(size_t position, std::string_view key, TextBatch& out) {
  if (position >= position_columns_.size()) position_columns_.resize(position + 1);
  size_t column;
  if (auto it = index_.find(key); it != index_.end()) {
    column = it->second;
  } else {
    if (columns_.size() >= max_columns_) return kTooMany;
    // StartBatch gave `out` exactly columns_, so the key is new to it too.
    column = out.AddColumn(key);
    columns_.emplace_back(key);
    index_.emplace(columns_.back(), column);
  }
  position_columns_[position] = column;
  if (position < kExpectedKeyPositions) keys_.Set(position, key);
  return column;
}

Span JsonRowBuilder::StringCell(std::string_view text, TextBatch& out) {
  if (text.size() < kSharedStringBytes || shared_end_ == kNoSharing) return out.Append(text);
  // Values come in source order, so each search starts past the previous match:
  // the searches of a row scan its raw text about once. A value that is not
  // there verbatim (it had escapes) is copied and ends the sharing for the row,
  // which bounds the cost of the failed search to one scan too.
  const std::string_view rest = out.View(raw_).substr(shared_end_);
  const void* found = memmem(rest.data(), rest.size(), text.data(), text.size());
  if (found == nullptr) {
    shared_end_ = kNoSharing;
    return out.Append(text);
  }
  const size_t at = shared_end_ + (static_cast<const char*>(found) - rest.data());
  shared_end_ = at + text.size();
  return Span{static_cast<uint32_t>(raw_.offset + at), static_cast<uint32_t>(text.size())};
}

void JsonRowBuilder::SetValue(size_t column, simdjson::dom::element value, TextBatch& out) {
  TypedKind kind = TypedKind::kText;
  int64_t typed = 0;  // a kFloat value as the bits of its double
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      out.SetCell(column, StringCell(value.get_string().value_unsafe(), out));
      return;
    case simdjson::dom::element_type::INT64:
      kind = TypedKind::kInteger;
      typed = value.get_int64().value_unsafe();
      break;
    case simdjson::dom::element_type::UINT64: {
      // Beyond int64: text only, which integer columns refuse as out of range.
      char digits[32];
      char* end =
          std::to_chars(digits, digits + sizeof digits, value.get_uint64().value_unsafe()).ptr;
      out.SetCell(column, out.Append(std::string_view(digits, end - digits)));
      return;
    }
    case simdjson::dom::element_type::DOUBLE: {
      const double v = value.get_double().value_unsafe();
      // Subnormals are text only: whether their text parses is the text path's call.
      kind = v == 0 || std::fabs(v) >= std::numeric_limits<double>::min() ? TypedKind::kFloat
                                                                          : TypedKind::kText;
      typed = std::bit_cast<int64_t>(v);
      break;
    }
    case simdjson::dom::element_type::BOOL:
      kind = TypedKind::kBoolean;
      typed = value.get_bool().value_unsafe() ? 1 : 0;
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      return;  // the cell stays null
    case simdjson::dom::element_type::ARRAY:
    case simdjson::dom::element_type::OBJECT:
      nested_.clear();
      nested_.append(value);
      out.SetCell(column, out.Append(nested_.str()));
      return;
  }
  SetScalar(column, kind, typed, out);
}

void JsonRowBuilder::SetScalar(size_t column, TypedKind kind, int64_t typed, TextBatch& out) {
  const bool textless = kind != TypedKind::kText && column < textless_.size() && textless_[column];
  if (textless) {
    out.SetCell(column, out.SpanFrom(out.Mark()));  // empty, not null
  } else {
    char text[32];
    const size_t size =
        FormatTyped(kind == TypedKind::kText ? TypedKind::kFloat : kind, typed, text) - text;
    out.SetCell(column, out.Append(std::string_view(text, size)));
  }
  if (kind == TypedKind::kText) return;
  // Typed beside the text: the Validator takes these instead of parsing the text
  // back, which gives the same value (FormatDouble's text reads back exactly).
  if (out.Typed(column) == nullptr) {
    out.SetTypedPerCell(column, textless ? &kCellText : nullptr);
  }
  out.SetCellInt(column, kind, typed);
}

const JsonRowBuilder::CellText JsonRowBuilder::kCellText;

void JsonRowBuilder::CellText::Append(const TypedCells& cells, size_t row, std::string& out) const {
  if (cells.kinds[row] == TypedKind::kText) return;
  char text[32];
  out.append(text, FormatTyped(cells.kinds[row], cells.ints[row], text));
}

}  // namespace sluice

#include "format/json_row.h"

#include <charconv>
#include <string>

namespace sluice {

void JsonRowBuilder::StartBatch(TextBatch& out) {
  out.Clear();
  if (out.columns() != columns_) {
    out.Reset();
    out.SetColumns(columns_);
  }
}

Status JsonRowBuilder::AddRow(simdjson::dom::object object, std::string_view raw, uint64_t line,
                              uint64_t offset, TextBatch& out) {
  out.StartRow(line, offset, out.Append(raw));
  size_t position = 0;
  for (simdjson::dom::key_value_pair field : object) {
    size_t column = ColumnFor(position++, field.key, out);
    if (column == kTooMany) {
      out.DropRow();
      constexpr size_t kShownKeyBytes = 64;
      std::string_view key = field.key;
      std::string message = "line " + std::to_string(line) + ": more than max_columns (" +
                            std::to_string(max_columns_) + ") distinct keys; the next is \"" +
                            std::string(key.substr(0, kShownKeyBytes)) +
                            (key.size() > kShownKeyBytes ? "...\"" : "\"");
      return Status::InvalidData(std::move(message));
    }
    out.SetCell(column, Text(field.value, out));
  }
  out.FinishRow();
  return Status::Ok();
}

size_t JsonRowBuilder::ColumnFor(size_t position, std::string_view key, TextBatch& out) {
  if (position < position_columns_.size()) {
    size_t guess = position_columns_[position];
    if (guess < columns_.size() && columns_[guess] == key) return guess;
  } else {
    position_columns_.resize(position + 1);
  }
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
  return column;
}

Span JsonRowBuilder::Text(simdjson::dom::element value, TextBatch& out) {
  char digits[32];
  std::to_chars_result written{digits, std::errc()};
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      return out.Append(value.get_string().value_unsafe());
    case simdjson::dom::element_type::INT64:
      written = std::to_chars(digits, digits + sizeof digits, value.get_int64().value_unsafe());
      break;
    case simdjson::dom::element_type::UINT64:
      written = std::to_chars(digits, digits + sizeof digits, value.get_uint64().value_unsafe());
      break;
    case simdjson::dom::element_type::DOUBLE:
      written = std::to_chars(digits, digits + sizeof digits, value.get_double().value_unsafe());
      break;
    case simdjson::dom::element_type::BOOL:
      return out.Append(value.get_bool().value_unsafe() ? "true" : "false");
    case simdjson::dom::element_type::NULL_VALUE:
      return kNullSpan;
    case simdjson::dom::element_type::ARRAY:
    case simdjson::dom::element_type::OBJECT:
      nested_.clear();
      nested_.append(value);
      return out.Append(nested_.str());
  }
  return out.Append(std::string_view(digits, written.ptr - digits));
}

}  // namespace sluice

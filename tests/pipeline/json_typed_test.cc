// JSON Lines through the reader and the Validator as a load runs them, batch by
// batch: with the typed cells the reader gives (json_row.h), with those cells
// textless from the second batch on (as BatchProducer asks, SetTextless), and
// as text only (the same cells copied without their typed values). All three
// must give the same rows, values and bad rows.
#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

#include "format/record_reader.h"
#include "schema/validator.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::CollectingErrors;

enum class Mode { kTextOnly, kTyped, kTextless };

// Values of the good rows, one string per row, and the bad rows' errors.
struct Outcome {
  std::vector<std::string> rows;
  std::vector<std::string> errors;
  size_t textless_batches = 0;
};

// `in`'s cells without their typed values.
void CopyText(const TextBatch& in, TextBatch& out) {
  out.Reset();
  out.SetColumns(in.columns());
  for (size_t r = 0; r < in.rows(); ++r) {
    out.StartRow(in.Line(r), in.Offset(r), out.Append(in.Raw(r)));
    for (size_t c = 0; c < in.columns().size(); ++c) {
      if (!in.IsNull(r, c)) out.SetCell(c, out.Append(in.Cell(r, c)));
    }
    out.FinishRow();
  }
}

Outcome Load(const Schema& schema, const std::string& lines, Mode mode) {
  Outcome o;
  ReaderOptions options;
  options.batch_rows = 4;  // several batches, so that SetTextless takes effect
  Result<std::unique_ptr<RecordReader>> reader =
      OpenReader(Format::kJsonl, testing::StringInput(lines, 64), options);
  EXPECT_TRUE(reader.has_value());
  if (!reader.has_value()) return o;
  Result<Validator> validator = Validator::Create(schema);
  EXPECT_TRUE(validator.has_value());
  CollectingErrors errors;
  TextBatch batch;
  TextBatch text;
  bool bound = false;
  while (true) {
    Result<size_t> rows = (*reader)->ReadBatch(batch, errors);
    EXPECT_TRUE(rows.has_value()) << rows.status().ToString();
    if (!rows.has_value() || *rows == 0) break;
    if (!bound) {
      EXPECT_TRUE(validator->Bind(batch.columns()).ok());
      if (mode == Mode::kTextless) (*reader)->SetTextless(validator->TextlessColumns(batch));
      bound = true;
    }
    for (size_t c = 0; c < batch.columns().size(); ++c) {
      if (batch.Textless(c)) {
        ++o.textless_batches;
        break;
      }
    }
    const TextBatch* in = &batch;
    if (mode == Mode::kTextOnly) {
      CopyText(batch, text);
      in = &text;
    }
    Batch out;
    out.Reset(schema.Defs());
    validator->Convert(*in, in->columns(), out, errors);
    for (size_t r = 0; r < out.rows(); ++r) {
      std::string row;
      for (const Column& column : out.columns()) {
        row += "|";
        if (column.IsNull(r)) {
          row += "NULL";
        } else if (column.def.type == ColumnType::kFloat) {
          row += std::to_string(std::bit_cast<uint64_t>(column.floats[r]));
        } else if (column.def.type == ColumnType::kString) {
          row += column.strings[r];
        } else {
          row += std::to_string(column.ints[r]);
        }
      }
      o.rows.push_back(row);
    }
  }
  for (const RowError& e : errors.errors) {
    o.errors.push_back(std::to_string(e.line) + " " + e.column + " " + e.message + " | " + e.raw);
  }
  return o;
}

TEST(JsonTypedTest, TypedAndTextlessLoadAsText) {
  Schema schema;
  auto add = [&](const char* name, ColumnType type) -> ColumnSpec& {
    ColumnSpec spec;
    spec.name = name;
    spec.type = type;
    spec.nullable = true;
    schema.columns.push_back(spec);
    return schema.columns.back();
  };
  add("i", ColumnType::kInteger).rules.max = 1000;
  add("f", ColumnType::kFloat).rules.min = -1e300;
  add("b", ColumnType::kBoolean);
  add("s", ColumnType::kString);
  add("a", ColumnType::kInteger).rules.allowed = {"1", "2"};
  // Every number form into every column, in rows spread over several batches.
  const std::vector<std::string> values = {"0",
                                           "-0",
                                           "-0.0",
                                           "7",
                                           "2000",
                                           "-9223372036854775808",
                                           "9223372036854775808",
                                           "1.5",
                                           "1E2",
                                           "1e21",
                                           "2.675",
                                           "5e-324",
                                           "1.7976931348623157e308",
                                           "true",
                                           "false",
                                           "\"3\"",
                                           "\" 4 \"",
                                           "\"x\"",
                                           "null",
                                           "[1]",
                                           "{\"k\":1.50}",
                                           "1",
                                           "2"};
  std::string lines;
  for (const std::string& v : values) {
    for (const char* key : {"i", "f", "b", "s", "a"}) {
      lines += std::string("{\"") + key + "\": " + v + ", \"s\": \"row\"}\n";
    }
    lines += "{\"i\": 1, \"f\": 2.5, \"b\": true, \"s\": " + v + ", \"a\": 1}\n";
  }
  const Outcome text = Load(schema, lines, Mode::kTextOnly);
  const Outcome typed = Load(schema, lines, Mode::kTyped);
  const Outcome textless = Load(schema, lines, Mode::kTextless);
  EXPECT_FALSE(text.rows.empty());
  EXPECT_FALSE(text.errors.empty());
  EXPECT_EQ(typed.rows, text.rows);
  EXPECT_EQ(typed.errors, text.errors);
  EXPECT_EQ(textless.rows, text.rows);
  EXPECT_EQ(textless.errors, text.errors);
  EXPECT_GT(textless.textless_batches, 10u);
  EXPECT_EQ(typed.textless_batches, 0u);
}

}  // namespace
}  // namespace sluice

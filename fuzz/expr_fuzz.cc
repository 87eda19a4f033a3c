// Fuzz target: the expression language. Compiles the input against columns of
// every type; when it compiles, evaluates it on a small batch of ordinary, edge
// and null values and checks the evaluation's contract.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "transform/expr/expression.h"

namespace {

const std::vector<sluice::ColumnDef>& Inputs() {
  using sluice::ColumnType;
  static const std::vector<sluice::ColumnDef> inputs = {
      {"i", ColumnType::kInteger, true}, {"f", ColumnType::kFloat, true},
      {"s", ColumnType::kString, true},  {"b", ColumnType::kBoolean, true},
      {"d", ColumnType::kDate, true},    {"t", ColumnType::kTimestamp, true}};
  return inputs;
}

// Four rows: small values, extremes, zeros and empty text, nulls.
const sluice::Batch& Rows() {
  static const sluice::Batch batch = [] {
    sluice::Batch b;
    b.Reset(Inputs());
    auto& c = b.columns();
    const int64_t ints[] = {7, INT64_MIN, 0};
    const double floats[] = {2.5, 1.7976931348623157e308, 0.0};
    const std::string_view strings[] = {"H\xC3\xA9llo 42", "2024-02-29", ""};
    const int64_t days[] = {19782, 2932896, -719528};
    const int64_t micros[] = {1709214330500000, 253402300799999999, -62167219200000000};
    for (size_t r = 0; r < 3; ++r) {
      c[0].AppendInt(ints[r]);
      c[1].AppendFloat(r == 1 ? -floats[r] : floats[r]);
      c[2].AppendString(strings[r]);
      c[3].AppendInt(r % 2);
      c[4].AppendInt(days[r]);
      c[5].AppendInt(micros[r]);
      b.FinishRow(r + 1);
    }
    for (auto& column : c) column.AppendNull();
    b.FinishRow(4);
    return b;
  }();
  return batch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // configuration expressions are short; keep runs fast
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::Result<sluice::Expression> e = sluice::CompileExpression(text, Inputs());
  if (!e.has_value()) {
    FUZZ_CHECK(e.error().code() == sluice::StatusCode::kInvalidArgument);
    FUZZ_CHECK(e.error().message().rfind("at ", 0) == 0);
    return 0;
  }
  const sluice::Batch& batch = Rows();
  sluice::StringArena arena;
  sluice::Column out;
  std::vector<sluice::RowFailure> failures;
  FUZZ_CHECK(e->Evaluate(batch, out, failures, arena).ok());
  FUZZ_CHECK(out.def.type == e->type());
  FUZZ_CHECK(out.nulls.size() == batch.rows());
  for (size_t k = 0; k < failures.size(); ++k) {
    FUZZ_CHECK(failures[k].row < batch.rows());
    FUZZ_CHECK(k == 0 || failures[k - 1].row < failures[k].row);
    FUZZ_CHECK(out.IsNull(failures[k].row));
  }
  // A non-nullable expression is null only where the row failed.
  std::vector<bool> failed(batch.rows(), false);
  for (const auto& f : failures) failed[f.row] = true;
  for (size_t r = 0; r < batch.rows(); ++r)
    FUZZ_CHECK(e->nullable() || !out.IsNull(r) || failed[r]);
  return 0;
}

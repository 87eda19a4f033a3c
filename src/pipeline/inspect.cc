#include "pipeline/inspect.h"

#include <cmath>
#include <memory>

#include "core/cell_parse.h"
#include "core/iso_time.h"
#include "pipeline/row_transforms.h"
#include "pipeline/table_resolver.h"
#include "schema/infer.h"
#include "schema/validator.h"
#include "sink/registry.h"
#include "source/file_input.h"
#include "transform/metadata.h"
#include "transform/naming.h"
#include "transform/normalize.h"

namespace sluice {
namespace {

class KeepFirst : public RowErrorSink {
 public:
  explicit KeepFirst(size_t keep) : keep_(keep) {}
  void Report(RowError e) override {
    ++count;
    if (first.size() < keep_) first.push_back(std::move(e));
  }
  uint64_t count = 0;
  std::vector<RowError> first;

 private:
  size_t keep_;
};

struct Opened {
  Format format;
  std::unique_ptr<RecordReader> reader;
};

Result<Opened> Open(const std::string& path, const TablePlan& plan) {
  std::optional<Format> format = plan.format ? plan.format : FormatFromPath(path);
  ASSIGN_OR_RETURN(auto input, OpenFileInput(path));
  if (!format) format = FormatFromMagic(*input);
  if (!format) return Status::InvalidData("unknown file type: " + path);
  ASSIGN_OR_RETURN(auto reader, OpenReader(*format, std::move(input), plan.Reader()));
  return Opened{*format, std::move(reader)};
}

Schema Infer(const TextBatch& sample, const std::vector<std::string>& names,
             const std::vector<std::optional<ColumnType>>& declared = {}) {
  Schema schema = InferSchema(sample, declared);
  for (size_t i = 0; i < schema.columns.size() && i < names.size(); ++i) {
    schema.columns[i].name = names[i];
  }
  return schema;
}

// Row `r` of `batch` as RowPreview shows it.
RowPreview::Row PreviewRow(const Batch& batch, size_t r) {
  RowPreview::Row row;
  row.line = batch.Line(r);
  for (const Column& column : batch.columns()) {
    if (column.IsNull(r)) {
      row.values.emplace_back();
      continue;
    }
    char iso[kIsoTextCapacity];
    switch (column.def.type) {
      case ColumnType::kString:
        row.values.emplace_back(std::string(column.strings[r]));
        break;
      case ColumnType::kFloat: {
        const double v = column.floats[r];
        row.values.emplace_back(std::isfinite(v) ? FormatFloat(v)
                                : std::isnan(v)  ? "nan"
                                                 : (v < 0 ? "-inf" : "inf"));
        break;
      }
      case ColumnType::kBoolean:
        row.values.emplace_back(column.ints[r] != 0 ? "true" : "false");
        break;
      case ColumnType::kDate:
        row.values.emplace_back(std::string(iso, FormatIsoDate(column.ints[r], iso)));
        break;
      case ColumnType::kTimestamp:
        row.values.emplace_back(std::string(iso, FormatIsoTimestamp(column.ints[r], iso)));
        break;
      case ColumnType::kInteger:
        row.values.emplace_back(std::to_string(column.ints[r]));
        break;
    }
  }
  return row;
}

// Appends the records of `text` at `lines` (ascending, as the filter met them) to
// `out` until it holds `keep`.
void KeepSkipped(const TextBatch& text, const std::vector<uint64_t>& lines, size_t keep,
                 std::vector<RowPreview::Skipped>& out) {
  size_t row = 0;
  for (uint64_t line : lines) {
    if (out.size() >= keep) return;
    while (row < text.rows() && text.Line(row) < line) ++row;
    if (row < text.rows() && text.Line(row) == line) {
      out.push_back({line, std::string(text.Raw(row))});
    }
  }
}

}  // namespace

Result<InferResult> InferFile(const std::string& path, const TablePlan& plan) {
  ASSIGN_OR_RETURN(Opened opened, Open(path, plan));
  TextBatch text;
  KeepFirst errors(0);
  ASSIGN_OR_RETURN(size_t n, opened.reader->ReadBatch(text, errors));
  InferResult result;
  result.format = opened.format;
  result.dialect = opened.reader->dialect();
  const std::vector<std::string> names = NormalizeColumnNames(text.columns(), plan.normalize_names);
  Normalizer(plan.normalize).Apply(text, names);  // inference sees normalised values
  result.schema = Infer(text, names, opened.reader->declared_types());
  result.sampled_rows = n;
  return result;
}

Result<CheckResult> CheckFile(const std::string& path, const TablePlan& plan,
                              const CheckOptions& options) {
  ASSIGN_OR_RETURN(Opened opened, Open(path, plan));
  CheckResult result;
  KeepFirst errors(options.keep_bad);
  uint64_t validation_rejects = 0;
  TextBatch text;
  auto finish = [&](Status file_error) {
    result.rejected = errors.count;
    result.first = std::move(errors.first);
    result.file_error = std::move(file_error);
    result.would_load =
        result.file_error.ok() &&
        plan.WithinThreshold(result.rejected, result.rows + (errors.count - validation_rejects));
    return result;
  };
  auto n = opened.reader->ReadBatch(text, errors);
  if (!n) return finish(n.error());
  std::vector<std::string> names = NormalizeColumnNames(text.columns(), plan.normalize_names);
  const Normalizer normalizer(plan.normalize);
  normalizer.Apply(text, names);
  if (*n == 0 && text.columns().empty()) {  // as a load refuses it (FileLoader::Open)
    return finish(Status::InvalidData(errors.count > 0 ? "no readable rows" : "the file is empty"));
  }
  // The table as a load would create it: ResolveTable itself, on a database of
  // our own that nobody sees.
  ASSIGN_OR_RETURN(std::unique_ptr<Sink> scratch, OpenSink("sqlite::memory:"));
  InferredSchema inferred;
  Result<ResolvedTable> table =
      ResolveTable(*scratch, plan, {names, text, inferred, opened.reader->declared_types()});
  if (!table) return finish(table.error());
  auto validator = Validator::Create(table->schema);
  if (!validator) return validator.error();
  Status bound = validator->Bind(names);
  if (!bound.ok()) return finish(bound);
  // Values normalisation rewrites text: with it, every cell keeps its text.
  if (!plan.normalize.any()) opened.reader->SetTextless(validator->TextlessColumns(text));
  const RowTransforms* transforms = table->transforms ? &*table->transforms : nullptr;
  RowPreview& preview = result.preview;
  preview.table = table->load.name;
  preview.columns = table->load.columns;
  preview.columns.resize(preview.columns.size() - MetadataColumns(plan.metadata).size());
  Batch work, out;
  if (transforms != nullptr) work.Reset(transforms->work_columns());
  out.Reset(preview.columns);
  StringArena arena;
  std::vector<uint64_t> filtered_lines;
  while (*n > 0) {
    if (text.columns().size() != names.size()) {
      names = NormalizeColumnNames(text.columns(), plan.normalize_names);
    }
    result.rows += text.rows();
    out.Clear();
    filtered_lines.clear();
    const bool keep_filtered = preview.filtered.size() < options.show;
    ASSIGN_OR_RETURN(RowTransforms::Counts counts,
                     ConvertBatch(*validator, transforms, text, names, work, out, errors, arena,
                                  keep_filtered ? &filtered_lines : nullptr));
    validation_rejects += counts.failed;
    result.filtered += counts.filtered;
    result.loaded += out.rows();
    for (size_t r = 0; r < out.rows() && preview.rows.size() < options.show; ++r) {
      preview.rows.push_back(PreviewRow(out, r));
    }
    KeepSkipped(text, filtered_lines, options.show, preview.filtered);
    n = opened.reader->ReadBatch(text, errors);
    if (!n) return finish(n.error());
    normalizer.Apply(text, names.size() == text.columns().size()
                               ? names
                               : NormalizeColumnNames(text.columns(), plan.normalize_names));
  }
  return finish(Status::Ok());
}

}  // namespace sluice

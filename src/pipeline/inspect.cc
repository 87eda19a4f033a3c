#include "pipeline/inspect.h"

#include "schema/infer.h"
#include "schema/validator.h"
#include "source/file_input.h"
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

Result<CheckResult> CheckFile(const std::string& path, const TablePlan& plan, size_t keep) {
  ASSIGN_OR_RETURN(Opened opened, Open(path, plan));
  CheckResult result;
  KeepFirst errors(keep);
  uint64_t validation_rejects = 0;
  TextBatch text;
  Batch batch;
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
  Schema schema = plan.schema ? *plan.schema : Infer(text, names, opened.reader->declared_types());
  auto validator = Validator::Create(schema);
  if (!validator) return validator.error();
  Status bound = validator->Bind(names);
  if (!bound.ok()) return finish(bound);
  batch.Reset(schema.Defs());
  while (*n > 0) {
    if (text.columns().size() != names.size()) {
      names = NormalizeColumnNames(text.columns(), plan.normalize_names);
    }
    result.rows += text.rows();
    validation_rejects += validator->Convert(text, names, batch, errors);
    batch.Clear();
    n = opened.reader->ReadBatch(text, errors);
    if (!n) return finish(n.error());
    normalizer.Apply(text, names.size() == text.columns().size()
                               ? names
                               : NormalizeColumnNames(text.columns(), plan.normalize_names));
  }
  return finish(Status::Ok());
}

}  // namespace sluice

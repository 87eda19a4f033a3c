#include "pipeline/batch_producer.h"

#include "core/exception_status.h"
#include "transform/metadata.h"
#include "transform/naming.h"

namespace sluice {

BatchProducer::BatchProducer(Input input, TextBatch first)
    : in_(input), normalizer_(input.plan->normalize) {
  for (int i = 0; i < kSlots; ++i) {
    slots_[i].batch.Reset(in_.table->columns);
    if (in_.transforms != nullptr) slots_[i].work.Reset(in_.transforms->work_columns());
    free_.push_back(i);
  }
  thread_ = std::thread([this, f = std::move(first)]() mutable { Produce(std::move(f)); });
}

BatchProducer::~BatchProducer() { Stop(); }

void BatchProducer::Stop() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int BatchProducer::TakeFree() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || !free_.empty(); });
  if (cancelled_) return kEnd;
  int slot = free_.front();
  free_.pop_front();
  return slot;
}

void BatchProducer::Publish(int slot) {
  {
    std::lock_guard lock(mu_);
    full_.push_back(slot);
  }
  cv_.notify_all();
}

void BatchProducer::Produce(TextBatch first) {
  // The thread's exception boundary: whatever reading or validating one file
  // throws (an allocation failure, a library's exception) ends this file's load
  // with an error, never the process.
  Status status;
  try {
    status = ProduceAll(std::move(first));
  } catch (...) {
    status = ExceptionStatus("reading the file");
  }
  {
    std::lock_guard lock(mu_);
    final_status_ = status;
  }
  Publish(kEnd);
}

Status BatchProducer::ProduceAll(TextBatch first) {
  std::vector<std::string> names = NormalizeColumnNames(first.columns(), in_.plan->normalize_names);
  // Values normalisation rewrites text: with it, every cell keeps its text.
  if (!in_.plan->normalize.any()) in_.reader->SetTextless(in_.validator->TextlessColumns(first));
  bool have_first = true;
  Status status;
  for (;;) {
    int slot = TakeFree();
    if (slot == kEnd) return Status::Unavailable("cancelled");  // nobody reads it
    Slot& s = slots_[slot];
    const bool normalized = have_first;
    if (have_first) {
      s.text = std::move(first);
      have_first = false;
    } else {
      auto n = in_.reader->ReadBatch(s.text, *in_.rejects);
      if (!n) {
        status = n.error();
      } else if (*n == 0) {
        std::lock_guard lock(mu_);
        free_.push_back(slot);
        break;
      }
    }
    if (status.ok() && in_.stop->load()) status = Status::Unavailable("stopping");
    if (status.ok()) status = Fill(s, names, normalized);
    if (!status.ok()) {
      std::lock_guard lock(mu_);
      free_.push_back(slot);
      break;
    }
    if (s.batch.rows() == 0) {
      std::lock_guard lock(mu_);
      free_.push_back(slot);
      continue;
    }
    Publish(slot);
  }
  return status;
}

Status BatchProducer::Fill(Slot& slot, std::vector<std::string>& names, bool normalized) {
  TextBatch& text = slot.text;
  if (text.columns().size() != names.size()) {
    // JSON keys first seen in this batch; the validator binds them row by row.
    names = NormalizeColumnNames(text.columns(), in_.plan->normalize_names);
  }
  if (!normalized) normalizer_.Apply(text, names);
  rows_read_ += text.rows();
  slot.batch.Clear();
  ASSIGN_OR_RETURN(RowTransforms::Counts counts,
                   ConvertBatch(*in_.validator, in_.transforms, text, names, slot.work, slot.batch,
                                *in_.rejects, slot.arena));
  validation_rejects_ += counts.failed;
  rows_filtered_ += counts.filtered;
  if (in_.refused != nullptr && !in_.refused->empty()) validation_rejects_ += ExcludeRefused(slot);
  if (in_.plan->CountExceeded(in_.rejects->count())) {
    return in_.rejects->TooMany(std::to_string(in_.rejects->count()) + " bad rows");
  }
  if (slot.batch.rows() > 0)
    FillMetadata(in_.plan->metadata, *in_.file, in_.loaded_at_us, slot.batch);
  return Status::Ok();
}

size_t BatchProducer::ExcludeRefused(Slot& slot) {
  const TextBatch& text = slot.text;
  Batch& batch = slot.batch;
  std::vector<uint8_t> keep(batch.rows(), 1);
  size_t excluded = 0;
  size_t t = 0;  // text rows and batch rows are both in line order
  for (size_t r = 0; r < batch.rows(); ++r) {
    auto refused = in_.refused->find(batch.Line(r));
    if (refused == in_.refused->end()) continue;
    keep[r] = 0;
    ++excluded;
    RowError error = refused->second;
    while (t < text.rows() && text.Line(t) < error.line) ++t;
    if (t < text.rows() && text.Line(t) == error.line) {
      error.byte_offset = text.Offset(t);
      error.raw = std::string(text.Raw(t));
    }
    in_.rejects->Report(std::move(error));
  }
  if (excluded > 0) batch.KeepRows(keep);
  return excluded;
}

Result<const Batch*> BatchProducer::Next() {
  std::unique_lock lock(mu_);
  if (lent_ != kEnd) {
    free_.push_back(lent_);
    lent_ = kEnd;
    cv_.notify_all();
  }
  cv_.wait(lock, [&] { return !full_.empty(); });
  int slot = full_.front();
  if (slot == kEnd) {
    // Leave the end marker in place so that further calls see the end too.
    if (!final_status_.ok()) return final_status_;
    return static_cast<const Batch*>(nullptr);
  }
  full_.pop_front();
  lent_ = slot;
  return &slots_[slot].batch;
}

}  // namespace sluice

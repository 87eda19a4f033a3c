// BatchProducer: reads and validates one file's batches on a thread of its own,
// so that parsing and validation overlap the sink's writes. At most kSlots
// batches exist at once, so memory stays bounded by the batch size.
//
// The producer owns the reading side of a load: it normalises the names of
// columns that appear mid-file (JSON keys) and the values of each batch after
// the first (normalize:, transform/normalize.h; the first batch was normalised
// before inference), converts each TextBatch into a typed Batch, applies the
// plan's derive, filter and drop (RowTransforms), fills the metadata columns and
// stops early once the bad rows exceed the plan's count threshold. Rows the
// database refused in an earlier try of the file are left out as bad rows.
//
// An exception on the producer thread ends the load with the status
// ExceptionStatus makes of it (core/exception_status.h), like any read error.
//
// Thread-safety: Next() is called by one consumer thread; the RejectLog is
// written only by the producer thread until Next() has returned the end.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/batch.h"
#include "core/status.h"
#include "core/text_batch.h"
#include "format/record_reader.h"
#include "pipeline/config.h"
#include "pipeline/rejects.h"
#include "pipeline/row_transforms.h"
#include "schema/validator.h"
#include "transform/normalize.h"

namespace sluice {

class BatchProducer {
 public:
  struct Input {
    RecordReader* reader;
    Validator* validator;
    const TablePlan* plan;
    const TableDef* table;
    RejectLog* rejects;
    const std::string* file;  // for the _file metadata column
    int64_t loaded_at_us;
    const std::atomic<bool>* stop;
    // Bound to `table`'s data columns; nullptr when the plan has no derive,
    // filter or drop.
    const RowTransforms* transforms;
    // Lines the database refused in an earlier try (RowErrorKind::kRefused, by
    // line): their rows are reported as bad rows, with their text, and not
    // loaded. nullptr or empty: none.
    const std::map<uint64_t, RowError>* refused = nullptr;
  };

  // Starts the thread. `first` is the batch already read (used for inference),
  // its values normalised; the validator must be bound to its (normalised) column
  // names.
  BatchProducer(Input input, TextBatch first);
  // Calls Stop().
  ~BatchProducer();
  BatchProducer(const BatchProducer&) = delete;
  BatchProducer& operator=(const BatchProducer&) = delete;

  // The next batch of good rows (valid until the next call), or nullptr at the
  // end of the file. Errors: what reading raised (InvalidData for an unreadable
  // stream), InvalidData when bad rows exceed the count threshold or a column is
  // unknown, Unavailable when a stop was requested.
  Result<const Batch*> Next();

  // Cancels the producer if it is still running and joins its thread. Idempotent.
  // Afterwards the counts below and the RejectLog are final and safe to read.
  void Stop();

  // Records read and bad rows found by validation (see Stop).
  uint64_t rows_read() const { return rows_read_; }
  // Bad rows of validation and of the expressions: rows read that are not loaded.
  uint64_t validation_rejects() const { return validation_rejects_; }
  // Rows the plan's filter skipped.
  uint64_t rows_filtered() const { return rows_filtered_; }

 private:
  static constexpr int kSlots = 3;
  static constexpr int kEnd = -1;
  struct Slot {
    TextBatch text;
    Batch batch;
    Batch work;         // validated rows before the transforms, if any
    StringArena arena;  // the derived columns' strings, while `batch` is used
  };

  // The thread's body: ProduceAll, then the end marker with its status.
  void Produce(TextBatch first);
  // Reads, converts and publishes batches until the end, an error or a cancel.
  Status ProduceAll(TextBatch first);
  // Converts slot.text into slot.batch; `names` are the normalised column names.
  // `normalized`: slot.text's values are normalised already (the first batch).
  Status Fill(Slot& slot, std::vector<std::string>& names, bool normalized);
  // Reports and removes slot.batch's rows of lines in in_.refused; their number.
  size_t ExcludeRefused(Slot& slot);
  // Waits for a free slot; -1 if cancelled.
  int TakeFree();
  void Publish(int slot);

  Input in_;
  std::array<Slot, kSlots> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> free_;
  std::deque<int> full_;
  bool cancelled_ = false;
  int lent_ = kEnd;  // slot handed out by the last Next()
  Status final_status_;
  uint64_t rows_read_ = 0;
  uint64_t validation_rejects_ = 0;
  uint64_t rows_filtered_ = 0;
  Normalizer normalizer_;
  std::thread thread_;
};

}  // namespace sluice

#include "pipeline/batch_producer.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "test_util.h"

namespace sluice {
namespace {

// A reader whose second batch throws, as an allocation failure deep in a reader
// or a library would.
class ThrowingReader : public RecordReader {
 public:
  explicit ThrowingReader(std::exception_ptr error) : error_(std::move(error)) {}
  Result<size_t> ReadBatch(TextBatch&, RowErrorSink&) override { std::rethrow_exception(error_); }

 private:
  std::exception_ptr error_;
};

// Issue 12, item 3: std::bad_alloc escaped the reader thread and aborted the
// process. The thread's boundary turns any exception into the load's error.
TEST(BatchProducerTest, AnExceptionOnTheReaderThreadBecomesTheLoadsError) {
  struct Case {
    std::exception_ptr error;
    StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {std::make_exception_ptr(std::bad_alloc()), StatusCode::kInvalidData,
       "reading the file: out of memory (std::bad_alloc)"},
      {std::make_exception_ptr(std::length_error("vector")), StatusCode::kInvalidData,
       "reading the file: too large (std::length_error: vector)"},
      {std::make_exception_ptr(std::runtime_error("boom")), StatusCode::kInternal,
       "reading the file: unexpected exception: boom"},
      {std::make_exception_ptr(42), StatusCode::kInternal,
       "reading the file: unexpected exception of unknown type"},
  };
  testing::TempDir dir;
  for (const Case& c : cases) {
    Schema schema;
    schema.columns.push_back(ColumnSpec{"a", ColumnType::kString, true, {}});
    Result<Validator> validator = Validator::Create(schema);
    ASSERT_TRUE(validator.has_value());
    ASSERT_TRUE(validator->Bind({"a"}).ok());
    TablePlan plan;
    TableDef table{"t", schema.Defs(), {}};
    RejectLog rejects("f.csv", dir.path());
    std::string file = "f.csv";
    std::atomic<bool> stop{false};
    ThrowingReader reader(c.error);

    TextBatch first;
    first.SetColumns({"a"});
    first.StartRow(2, 2, first.Append("x"));
    first.SetCell(0, first.Append("x"));
    first.FinishRow();

    BatchProducer producer(
        {&reader, &*validator, &plan, &table, &rejects, &file, 0, &stop, nullptr},
        std::move(first));
    Result<const Batch*> batch = producer.Next();  // the first batch, read before
    ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
    ASSERT_NE(*batch, nullptr);
    EXPECT_EQ((*batch)->rows(), 1u);
    batch = producer.Next();
    ASSERT_FALSE(batch.has_value());
    EXPECT_EQ(batch.error().code(), c.code);
    EXPECT_EQ(batch.error().message(), c.message);
  }
}

}  // namespace
}  // namespace sluice

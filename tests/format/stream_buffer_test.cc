// StreamBuffer's growth: a long record costs about its length in the buffer,
// never more than max_record_bytes plus one refill, and the buffer goes back to
// its default size once the record is consumed (issue 17, item 5).
#include "format/stream_buffer.h"

#include <gtest/gtest.h>

#include <string>

#include "format/record_reader.h"
#include "read_all.h"
#include "test_util.h"

namespace sluice::testing {
namespace {

constexpr size_t kMiB = 1 << 20;

// Fills as a reader does for one record that has no end in sight: while it holds
// at most max_record_bytes + 1 bytes and the stream goes on.
void FillLikeAReader(StreamBuffer& buf, size_t max_record_bytes) {
  while (buf.size() <= max_record_bytes + 1 && !buf.eof()) {
    Status status = buf.Fill();
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
}

TEST(StreamBufferTest, ARecordCostsAboutItsLengthNotDouble) {
  // 9 MiB + 1: doubling would take the buffer to 16 MiB.
  const size_t record = 9 * kMiB + 1;
  StreamBuffer buf(StringInput(std::string(record, 'x') + "\n", 256 << 10));
  while (std::string_view(buf.data(), buf.size()).find('\n') == std::string_view::npos) {
    ASSERT_TRUE(buf.Fill().ok());
  }
  EXPECT_GE(buf.capacity(), record);
  EXPECT_LE(buf.capacity(), record + record / 8 + kMiB);
}

TEST(StreamBufferTest, GrowthStopsAtMaxRecordBytesPlusOneRefill) {
  for (size_t max_record_bytes : {3 * kMiB - 1, 3 * kMiB, 3 * kMiB + 1, 64 * kMiB}) {
    SCOPED_TRACE(max_record_bytes);
    StreamBuffer buf(StringInput(std::string(max_record_bytes + 4 * kMiB, 'x')), nullptr,
                     max_record_bytes);
    FillLikeAReader(buf, max_record_bytes);
    EXPECT_GT(buf.size(), max_record_bytes + 1);  // found too long
    EXPECT_LE(buf.capacity(), max_record_bytes + StreamBuffer::kCapacity);
  }
}

TEST(StreamBufferTest, AFullBufferAtItsBoundIsAnError) {
  const size_t max_record_bytes = 2 * kMiB;
  StreamBuffer buf(StringInput(std::string(8 * kMiB, 'x')), nullptr, max_record_bytes);
  while (buf.size() < buf.capacity() || buf.capacity() < max_record_bytes + kMiB) {
    ASSERT_TRUE(buf.Fill().ok());
  }
  Status status = buf.Fill();
  EXPECT_EQ(status.code(), StatusCode::kInternal) << status.ToString();
}

TEST(StreamBufferTest, TheBufferShrinksOnceALongRecordIsConsumed) {
  const size_t record = 20 * kMiB;
  std::string data = std::string(record, 'x') + "\nnext\n";
  StreamBuffer buf(StringInput(data, 4 * kMiB));
  while (buf.size() <= record && !buf.eof()) ASSERT_TRUE(buf.Fill().ok());
  ASSERT_GT(buf.capacity(), record);
  buf.Consume(record + 1);
  buf.ReleaseGrowth();
  EXPECT_EQ(buf.capacity(), StreamBuffer::kCapacity);
  // What was left is kept, with the '\n' past the data.
  ASSERT_TRUE(buf.FillAtLeast(5).ok());
  EXPECT_EQ(std::string_view(buf.data(), buf.size()), "next\n");
  EXPECT_EQ(buf.data()[buf.size()], '\n');
  EXPECT_EQ(buf.offset(), record + 1);
}

TEST(StreamBufferTest, ABufferOfAFewMiBIsKept) {
  // Records of a few MiB each would otherwise cost two reallocations apiece.
  StreamBuffer buf(StringInput(std::string(2 * kMiB, 'x') + "\nrest", 256 << 10));
  while (buf.size() <= 2 * kMiB && !buf.eof()) ASSERT_TRUE(buf.Fill().ok());
  size_t grown = buf.capacity();
  ASSERT_GT(grown, StreamBuffer::kCapacity);
  buf.Consume(2 * kMiB + 1);
  buf.ReleaseGrowth();
  EXPECT_EQ(buf.capacity(), grown);
}

// Through the CSV reader: records just below, at and just above max_record_bytes
// (larger than the buffer's first 1 MiB, so it grows for them).
TEST(StreamBufferTest, CsvRecordsAroundMaxRecordBytes) {
  const size_t max_record_bytes = 3 * kMiB;
  ReaderOptions options;
  options.max_record_bytes = max_record_bytes;
  // "<id>," and the note: a record of `bytes` bytes, without its line end.
  auto record = [](char id, size_t bytes) {
    return std::string(1, id) + "," + std::string(bytes - 2, 'x');
  };
  std::string data = "id,note\n" + record('1', max_record_bytes - 1) + "\n" +
                     record('2', max_record_bytes) + "\r\n" + record('3', max_record_bytes + 1) +
                     "\n4,end\n";
  for (size_t chunk : {size_t{64} << 10, size_t{1} << 20, size_t{8} << 20}) {
    SCOPED_TRACE(chunk);
    ReadOutcome got = ReadString(Format::kCsv, data, chunk, options);
    ASSERT_TRUE(got.status.ok()) << got.status.ToString();
    ASSERT_EQ(got.rows.size(), 3u);
    EXPECT_EQ(got.rows[0][0], Cell("1"));
    EXPECT_EQ(got.rows[0][1]->size(), max_record_bytes - 3);
    EXPECT_EQ(got.rows[1][0], Cell("2"));
    EXPECT_EQ(got.rows[1][1]->size(), max_record_bytes - 2);
    EXPECT_EQ(got.rows[2], (Row{Cell("4"), Cell("end")}));
    EXPECT_EQ(got.lines, (std::vector<uint64_t>{2, 3, 5}));
    ASSERT_EQ(got.errors.size(), 1u);
    EXPECT_EQ(got.errors[0].line, 4u);
    EXPECT_EQ(got.errors[0].kind, RowErrorKind::kTooLong);
  }
}

}  // namespace
}  // namespace sluice::testing

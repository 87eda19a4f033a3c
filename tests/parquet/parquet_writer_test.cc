// ParquetWriter without a reader: the file frame, and every refusal (bad columns,
// bad batches, values Parquet cannot hold, a failing output).
#include "parquet/parquet_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "test_util.h"

namespace sluice::parquet {
namespace {

std::vector<ColumnDef> TwoColumns() {
  return {{"id", ColumnType::kInteger, false}, {"day", ColumnType::kDate, true}};
}

Batch OneRow(int64_t id, std::optional<int64_t> day, bool id_null = false) {
  Batch batch;
  batch.Reset(TwoColumns());
  if (id_null) {
    batch.columns()[0].AppendNull();
  } else {
    batch.columns()[0].AppendInt(id);
  }
  if (day) {
    batch.columns()[1].AppendInt(*day);
  } else {
    batch.columns()[1].AppendNull();
  }
  batch.FinishRow(1);
  return batch;
}

TEST(ParquetWriterTest, FileStartsAndEndsWithMagicAroundTheFooterLength) {
  std::string file;
  StringOutput out(&file);
  auto writer = ParquetWriter::Open(TwoColumns(), {}, &out);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->Write(OneRow(1, 2)).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  ASSERT_GT(file.size(), 12u);
  EXPECT_EQ(file.substr(0, 4), "PAR1");
  EXPECT_EQ(file.substr(file.size() - 4), "PAR1");
  uint32_t footer = 0;
  std::memcpy(&footer, file.data() + file.size() - 8, 4);
  EXPECT_LT(footer, file.size() - 12);
  EXPECT_EQ((*writer)->bytes_written(), file.size());
  EXPECT_EQ((*writer)->rows_written(), 1u);
}

TEST(ParquetWriterTest, RefusesBadColumnsAndOptions) {
  std::string file;
  StringOutput out(&file);
  EXPECT_EQ(ParquetWriter::Open({}, {}, &out).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParquetWriter::Open({{"", ColumnType::kString, true}}, {}, &out).error().code(),
            StatusCode::kInvalidArgument);
  auto twice = ParquetWriter::Open(
      {{"a", ColumnType::kString, true}, {"a", ColumnType::kInteger, true}}, {}, &out);
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().message().find("\"a\" appears twice"), std::string::npos);
  ParquetWriterOptions zero;
  zero.row_group_rows = 0;
  EXPECT_EQ(ParquetWriter::Open(TwoColumns(), zero, &out).error().code(),
            StatusCode::kInvalidArgument);
  ParquetWriterOptions lzo;
  lzo.codec = Codec::kLzo;
  EXPECT_EQ(ParquetWriter::Open(TwoColumns(), lzo, &out).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(file.empty()) << "nothing is written for a refused file";
}

TEST(ParquetWriterTest, RefusesABatchOfOtherColumns) {
  std::string file;
  StringOutput out(&file);
  auto writer = ParquetWriter::Open(TwoColumns(), {}, &out);
  ASSERT_TRUE(writer.has_value());
  Batch other;
  other.Reset({{"id", ColumnType::kString, false}, {"day", ColumnType::kDate, true}});
  Status status = (*writer)->Write(other);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("is string, the Parquet column \"id\" is integer"),
            std::string::npos)
      << status.message();
  Batch fewer;
  fewer.Reset({{"id", ColumnType::kInteger, false}});
  EXPECT_EQ((*writer)->Write(fewer).code(), StatusCode::kInvalidArgument);
}

TEST(ParquetWriterTest, NullInARequiredColumnFailsTheFile) {
  std::string file;
  StringOutput out(&file);
  auto writer = ParquetWriter::Open(TwoColumns(), {}, &out);
  ASSERT_TRUE(writer.has_value());
  Status status = (*writer)->Write(OneRow(0, 1, /*id_null=*/true));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("\"id\" is not nullable"), std::string::npos);
  // The file is incomplete: later calls return the first error.
  EXPECT_EQ((*writer)->Write(OneRow(1, 1)).message(), status.message());
  EXPECT_EQ((*writer)->Close().message(), status.message());
}

TEST(ParquetWriterTest, DateOutsideInt32IsRefused) {
  std::string file;
  StringOutput out(&file);
  auto writer = ParquetWriter::Open(TwoColumns(), {}, &out);
  ASSERT_TRUE(writer.has_value());
  Status status = (*writer)->Write(OneRow(1, int64_t{1} << 31));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("outside INT32"), std::string::npos);
}

class FailingOutput : public ParquetOutput {
 public:
  explicit FailingOutput(size_t allowed) : allowed_(allowed) {}
  Status Write(std::string_view bytes) override {
    if (bytes.size() > allowed_) return Status::Unavailable("disk full");
    allowed_ -= bytes.size();
    return Status::Ok();
  }

 private:
  size_t allowed_;
};

TEST(ParquetWriterTest, OutputErrorsAreReturnedAndStopTheWriter) {
  FailingOutput magic_only(4);
  auto writer = ParquetWriter::Open(TwoColumns(), {}, &magic_only);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->Write(OneRow(1, 2)).ok());  // buffered: the row group is open
  Status status = (*writer)->Close();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ((*writer)->Close().code(), StatusCode::kUnavailable);

  FailingOutput nothing(0);
  EXPECT_EQ(ParquetWriter::Open(TwoColumns(), {}, &nothing).error().code(),
            StatusCode::kUnavailable);
}

TEST(ParquetWriterTest, FdOutputReportsWriteErrors) {
  testing::TempDir dir;
  const std::string path = dir / "read-only";
  testing::WriteFile(path, "");
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  FdOutput out(fd, path);
  Status status = out.Write("PAR1");
  ::close(fd);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_NE(status.message().find(path), std::string::npos);
}

TEST(ParquetWriterTest, ParsesCompressionNames) {
  EXPECT_EQ(*ParseParquetCompression("zstd"), Codec::kZstd);
  EXPECT_EQ(*ParseParquetCompression("snappy"), Codec::kSnappy);
  EXPECT_EQ(*ParseParquetCompression("gzip"), Codec::kGzip);
  EXPECT_EQ(*ParseParquetCompression("none"), Codec::kUncompressed);
  EXPECT_EQ(ParseParquetCompression("lzo").error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::parquet

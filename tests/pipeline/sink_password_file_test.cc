// sink_password_file: where it is set (file < environment; the command line is
// tested end to end), and how ApplySinkPasswordFile reads it.
#include <gtest/gtest.h>

#include <cstdlib>

#include "pipeline/config.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::TempDir;
using testing::WriteFile;

constexpr char kSecret[] = "s3cr3t-from-file";

TEST(SinkPasswordFile, SetByTheConfigFileAndTheEnvironment) {
  TempDir dir;
  WriteFile(dir / "sluice.yaml", "sink_password_file: /run/secrets/db\n");
  Config c;
  ASSERT_TRUE(LoadConfigFile(dir / "sluice.yaml", c).ok());
  EXPECT_EQ(c.sink_password_file, "/run/secrets/db");
  setenv("SLUICE_SINK_PASSWORD_FILE", "/from/env", 1);
  ASSERT_TRUE(ApplyEnvironment(c).ok());
  unsetenv("SLUICE_SINK_PASSWORD_FILE");
  EXPECT_EQ(c.sink_password_file, "/from/env");
}

TEST(SinkPasswordFile, FirstLineWithoutItsLineEndingBecomesThePassword) {
  TempDir dir;
  for (const std::string& content : {std::string(kSecret), std::string(kSecret) + "\n",
                                     std::string(kSecret) + "\r\nsecond line\n"}) {
    WriteFile(dir / "pw", content);
    Config c;
    c.sink = "clickhouse://loader@ch/db";
    c.sink_password_file = dir / "pw";
    ASSERT_TRUE(ApplySinkPasswordFile(c).ok());
    EXPECT_EQ(c.sink, std::string("clickhouse://loader:") + kSecret + "@ch/db");
  }
}

TEST(SinkPasswordFile, NoFileLeavesTheSinkAlone) {
  Config c;
  c.sink = "postgresql://u:p@h/db";
  ASSERT_TRUE(ApplySinkPasswordFile(c).ok());
  EXPECT_EQ(c.sink, "postgresql://u:p@h/db");
}

TEST(SinkPasswordFile, ErrorsNameTheFileNeverThePassword) {
  TempDir dir;
  WriteFile(dir / "empty", "\n");
  WriteFile(dir / "pw", kSecret);
  struct Case {
    std::string file;
    std::string sink;
    std::string expected;
  };
  const Case cases[] = {
      {dir / "missing", "postgresql://u@h/db", "No such file or directory"},
      {dir.path(), "postgresql://u@h/db", "cannot be read"},
      {dir / "empty", "postgresql://u@h/db", "the first line is empty"},
      {dir / "pw", "sqlite:./x.db", "sqlite sinks take no password"},
  };
  for (const Case& bad : cases) {
    Config c;
    c.sink = bad.sink;
    c.sink_password_file = bad.file;
    Status s = ApplySinkPasswordFile(c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad.file;
    EXPECT_NE(s.message().find("sink password file " + bad.file + ": " + bad.expected),
              std::string::npos)
        << s.message();
    EXPECT_EQ(s.message().find(kSecret), std::string::npos) << s.message();
    EXPECT_EQ(c.sink, bad.sink);
  }
}

}  // namespace
}  // namespace sluice

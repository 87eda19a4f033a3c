#include "source/landed_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/hash.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::TempDir;
using testing::WriteFile;
namespace fs = std::filesystem;

Result<std::string> ReadAll(InputStream& in) {
  std::string out;
  std::vector<char> buffer(4096);
  for (;;) {
    ASSIGN_OR_RETURN(size_t got, in.Read(buffer.data(), buffer.size()));
    if (got == 0) return out;
    out.append(buffer.data(), got);
  }
}

std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Makes openat2 fail with ENOSYS in this process, as on kernels before 5.6.
bool DisableOpenat2() {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {static_cast<unsigned short>(std::size(filter)), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

class LandedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "in/sub");
    auto folder = SourceFolder::Open(dir_ / "in");
    ASSERT_TRUE(folder.has_value()) << folder.error().ToString();
    folder_.emplace(std::move(*folder));
  }

  // Opens and hashes `relative`.
  Result<LandedFile> Land(const std::string& relative) {
    ASSIGN_OR_RETURN(LandedFile file, LandedFile::Open(*folder_, relative));
    RETURN_IF_ERROR(file.Fingerprint().status());
    return file;
  }

  void ExpectOutside(const std::string& relative) {
    auto file = LandedFile::Open(*folder_, relative);
    ASSERT_FALSE(file.has_value()) << relative << " was opened";
    EXPECT_EQ(file.error().code(), StatusCode::kNotFound) << file.error().ToString();
    EXPECT_NE(file.error().message().find(kOutsideFolder), std::string::npos)
        << file.error().ToString();
  }

  TempDir dir_;
  std::optional<SourceFolder> folder_;
};

TEST_F(LandedFileTest, HashesTheFilesBytesWithXxh3) {
  const std::string data = "id\n1\n2\n";
  WriteFile(dir_ / "in/sub/a.csv", data);
  auto file = Land("sub/a.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->fingerprint().hash, HashHex(XXH3_128bits(data.data(), data.size())));
  EXPECT_EQ(file->fingerprint().size, 7u);
  auto rel = folder_->Relative(dir_ / "in/sub/a.csv");
  ASSERT_TRUE(rel.has_value());
  EXPECT_EQ(*rel, "sub/a.csv");
  EXPECT_FALSE(folder_->Relative(dir_ / "elsewhere.csv").has_value());
}

TEST_F(LandedFileTest, NothingOutsideTheFolderIsOpened) {
  WriteFile(dir_ / "secret.csv", "id\n999\n");
  fs::create_directories(dir_ / "outside");
  WriteFile(dir_ / "outside/x.csv", "id\n999\n");
  fs::create_symlink(dir_ / "secret.csv", dir_ / "in/absolute.csv");
  fs::create_symlink("../secret.csv", dir_ / "in/relative.csv");
  fs::create_symlink("../../secret.csv", dir_ / "in/sub/deeper.csv");
  fs::create_symlink(dir_ / "outside", dir_ / "in/linked_dir");
  fs::create_symlink("/proc/self/root" + (dir_ / "secret.csv"), dir_ / "in/magic.csv");
  ExpectOutside("absolute.csv");
  ExpectOutside("relative.csv");
  ExpectOutside("sub/deeper.csv");
  ExpectOutside("linked_dir/x.csv");
  ExpectOutside("magic.csv");
  ExpectOutside("../secret.csv");
  ExpectOutside("sub/../../secret.csv");
  ExpectOutside(dir_ / "secret.csv");
}

TEST_F(LandedFileTest, WithoutOpenat2NothingOutsideIsOpenedEither) {
  WriteFile(dir_ / "secret.csv", "id\n999\n");
  WriteFile(dir_ / "in/a.csv", "id\n1\n");
  fs::create_symlink(dir_ / "secret.csv", dir_ / "in/absolute.csv");
  fs::create_symlink("../secret.csv", dir_ / "in/relative.csv");
  fs::create_symlink(dir_ / "in/a.csv", dir_ / "in/inside.csv");
  fs::create_symlink("/proc/self/root" + (dir_ / "secret.csv"), dir_ / "in/magic.csv");
  // In a child process: the filter cannot be removed again.
  EXPECT_EXIT(
      {
        if (!DisableOpenat2()) _exit(2);
        if (::syscall(SYS_openat2, AT_FDCWD, ".", nullptr, 0) != -1 || errno != ENOSYS) _exit(3);
        for (const char* outside : {"absolute.csv", "relative.csv", "magic.csv", "../secret.csv"}) {
          auto file = LandedFile::Open(*folder_, outside);
          if (file.has_value() ||
              file.error().message().find(kOutsideFolder) == std::string::npos) {
            fprintf(stderr, "%s: %s\n", outside,
                    file.has_value() ? "opened" : file.error().ToString().c_str());
            _exit(4);
          }
        }
        auto inside = Land("inside.csv");
        auto target = Land("a.csv");
        if (!inside.has_value() || !target.has_value() ||
            inside->fingerprint().hash != target->fingerprint().hash) {
          _exit(5);
        }
        _exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(LandedFileTest, LinksThatStayInsideAreFollowedAbsoluteOrNot) {
  WriteFile(dir_ / "in/a.csv", "id\n1\n");
  fs::create_symlink("a.csv", dir_ / "in/relative.csv");
  fs::create_symlink(dir_ / "in/a.csv", dir_ / "in/absolute.csv");
  fs::create_symlink("../a.csv", dir_ / "in/sub/up.csv");
  auto target = Land("a.csv");
  ASSERT_TRUE(target.has_value());
  for (const char* link : {"relative.csv", "absolute.csv", "sub/up.csv"}) {
    auto file = Land(link);
    ASSERT_TRUE(file.has_value()) << link << ": " << file.error().ToString();
    EXPECT_EQ(file->fingerprint().hash, target->fingerprint().hash) << link;
    auto st = folder_->Stat(link);
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(target->SameFile(*st)) << link;
  }
}

TEST_F(LandedFileTest, NotARegularFileIsInvalidData) {
  ASSERT_EQ(::mkfifo((dir_ / "in/pipe.csv").c_str(), 0600), 0);
  auto file = LandedFile::Open(*folder_, "pipe.csv");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code(), StatusCode::kInvalidData);
  auto missing = LandedFile::Open(*folder_, "missing.csv");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
}

TEST_F(LandedFileTest, AnAppendIsNeitherReadNorMissed) {
  const std::string path = dir_ / "in/a.csv";
  WriteFile(path, "id\n1\n");
  auto file = Land("a.csv");
  ASSERT_TRUE(file.has_value());
  EXPECT_TRUE(file->CheckUnchanged().ok());
  FILE* f = std::fopen(path.c_str(), "ab");
  std::fputs("2\n", f);
  std::fclose(f);
  auto stream = file->Stream();
  ASSERT_TRUE(stream.has_value());
  auto read = ReadAll(**stream);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, "id\n1\n");  // the bytes hashed, not those appended
  Status changed = file->CheckUnchanged();
  EXPECT_EQ(changed.code(), StatusCode::kUnavailable);
  EXPECT_NE(changed.message().find("changed since it was hashed (5 bytes, now 7)"),
            std::string::npos)
      << changed.ToString();
}

TEST_F(LandedFileTest, ARewriteInPlaceIsSeen) {
  const std::string path = dir_ / "in/a.csv";
  WriteFile(path, "id\n1\n");
  struct timespec old_times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), old_times, 0), 0);
  auto file = Land("a.csv");
  ASSERT_TRUE(file.has_value());
  WriteFile(path, "id\n9\n");  // same size, new mtime
  EXPECT_EQ(file->CheckUnchanged().code(), StatusCode::kUnavailable);
}

TEST_F(LandedFileTest, AReplacedPathLeavesTheDescriptorOnTheOldBytes) {
  WriteFile(dir_ / "in/a.csv", "id\n1\n");
  auto file = Land("a.csv");
  ASSERT_TRUE(file.has_value());
  WriteFile(dir_ / "in/a.csv.tmp", "id\n2\n3\n");
  fs::rename(dir_ / "in/a.csv.tmp", dir_ / "in/a.csv");
  EXPECT_TRUE(file->CheckUnchanged().ok());
  auto stream = file->Stream();
  ASSERT_TRUE(stream.has_value());
  EXPECT_EQ(*ReadAll(**stream), "id\n1\n");
  auto now = folder_->Stat("a.csv");
  ASSERT_TRUE(now.has_value());
  EXPECT_FALSE(file->SameFile(*now));
}

TEST_F(LandedFileTest, DecodedSizeStopsPastTheLimit) {
  const std::string data(3 << 20, 'x');
  WriteFile(dir_ / "in/big.csv.gz", Gzip(data));
  WriteFile(dir_ / "in/plain.csv", "id\n1\n");
  auto packed = Land("big.csv.gz");
  ASSERT_TRUE(packed.has_value());
  auto small = packed->DecodedSize(1 << 20);
  ASSERT_TRUE(small.has_value());
  EXPECT_GT(*small, uint64_t{1} << 20);
  EXPECT_LT(*small, uint64_t{2} << 20);
  auto whole = packed->DecodedSize(10 << 20);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(*whole, data.size());
  auto plain = Land("plain.csv");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain->DecodedSize(1 << 20), 5u);
}

}  // namespace
}  // namespace sluice

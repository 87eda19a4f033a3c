#include "pipeline/reject_summary.h"

#include <gtest/gtest.h>
#include <utime.h>

#include <filesystem>

#include "pipeline/archive.h"
#include "pipeline/quarantine_report.h"
#include "pipeline/rejects.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

using testing::TempDir;

RowError Bad(uint64_t line, RowErrorKind kind, std::string message) {
  return RowError{line, 0, "qty", "raw " + std::to_string(line), std::move(message), kind, "hint"};
}

// Writes a rejects file for `file` as the loader keeps it; returns its path.
std::string KeepRejects(const std::string& file, const std::string& dir, const std::string& name,
                        const std::vector<RowError>& errors) {
  RejectLog log(file, dir);
  for (const RowError& e : errors) log.Report(e);
  Result<std::string> kept = log.Keep(dir, name);
  EXPECT_TRUE(kept.has_value()) << kept.status().ToString();
  return kept.has_value() ? *kept : "";
}

void SetMtime(const std::string& path, int64_t seconds) {
  struct utimbuf times {
    seconds, seconds
  };
  ASSERT_EQ(utime(path.c_str(), &times), 0);
}

TEST(RejectSummaryTest, GroupsARejectsFileByKindMostRowsFirst) {
  TempDir dir;
  const std::string path = KeepRejects(
      "/in/a.csv", dir.path(), "a.csv.rejects.jsonl",
      {Bad(2, RowErrorKind::kNull, "no id"), Bad(3, RowErrorKind::kType, "not a number"),
       Bad(5, RowErrorKind::kType, "not a number either"),
       Bad(7, RowErrorKind::kRagged, "3 of 4")});
  Result<RejectSummary> s = SummarizeRejectsFile(path);
  ASSERT_TRUE(s.has_value()) << s.status().ToString();
  EXPECT_EQ(s->source, path);
  EXPECT_EQ(s->rows, 4u);
  ASSERT_EQ(s->groups.size(), 3u);
  EXPECT_EQ(s->groups[0].kind, "type");
  EXPECT_EQ(s->groups[0].count, 2u);
  EXPECT_EQ(s->groups[0].example["line"], 3);  // the first of its kind
  EXPECT_EQ(s->groups[0].example["hint"], "hint");
  EXPECT_EQ(RejectSummaryJson(*s)["by_reason"]["null"]["count"], 1);
  EXPECT_FALSE(SummarizeRejectsFile(dir / "missing.jsonl").has_value());
}

TEST(RejectSummaryTest, RowsWithoutAKindFromOlderVersionsAreCountedTogether) {
  TempDir dir;
  testing::WriteFile(dir / "old.jsonl",
                     "{\"file\":\"/in/a.csv\",\"line\":2,\"reason\":\"bad\"}\nnot json\n");
  Result<RejectSummary> s = SummarizeRejectsFile(dir / "old.jsonl");
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->groups.size(), 1u);
  EXPECT_EQ(s->groups[0].kind, "");
  EXPECT_EQ(s->groups[0].count, 2u);
  EXPECT_EQ(s->groups[0].example["line"], 2);
}

TEST(RejectSummaryTest, ALoadedFilesRejectsAreTheOnesNamingItWrittenWhenItFinished) {
  TempDir dir;
  const std::string q = dir / "q";
  const std::string src = dir / "in";
  // orders.csv loaded on two days, and another file whose rejects took a free name.
  const std::string day1 = KeepRejects(src + "/sub/orders.csv", q, "sub/orders.csv.rejects.jsonl",
                                       {Bad(2, RowErrorKind::kType, "day 1")});
  const std::string day2 =
      KeepRejects(src + "/sub/orders.csv", q, "sub/orders.csv.rejects.jsonl",
                  {Bad(4, RowErrorKind::kNull, "day 2"), Bad(5, RowErrorKind::kNull, "day 2")});
  const std::string other =
      KeepRejects(src + "/other/orders.csv", q, "sub/orders.csv.rejects.jsonl",
                  {Bad(9, RowErrorKind::kRange, "other")});
  EXPECT_EQ(day2, q + "/sub/orders.1.csv.rejects.jsonl");
  SetMtime(day1, 1'700'000'000);
  SetMtime(day2, 1'700'086'400);
  SetMtime(other, 1'700'086'400);

  FileRecord r;
  r.identity.path = src + "/sub/orders.csv";
  r.state = FileState::kLoaded;
  r.rows_rejected = 2;
  r.finished_at_us = 1'700'086'401'000'000;
  std::optional<RejectSummary> s = FindRejects(r, q, src);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, day2);
  EXPECT_EQ(s->rows, 2u);
  r.finished_at_us = 1'700'000'001'000'000;
  s = FindRejects(r, q, src);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, day1);
  r.rows_rejected = 0;
  EXPECT_FALSE(FindRejects(r, q, src).has_value());
}

TEST(RejectSummaryTest, AQuarantinedFileUsesItsReportsRejectsFileElseItsReport) {
  TempDir dir;
  const std::string q = dir / "q";
  const std::string rejects = KeepRejects(
      "/in/b.csv", q, "b.csv.rejects.jsonl",
      {Bad(2, RowErrorKind::kRegex, "no match"), Bad(3, RowErrorKind::kRegex, "no match")});
  QuarantineReport report;
  report.file = "/in/b.csv";
  report.quarantined_as = q + "/b.csv";
  report.rows_rejected = 3;
  report.rejects_file = rejects;
  report.errors = {Bad(2, RowErrorKind::kRegex, "no match")};
  report.rejected_by_kind[static_cast<size_t>(RowErrorKind::kRegex)] = 2;
  report.rejected_by_kind[static_cast<size_t>(RowErrorKind::kAllowed)] = 1;
  ASSERT_TRUE(WriteQuarantineReport(report).ok());

  FileRecord r;
  r.identity.path = "/in/b.csv";
  r.state = FileState::kQuarantined;
  r.rows_rejected = 3;
  r.final_path = q + "/b.csv";
  std::optional<RejectSummary> s = FindRejects(r, q, "/in");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, rejects);
  EXPECT_EQ(s->rows, 2u);

  // The rejects file gone: the report's totals, and its first rows as examples.
  fs::remove(rejects);
  s = FindRejects(r, q, "/in");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, q + "/b.csv.error.json");
  EXPECT_EQ(s->rows, 3u);
  ASSERT_EQ(s->groups.size(), 2u);
  EXPECT_EQ(s->groups[0].kind, "regex");
  EXPECT_EQ(s->groups[0].example["reason"], "no match");
  EXPECT_EQ(s->groups[1].kind, "allowed");
  EXPECT_TRUE(s->groups[1].example.is_null());
}

TEST(ArchiveTest, NoClobberNamesAreTheBaseOrItsNumberedForms) {
  EXPECT_TRUE(IsNoClobberName("a.csv.rejects.jsonl", "a.csv.rejects.jsonl"));
  EXPECT_TRUE(IsNoClobberName("a.12.csv.rejects.jsonl", "a.csv.rejects.jsonl"));
  EXPECT_FALSE(IsNoClobberName("a.x.csv.rejects.jsonl", "a.csv.rejects.jsonl"));
  EXPECT_FALSE(IsNoClobberName("ab.1.csv.rejects.jsonl", "a.csv.rejects.jsonl"));
  EXPECT_FALSE(IsNoClobberName("a..csv.rejects.jsonl", "a.csv.rejects.jsonl"));
  EXPECT_TRUE(IsNoClobberName("README.3", "README"));
}

}  // namespace
}  // namespace sluice

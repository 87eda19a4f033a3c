#include "pipeline/reject_summary.h"

#include <gtest/gtest.h>
#include <utime.h>

#include <filesystem>

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

TEST(RejectSummaryTest, ALoadedFileReadsTheRejectsFileItsRecordNames) {
  TempDir dir;
  const std::string q = dir / "q";
  // orders.csv loaded twice the same second: their rejects files differ only by
  // name, and the later one was written when the first record finished.
  const std::string first = KeepRejects("/in/orders.csv", q, "orders.csv.rejects.jsonl",
                                        {Bad(2, RowErrorKind::kType, "first")});
  const std::string second =
      KeepRejects("/in/orders.csv", q, "orders.csv.rejects.jsonl",
                  {Bad(4, RowErrorKind::kNull, "second"), Bad(5, RowErrorKind::kNull, "second")});
  ASSERT_EQ(second, q + "/orders.1.csv.rejects.jsonl");
  SetMtime(first, 1'700'000'000);
  SetMtime(second, 1'700'000'001);

  FileRecord r;
  r.identity.path = "/in/orders.csv";
  r.state = FileState::kLoaded;
  r.rows_rejected = 1;
  r.finished_at_us = 1'700'000'001'000'000;
  r.rejects_file = first;
  std::optional<RejectSummary> s = FindRejects(r);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, first);
  EXPECT_EQ(s->rows, 1u);
  EXPECT_EQ(s->groups[0].example["reason"], "first");
  EXPECT_EQ(s->gone, "");
  r.rejects_file = second;
  r.rows_rejected = 2;
  s = FindRejects(r);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, second);
  EXPECT_EQ(s->rows, 2u);

  // Without a recorded file (a ledger of an older sluice), nothing is guessed.
  r.rejects_file = "";
  EXPECT_FALSE(FindRejects(r).has_value());
  // Gone: said so, with nothing to count.
  r.rejects_file = second;
  fs::remove(second);
  s = FindRejects(r);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->gone, second);
  EXPECT_EQ(s->source, "");
  EXPECT_EQ(s->rows, 0u);
  EXPECT_EQ(RejectSummaryJson(*s)["gone"], second);
}

TEST(RejectSummaryTest, AQuarantinedFileReadsItsRejectsFileElseItsReport) {
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
  r.rejects_file = rejects;
  std::optional<RejectSummary> s = FindRejects(r);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, rejects);
  EXPECT_EQ(s->rows, 2u);
  // A record of an older sluice: the rejects file its report names.
  r.rejects_file = "";
  s = FindRejects(r);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, rejects);

  // The rejects file gone: said so, then the report's totals and its first rows as
  // examples.
  fs::remove(rejects);
  for (const std::string& recorded : {rejects, std::string()}) {
    r.rejects_file = recorded;
    s = FindRejects(r);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->gone, recorded);
    EXPECT_EQ(s->source, q + "/b.csv.error.json");
    EXPECT_EQ(s->rows, 3u);
    ASSERT_EQ(s->groups.size(), 2u);
    EXPECT_EQ(s->groups[0].kind, "regex");
    EXPECT_EQ(s->groups[0].example["reason"], "no match");
    EXPECT_EQ(s->groups[1].kind, "allowed");
    EXPECT_TRUE(s->groups[1].example.is_null());
  }
}

}  // namespace
}  // namespace sluice

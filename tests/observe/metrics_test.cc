#include "observe/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice {
namespace {

TEST(MetricsTest, CountersAndGaugesExposeWithHelpTypeAndLabels) {
  Registry r;
  r.DeclareCounter("files_total", "Files done.");
  r.DeclareGauge("backlog", "Files waiting.");
  r.Add("files_total", {{"table", "sales"}, {"outcome", "loaded"}});
  r.Add("files_total", {{"table", "sales"}, {"outcome", "loaded"}}, 2);
  r.Set("backlog", {}, 7);
  r.Set("backlog", {}, 3);
  EXPECT_EQ(r.Expose(),
            "# HELP files_total Files done.\n"
            "# TYPE files_total counter\n"
            "files_total{table=\"sales\",outcome=\"loaded\"} 3\n"
            "# HELP backlog Files waiting.\n"
            "# TYPE backlog gauge\n"
            "backlog 3\n");
  EXPECT_EQ(r.Value("files_total", {{"table", "sales"}, {"outcome", "loaded"}}), 3);
  EXPECT_EQ(r.Value("files_total", {{"table", "other"}, {"outcome", "loaded"}}), 0);
}

TEST(MetricsTest, CountersNeverGoDown) {
  Registry r;
  r.DeclareCounter("c", "C.");
  r.Add("c", {}, 5);
  r.Add("c", {}, -3);
  EXPECT_EQ(r.Value("c", {}), 5);
}

TEST(MetricsTest, UndeclaredOrMistypedNamesAreIgnored) {
  Registry r;
  r.DeclareGauge("g", "G.");
  r.Add("g", {}, 1);        // not a counter
  r.Set("missing", {}, 1);  // never declared
  EXPECT_EQ(r.Expose(), "# HELP g G.\n# TYPE g gauge\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.DeclareCounter("c", "Back\\slash\nnewline.");
  r.Add("c", {{"table", "a\"b\\c\nd"}});
  EXPECT_EQ(r.Expose(),
            "# HELP c Back\\\\slash\\nnewline.\n"
            "# TYPE c counter\n"
            "c{table=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  r.DeclareHistogram("d", "Durations.", {0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 20.0}) r.Observe("d", {}, v);
  EXPECT_EQ(r.Expose(),
            "# HELP d Durations.\n"
            "# TYPE d histogram\n"
            "d_bucket{le=\"0.1\"} 2\n"
            "d_bucket{le=\"1\"} 3\n"
            "d_bucket{le=\"10\"} 3\n"
            "d_bucket{le=\"+Inf\"} 4\n"
            "d_sum 20.65\n"
            "d_count 4\n");
}

TEST(MetricsTest, ValuesFormatAsPrometheusDoes) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(12345678901), "12345678901");
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatMetricValue(-1.0 / 0.0), "-Inf");
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry r;
  r.DeclareCounter("c", "C.");
  r.DeclareHistogram("h", "H.", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r] {
      for (int i = 0; i < 10000; ++i) {
        r.Add("c", {{"t", "x"}});
        r.Observe("h", {}, 0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.Value("c", {{"t", "x"}}), 40000);
  EXPECT_NE(r.Expose().find("h_count 40000\n"), std::string::npos);
}

TEST(MetricsTest, IngestMetricsCountFilesRowsAndSinkState) {
  IngestMetrics m;
  m.FileDone("sales", "loaded", 10, 300, 0.2);
  m.FileDone("sales", "duplicate", 0, 300, 0.01);
  m.FileDone("sales", "quarantined", 0, 100, 0.3);
  const Registry& r = m.registry();
  EXPECT_EQ(r.Value("sluice_files_total", {{"table", "sales"}, {"outcome", "loaded"}}), 1);
  EXPECT_EQ(r.Value("sluice_files_total", {{"table", "sales"}, {"outcome", "duplicate"}}), 1);
  EXPECT_EQ(r.Value("sluice_files_total", {{"table", "sales"}, {"outcome", "quarantined"}}), 1);
  EXPECT_EQ(r.Value("sluice_rows_loaded_total", {{"table", "sales"}}), 10);
  // Rejects are counted by reason (RowsRejected), not by FileDone.
  EXPECT_EQ(r.Value("sluice_rows_rejected_total", {{"table", "sales"}}), 0);
  EXPECT_EQ(r.Value("sluice_bytes_read_total", {}), 700);
  EXPECT_GT(r.Value("sluice_last_success_timestamp_seconds", {}), 1.7e9);
  std::string text = m.Expose();
  EXPECT_NE(text.find("sluice_load_duration_seconds_count 2\n"), std::string::npos) << text;

  m.SinkRetry();
  m.SetSinkUp(false);
  m.SetBacklog(4, 12.5);
  EXPECT_EQ(r.Value("sluice_sink_retries_total", {}), 1);
  EXPECT_EQ(r.Value("sluice_sink_up", {}), 0);
  EXPECT_EQ(r.Value("sluice_backlog_files", {}), 4);
  EXPECT_EQ(r.Value("sluice_oldest_pending_file_age_seconds", {}), 12.5);
}

TEST(MetricsTest, RowsFilteredCountsPerTable) {
  IngestMetrics m;
  m.RowsFiltered("sensors", 3);
  m.RowsFiltered("sensors", 2);
  m.RowsFiltered("other", 1);
  EXPECT_EQ(m.registry().Value("sluice_rows_filtered_total", {{"table", "sensors"}}), 5);
  const std::string text = m.Expose();
  EXPECT_NE(text.find("# TYPE sluice_rows_filtered_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_rows_filtered_total{table=\"other\"} 1\n"), std::string::npos)
      << text;
}

TEST(MetricsTest, FilesFlaggedCountsPerTableAndColumn) {
  IngestMetrics m;
  m.FileFlagged("sensors", "temperature");
  m.FileFlagged("sensors", "temperature");
  m.FileFlagged("sensors", "humidity");
  const Registry& r = m.registry();
  EXPECT_EQ(
      r.Value("sluice_files_flagged_total", {{"table", "sensors"}, {"column", "temperature"}}), 2);
  EXPECT_EQ(r.Value("sluice_files_flagged_total", {{"table", "sensors"}, {"column", "humidity"}}),
            1);
  const std::string text = m.Expose();
  EXPECT_NE(text.find("# TYPE sluice_files_flagged_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_files_flagged_total{table=\"sensors\",column=\"humidity\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, RowsRejectedCountsEachReasonOfAFile) {
  IngestMetrics m;
  RowErrorCounts counts{};
  counts[static_cast<size_t>(RowErrorKind::kType)] = 2;
  counts[static_cast<size_t>(RowErrorKind::kNull)] = 1;
  m.RowsRejected("sales", counts);
  m.RowsRejected("sales", counts);
  m.RowsRejected("sales", RowErrorCounts{});
  const Registry& r = m.registry();
  EXPECT_EQ(r.Value("sluice_rows_rejected_total", {{"table", "sales"}, {"reason", "type"}}), 4);
  EXPECT_EQ(r.Value("sluice_rows_rejected_total", {{"table", "sales"}, {"reason", "null"}}), 2);
  const std::string text = m.Expose();
  EXPECT_NE(text.find("sluice_rows_rejected_total{table=\"sales\",reason=\"type\"} 4\n"),
            std::string::npos)
      << text;
  // Kinds without rejects get no series.
  EXPECT_EQ(text.find("reason=\"range\""), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice

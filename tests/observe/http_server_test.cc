#include "observe/http_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "httplib.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(HttpAddressTest, ParsesHostAndPort) {
  auto a = ParseHttpAddress("127.0.0.1:9464");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 9464);
  auto v6 = ParseHttpAddress("[::1]:0");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 0);
  for (const char* bad : {"9464", ":9464", "localhost:", "host:99999", "host:12x"}) {
    EXPECT_FALSE(ParseHttpAddress(bad).has_value()) << bad;
  }
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    quarantine_ = dir_.path() + "/quarantine";
    WriteFile(quarantine_ + "/bad.csv", "x\n");
    WriteFile(quarantine_ + "/bad.csv.error.json", "{\"reason\":\"too many bad rows\"}\n");
    WriteFile(dir_.path() + "/secret.error.json", "{\"secret\":1}\n");
    HttpHandlers h;
    h.metrics = [] { return std::string("m 1\n"); };
    h.ready = [this] { return ready_ ? Status::Ok() : Status::Unavailable("sink down"); };
    h.status_json = [] { return std::string("{\"ok\":true}"); };
    h.aggregates_json = [](const std::string& table) { return "{\"table\":\"" + table + "\"}"; };
    h.quarantine_dir = quarantine_;
    auto server = HttpServer::Start("127.0.0.1", 0, std::move(h));
    ASSERT_TRUE(server.has_value()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  TempDir dir_;
  std::string quarantine_;
  std::atomic<bool> ready_{true};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, ServesMetricsHealthAndStatus) {
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->body, "m 1\n");
  EXPECT_NE(m->get_header_value("Content-Type").find("version=0.0.4"), std::string::npos);
  auto h = client_->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto s = client_->Get("/api/status");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->body, "{\"ok\":true}");
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("<canvas"), std::string::npos);
}

TEST_F(HttpServerTest, AggregatesAreAskedForByTable) {
  auto one = client_->Get("/api/aggregates?table=sensors");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(one->body, "{\"table\":\"sensors\"}");
  EXPECT_EQ(one->get_header_value("Content-Type"), "application/json");
  auto all = client_->Get("/api/aggregates");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->body, "{\"table\":\"\"}");
}

TEST(HttpServerAggregatesTest, WithoutAHandlerAggregatesAreNotFound) {
  HttpHandlers h;
  h.metrics = [] { return std::string(); };
  h.ready = [] { return Status::Ok(); };
  h.status_json = [] { return std::string("{}"); };
  auto server = HttpServer::Start("127.0.0.1", 0, std::move(h));
  ASSERT_TRUE(server.has_value()) << server.status().ToString();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto r = client.Get("/api/aggregates?table=x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpServerTest, ReadinessFollowsTheCallback) {
  auto r = client_->Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ready_ = false;
  r = client_->Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("sink down"), std::string::npos);
}

TEST_F(HttpServerTest, ReportsComeOnlyFromTheQuarantineFolder) {
  auto ok = client_->Get("/api/report?file=bad.csv");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->body.find("too many bad rows"), std::string::npos);
  auto abs = client_->Get(("/api/report?file=" + quarantine_ + "/bad.csv").c_str());
  ASSERT_TRUE(abs);
  EXPECT_EQ(abs->status, 200);
  for (const std::string& bad :
       std::vector<std::string>{"../secret", dir_.path() + "/secret", "missing.csv", ""}) {
    auto r = client_->Get(("/api/report?file=" + bad).c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << bad;
  }
}

TEST(HttpServerStartTest, TakenPortIsUnavailable) {
  HttpHandlers h;
  auto first = HttpServer::Start("127.0.0.1", 0, h);
  ASSERT_TRUE(first.has_value());
  auto second = HttpServer::Start("127.0.0.1", (*first)->port(), h);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace sluice

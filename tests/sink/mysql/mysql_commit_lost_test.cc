// A COMMIT whose answer never comes back: the MySQL sink reconnects and reads its
// markers to learn whether the server committed. Between the sink and the real
// server (SLUICE_TEST_MYSQL_URL) sits a TCP forwarder that, once armed, cuts both
// connections at the client's COMMIT: either after passing it on (the server
// commits, the answer is lost) or before (the server never sees it).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sink/contract_backends.h"
#include "sink/mysql/mysql_url.h"
#include "sink/registry.h"
#include "sink/sink_test_rows.h"
#include "test_util.h"

namespace sluice {
namespace {

using contract::Rows;
using contract::UniqueName;

// Forwards every connection accepted on 127.0.0.1:port() to the server. Armed
// with CutAtCommit(pass_on), the next client packet holding COM_QUERY "COMMIT"
// is passed on to the server or not, and then both sides of that connection are
// closed; later connections are forwarded untouched.
class CommitCutter {
 public:
  CommitCutter(const std::string& host, unsigned port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    server_.sin_family = AF_INET;
    server_.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(
        inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &server_.sin_addr), 1);
    acceptor_ = std::thread([this] { Accept(); });
  }

  ~CommitCutter() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    close(listener_);
    for (std::thread& t : pipes_) t.join();
  }

  uint16_t port() const { return port_; }
  void CutAtCommit(bool pass_on) {
    pass_on_ = pass_on;
    armed_ = true;
  }
  bool cut() const { return cut_; }

 private:
  void Accept() {
    while (!stop_) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      const int server = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(server, reinterpret_cast<const sockaddr*>(&server_), sizeof server_) != 0) {
        close(client);
        close(server);
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      pipes_.emplace_back([this, client, server] { Pipe(client, server); });
    }
  }

  void Pipe(int client, int server) {
    static constexpr std::string_view kCommit(
        "\x03"
        "COMMIT");
    char buffer[64 * 1024];
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (!stop_) {
      if (poll(fds, 2, 100) <= 0) continue;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0) {
          done = true;
          break;
        }
        const std::string_view chunk(buffer, static_cast<size_t>(n));
        const bool cut_here = i == 0 && armed_ && chunk.find(kCommit) != std::string_view::npos;
        if (!cut_here || pass_on_) done = !WriteAll(fds[1 - i].fd, chunk);
        if (cut_here) {
          armed_ = false;
          cut_ = true;
          done = true;
        }
      }
      if (done) break;
    }
    close(client);
    close(server);
  }

  static bool WriteAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = write(fd, bytes.data(), bytes.size());
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  sockaddr_in server_{};
  std::atomic<bool> stop_{false}, armed_{false}, pass_on_{false}, cut_{false};
  std::mutex mutex_;
  std::thread acceptor_;
  std::vector<std::thread> pipes_;
};

class MysqlCommitLostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_MYSQL_URL");
    backend_ = std::make_unique<contract::MysqlBackend>(url);
    auto target = ParseMysqlUrl(url);
    ASSERT_TRUE(target.has_value()) << target.status().ToString();
    cutter_ = std::make_unique<CommitCutter>(target->host, target->port);
    // Through the cutter, without TLS: it must see the COMMIT in the clear.
    const std::string rest = url.substr(url.find("://") + 3);
    const std::string user_info = rest.substr(0, rest.rfind('@'));
    const std::string path = rest.substr(rest.find('/', rest.rfind('@')));
    const std::string through = "mysql://" + user_info +
                                "@127.0.0.1:" + std::to_string(cutter_->port()) +
                                path.substr(0, path.find('?')) + "?ssl-mode=DISABLED";
    auto sink = OpenSink(through);
    ASSERT_TRUE(sink.has_value()) << sink.status().ToString();
    sink_ = std::move(*sink);
    def_ = {UniqueName("lost"),
            {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
            {}};
    ASSERT_TRUE(sink_->EnsureTable(def_).ok());
  }

  // Begins a load of rows 1 and 2, then commits it with the cutter armed.
  Result<std::vector<LoadCounts>> CommitCut(const LoadId& load, bool pass_on) {
    std::vector<std::string> storage;
    const Batch rows = testing::IdLabelBatch(def_, {1, 2}, storage, "l");
    RETURN_IF_ERROR(sink_->Begin(def_, {load}));
    RETURN_IF_ERROR(sink_->Write(rows, 0));
    cutter_->CutAtCommit(pass_on);
    return sink_->Commit();
  }

  Rows Count() { return backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def_.name)); }

  std::unique_ptr<contract::MysqlBackend> backend_;
  std::unique_ptr<CommitCutter> cutter_;
  std::unique_ptr<Sink> sink_;
  TableDef def_;
};

TEST_F(MysqlCommitLostTest, ACommitTheServerMadeIsKnownByItsMarkers) {
  const LoadId load{UniqueName("made"), "/in/made.csv"};
  auto counts = CommitCut(load, /*pass_on=*/true);
  ASSERT_TRUE(cutter_->cut());
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 2u);
  EXPECT_EQ(Count(), (Rows{{"2"}}));
  auto committed = sink_->IsCommitted(load.id);
  ASSERT_TRUE(committed.has_value()) << committed.status().ToString();
  EXPECT_TRUE(*committed);
}

TEST_F(MysqlCommitLostTest, ACommitTheServerNeverSawIsAnErrorAndLeavesNothing) {
  const LoadId load{UniqueName("unseen"), "/in/unseen.csv"};
  auto counts = CommitCut(load, /*pass_on=*/false);
  ASSERT_TRUE(cutter_->cut());
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.status().code(), StatusCode::kUnavailable) << counts.status().ToString();
  EXPECT_EQ(Count(), (Rows{{"0"}}));
  auto committed = sink_->IsCommitted(load.id);
  ASSERT_TRUE(committed.has_value()) << committed.status().ToString();
  EXPECT_FALSE(*committed);
  // The same load then commits on a new connection.
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Begin(def_, {load}).ok());
  ASSERT_TRUE(sink_->Write(testing::IdLabelBatch(def_, {1, 2}, storage, "l"), 0).ok());
  ASSERT_TRUE(sink_->Commit().has_value());
  EXPECT_EQ(Count(), (Rows{{"2"}}));
}

}  // namespace
}  // namespace sluice

#include "observe/http_server.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "httplib.h"
#include "observe/json_text.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

constexpr size_t kHttpThreads = 32;
constexpr std::chrono::seconds kHttpReadTimeout{1};
constexpr std::chrono::seconds kHttpWriteTimeout{5};
constexpr time_t kHttpKeepAliveSeconds = 2;

// The report of quarantined file `name` (relative to the quarantine folder, or
// absolute inside it), or an empty optional if it is outside or missing.
std::optional<std::string> ReadReport(const std::string& quarantine_dir, const std::string& name) {
  if (name.empty() || quarantine_dir.empty()) return std::nullopt;
  std::error_code ec;
  fs::path root = fs::weakly_canonical(quarantine_dir, ec);
  if (ec) return std::nullopt;
  fs::path asked = fs::path(name).is_absolute() ? fs::path(name) : root / name;
  fs::path report = fs::weakly_canonical(asked.string() + ".error.json", ec);
  if (ec) return std::nullopt;
  // Resolved (symbolic links and .. included) it must still lie under the root.
  auto rel = report.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  std::ifstream in(report, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Result<std::pair<std::string, int>> ParseHttpAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    return Status::InvalidArgument("--http: expected HOST:PORT or off, got \"" +
                                   std::string(address) + "\"");
  }
  std::string_view host = address.substr(0, colon);
  std::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    return Status::InvalidArgument("--http: bad port \"" + std::string(port_text) + "\"");
  }
  return std::make_pair(std::string(host), port);
}

struct HttpServer::Impl {
  httplib::Server server;
  HttpHandlers handlers;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  int port = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int HttpServer::port() const { return impl_->port; }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host, int port,
                                                      HttpHandlers handlers) {
  auto impl = std::make_unique<Impl>();
  impl->handlers = std::move(handlers);
  httplib::Server& s = impl->server;
  const HttpHandlers& h = impl->handlers;
  // A connection holds a pool thread from accept to close, so slow or idle
  // clients must neither outnumber the threads nor keep them for long: a client
  // that goes silent for a second inside a request, or for two between requests
  // on a kept-alive connection, is dropped, and there are threads for a few
  // dozen such clients at once (idle threads cost no CPU, so the loaders lose
  // nothing). Without this two clients trickling a byte every 2 s stopped
  // /metrics and /readyz for good.
  s.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  s.set_read_timeout(kHttpReadTimeout);
  s.set_write_timeout(kHttpWriteTimeout);
  s.set_keep_alive_timeout(kHttpKeepAliveSeconds);
  // httplib's default adds SO_REUSEPORT, which would let a second sluice share
  // the port silently instead of being told it is taken.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  s.Get("/metrics", [&h](const httplib::Request&, httplib::Response& res) {
    res.set_content(h.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [&h](const httplib::Request&, httplib::Response& res) {
    Status ready = h.ready();
    if (ready.ok()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready: " + ready.message() + "\n", "text/plain");
    }
  });
  s.Get("/api/status", [&h](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(h.status_json(), "application/json");
  });
  s.Get("/api/aggregates", [&h](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    if (!h.aggregates_json) {
      res.status = 404;
      res.set_content(JsonText({{"error", "no aggregates here"}}), "application/json");
      return;
    }
    res.set_content(h.aggregates_json(req.get_param_value("table")), "application/json");
  });
  s.Get("/api/report", [&h](const httplib::Request& req, httplib::Response& res) {
    auto report = ReadReport(h.quarantine_dir, req.get_param_value("file"));
    if (!report) {
      res.status = 404;
      res.set_content(JsonText({{"error", "no report for that file in the quarantine folder"}}),
                      "application/json");
      return;
    }
    res.set_content(*report, "application/json");
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(StatusPageHtml()), "text/html; charset=utf-8");
  });

  int bound = port == 0 ? s.bind_to_any_port(host) : (s.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port));
  }
  impl->port = bound;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->listen_returned.store(true);
  });
  // stop() does nothing until the server runs: wait for that, so that a server
  // destroyed at once still shuts down.
  while (!impl->server.is_running() && !impl->listen_returned.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace sluice

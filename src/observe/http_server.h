// HttpServer: sluice's HTTP endpoints, served by cpp-httplib on threads of its
// own so that scrapes never slow a load (a pool of 32; a client silent for 1 s
// inside a request, or 2 s between kept-alive requests, is dropped, so slow
// clients cannot hold the threads that /metrics and /readyz need):
//   /metrics      Prometheus text exposition
//   /healthz      200 while the process serves requests
//   /readyz       200 when the sink answers and the ledger is writable, else 503
//   /api/status   JSON from the engine (counts, recent files, recent errors)
//   /api/aggregates  JSON from the engine: the tables with aggregates, and with
//                 ?table=T that table's series over its latest files and the
//                 files flagged
//   /api/report   ?file=NAME: the .error.json report of a quarantined file,
//                 only from inside the quarantine folder
//   /             the status page (embedded; no downloads at run time)
//
// observe/ knows nothing of the pipeline: the engine hands in callbacks.
//
// Thread-safety: the callbacks are called from the server's threads, concurrently
// with the engine; they must be thread-safe. Start/destruction from one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace sluice {

struct HttpHandlers {
  std::function<std::string()> metrics;      // the exposition text
  std::function<Status()> ready;             // Ok when ready, else why not
  std::function<std::string()> status_json;  // the body of /api/status
  // The body of /api/aggregates for ?table= (empty when not given); unset: 404.
  std::function<std::string(const std::string& table)> aggregates_json;
  std::string quarantine_dir;  // absolute; /api/report reads only here
};

// Parses "HOST:PORT" (PORT 0..65535; 0 picks a free port). Errors: InvalidArgument.
Result<std::pair<std::string, int>> ParseHttpAddress(std::string_view address);

// The status page, HTML with its script and style inline.
std::string_view StatusPageHtml();

class HttpServer {
 public:
  // Binds `host:port` and starts serving. Errors: Unavailable (cannot bind).
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& host, int port,
                                                   HttpHandlers handlers);
  // Stops serving and joins the server thread.
  ~HttpServer();

  // The bound port (useful when 0 was asked for).
  int port() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice

// ClickHouseHttp: one keep-alive connection to ClickHouse's HTTP interface
// (libcurl easy handle, reused for every request), and the one place where the
// ClickHouse sink classifies errors.
//
// Credentials travel as the X-ClickHouse-User / X-ClickHouse-Key headers, never in
// a URL, and no message this class produces contains the password.
//
// Thread-safety: none; one thread at a time per ClickHouseHttp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

struct curl_slist;

namespace sluice {

struct ClickHouseEndpoint {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string user = "default";
  std::string password;
  std::string database = "default";
  bool gzip = false;  // compress request bodies (Content-Encoding: gzip)

  // "clickhouse[s]://host:port/database" without the credentials, for messages.
  std::string Redacted() const;
};

// Parses "clickhouse://[user[:password]@]host[:port][/database][?compression=gzip]"
// ("clickhouses://" for HTTPS). User and password may be percent-encoded. Default
// port 8123 (8443 with TLS), user "default", database "default". Errors:
// InvalidArgument (the message never repeats the password).
Result<ClickHouseEndpoint> ParseClickHouseUrl(std::string_view url);

// The status for a failed request: `curl_code` (0 if the request completed),
// `http_status`, the X-ClickHouse-Exception-Code header (empty if absent) and the
// response body, whose "Code: N" is used when the header is missing (old
// servers). Authentication and unknown-database errors are InvalidArgument; data
// the server refused is InvalidData; connection failures, timeouts, overload and
// other 5xx are Unavailable; the rest is Internal. `context` prefixes the message.
Status ClassifyClickHouseError(int curl_code, long http_status, std::string_view exception_code,
                               std::string_view body, std::string_view context);

class ClickHouseHttp {
 public:
  // Sets up the handle; does not connect. Errors: Internal (libcurl failed).
  static Result<std::unique_ptr<ClickHouseHttp>> Create(const ClickHouseEndpoint& endpoint);
  ~ClickHouseHttp();
  ClickHouseHttp(const ClickHouseHttp&) = delete;
  ClickHouseHttp& operator=(const ClickHouseHttp&) = delete;

  // Runs `sql` (sent as the request body) and returns the response body.
  // Errors: see ClassifyClickHouseError; `context` names the operation.
  Result<std::string> Query(std::string_view sql, std::string_view context);

  // Runs `sql` (an INSERT … FORMAT …, sent in the URL) with `data` as the request
  // body, gzip-compressed if the endpoint asks for it. `settings` are extra URL
  // parameters ("name=value&…", already encoded; may be empty). Errors: as Query.
  Status Insert(std::string_view sql, std::string_view settings, std::string_view data,
                std::string_view context);

  // Percent-encodes `text` for a URL parameter.
  std::string Escape(std::string_view text);

 private:
  ClickHouseHttp(const ClickHouseEndpoint& endpoint, void* curl);
  Result<std::string> Post(const std::string& url, std::string_view body, bool gzip,
                           std::string_view context);

  ClickHouseEndpoint endpoint_;
  std::string base_url_;  // scheme://host:port/
  void* curl_;            // CURL*
  curl_slist* headers_ = nullptr;
  curl_slist* gzip_headers_ = nullptr;
  std::string exception_code_;  // from the last response's headers
  std::string compressed_;      // reused gzip buffer
};

}  // namespace sluice

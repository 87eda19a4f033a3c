// ClickHouseHttp: one keep-alive connection to ClickHouse's HTTP interface
// (one libcurl easy handle driven by a multi handle, reused for every request),
// and the one place where the ClickHouse sink classifies errors.
//
// An insert is streamed: StartInsert opens the request, SendInsert hands
// over body bytes as they are produced (chunked transfer encoding; libcurl sends
// while the caller keeps producing, and SendInsert blocks only while more than a
// few MiB wait), FinishInsert ends the body and waits for the answer. So the
// caller's serialisation, the transfer and the server's insert overlap.
//
// Credentials travel as the X-ClickHouse-User / X-ClickHouse-Key headers, never in
// a URL, and no message this class produces contains the password. The URL it is
// made from is read by clickhouse_url.h.
//
// Thread-safety: none; one thread at a time per ClickHouseHttp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sink/clickhouse/clickhouse_url.h"

struct curl_slist;
struct z_stream_s;

namespace sluice {

// The status for a failed request: `curl_code` (0 if the request completed),
// `http_status`, the X-ClickHouse-Exception-Code header (empty if absent) and the
// response body, whose "Code: N" is used when the header is missing (old
// servers). Refusals of sluice (codes 516 authentication failed, 192 unknown
// user, 193 wrong password, 194 password required, 195 IP not allowed, 497
// access denied, 291 database access denied, 164 read-only, 81 unknown database;
// HTTP 401 and 403 without a known code) are PermissionDenied; data the server
// refused is InvalidData; connection failures, timeouts, overload and other 5xx
// are Unavailable; the rest is Internal. `context` prefixes the message.
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
  // body: StartInsert, SendInsert, FinishInsert. Errors: as Query.
  Status Insert(std::string_view sql, std::string_view settings, std::string_view data,
                std::string_view context);

  // Starts `sql` (an INSERT … FORMAT …, sent in the URL) with a body to come,
  // gzip-compressed if the endpoint asks for it. `settings` are extra URL
  // parameters ("name=value&…", already encoded; may be empty). `context` names
  // the insert in errors. Errors: Internal (an insert is already open; gzip).
  Status StartInsert(std::string_view sql, std::string_view settings, std::string_view context);
  // Appends `data` to the body of the open insert and hands libcurl all the
  // connection takes without waiting. Returns once at most a few MiB of the
  // body wait to be sent. Errors: as Query (the server answered early,
  // which means it refused the insert, or the connection failed); the insert is
  // then closed.
  Status SendInsert(std::string_view data);
  // As SendInsert(*data), and leaves *data empty. When nothing of the body
  // waits, *data's buffer becomes the body's without a copy and *data gets the
  // body's spent buffer (its capacity kept for the caller's next bytes).
  Status SendInsert(std::string* data);
  // Ends the body and waits for the server's answer. The insert is closed.
  Status FinishInsert();
  // Drops the open insert (if any) without ending its body: the connection is
  // closed, and the server stores at most what it had already received.
  void CancelInsert() noexcept;

  // Percent-encodes `text` for a URL parameter.
  std::string Escape(std::string_view text);

  // How many requests (queries and inserts) were started on this connection: the
  // figure the sink's cost per load is stated in (docs/clickhouse.md).
  uint64_t requests() const { return requests_; }

 private:
  ClickHouseHttp(const ClickHouseEndpoint& endpoint, void* curl);
  // Runs the request set up on the handle to its end (or while `until` is false
  // and the transfer is not done, if given) and returns whether it is done.
  bool Drive(const std::function<bool()>& until);
  // The outcome of the finished request: the response body or the error.
  Result<std::string> Outcome(std::string_view context);
  // Moves `data` (gzip-compressed when the open insert is) into pending_; `last`
  // ends the compressed stream.
  Status Stage(std::string_view data, bool last);
  static size_t ReadBody(char* dest, size_t size, size_t count, void* user);

  ClickHouseEndpoint endpoint_;
  std::string base_url_;  // scheme://host:port/
  void* curl_;            // CURL*
  void* multi_;           // CURLM*
  curl_slist* headers_ = nullptr;
  curl_slist* insert_headers_ = nullptr;  // headers_ + chunked transfer encoding
  curl_slist* gzip_headers_ = nullptr;    // insert_headers_ + Content-Encoding: gzip
  std::string exception_code_;            // from the last response's headers
  std::string response_;                  // the last response's body
  int curl_code_ = 0;                     // the last transfer's CURLcode
  uint64_t requests_ = 0;

  // The open insert.
  bool inserting_ = false;
  bool body_done_ = false;  // FinishInsert: no more data after pending_
  bool paused_ = false;     // ReadBody found nothing to send
  std::string insert_context_;
  std::string pending_;  // body bytes not yet handed to libcurl, from pending_sent_
  size_t pending_sent_ = 0;
  std::unique_ptr<z_stream_s> zlib_;  // when the insert is gzip-compressed
};

}  // namespace sluice

#include "sink/clickhouse/clickhouse_http.h"

#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>

#include "sink/sink_text.h"

namespace sluice {
namespace {

// Codes from ClickHouse's src/Common/ErrorCodes.cpp.
enum ChCode : int {
  kCannotParseText = 6,
  kNoSuchColumnInTable = 16,
  kCannotParseQuotedString = 26,
  kCannotParseInputAssertionFailed = 27,
  kCannotParseDate = 38,
  kCannotParseDateTime = 41,
  kUnknownTable = 60,
  kSyntaxError = 62,
  kArgumentOutOfBound = 69,
  kCannotParseNumber = 72,
  kTypeMismatch = 53,
  kUnknownIdentifier = 47,
  kUnknownDatabase = 81,
  kIncorrectData = 117,
  kTooLargeStringSize = 131,
  kTimeoutExceeded = 159,
  kReadonly = 164,
  kUnknownUser = 192,
  kWrongPassword = 193,
  kRequiredPassword = 194,
  kIpAddressNotAllowed = 195,
  kTooManySimultaneousQueries = 202,
  kSocketTimeout = 209,
  kNetworkError = 210,
  kMemoryLimitExceeded = 241,
  kTableIsReadOnly = 242,
  kTooManyParts = 252,
  kDatabaseAccessDenied = 291,
  kAccessDenied = 497,
  kAuthenticationFailed = 516,
};

int ParseCode(std::string_view exception_code, std::string_view body) {
  int code = 0;
  if (!exception_code.empty()) {
    std::from_chars(exception_code.data(), exception_code.data() + exception_code.size(), code);
    if (code != 0) return code;
  }
  // Old servers send no header; their body starts "Code: N, e.displayText() = …".
  const size_t at = body.find("Code: ");
  if (at != std::string_view::npos) {
    const char* start = body.data() + at + 6;
    std::from_chars(start, body.data() + body.size(), code);
  }
  return code;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.remove_suffix(1);
  }
  return s;
}

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "x-clickhouse-exception-code:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      char c = line[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == kName[i];
    }
    if (match) {
      std::string_view value = Trim(line.substr(kName.size()));
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      *static_cast<std::string*>(user) = std::string(value);
    }
  }
  return size * count;
}

// At most this much of an insert's body waits in memory for the connection:
// SendInsert blocks above it, which holds the producer back to the server's pace.
constexpr size_t kMaxPendingBytes = 4u << 20;

}  // namespace

Status ClassifyClickHouseError(int curl_code, long http_status, std::string_view exception_code,
                               std::string_view body, std::string_view context) {
  const std::string prefix = std::string(context) + ": ";
  if (curl_code != CURLE_OK) {
    const auto code = static_cast<CURLcode>(curl_code);
    const std::string what = prefix + curl_easy_strerror(code);
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return Status::Timeout(what);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
        return Status::InvalidArgument(what);
      default:
        // Refused, reset, unresolvable, closed mid-request: the server may be back soon.
        return Status::Unavailable(what);
    }
  }
  const int code = ParseCode(exception_code, body);
  std::string what = prefix + std::string(Trim(body.substr(0, 2000)));
  if (body.empty()) what = prefix + "HTTP " + std::to_string(http_status);
  switch (code) {
    case kCannotParseText:
    case kNoSuchColumnInTable:
    case kCannotParseQuotedString:
    case kCannotParseInputAssertionFailed:
    case kCannotParseDate:
    case kCannotParseDateTime:
    case kArgumentOutOfBound:
    case kCannotParseNumber:
    case kTypeMismatch:
    case kIncorrectData:
    case kTooLargeStringSize:
      return Status::InvalidData(what);
    case kTooManyParts:
    case kMemoryLimitExceeded:
    case kTooManySimultaneousQueries:
    case kTimeoutExceeded:
    case kSocketTimeout:
    case kNetworkError:
    case kTableIsReadOnly:
      return Status::Unavailable(what);
    case kAuthenticationFailed:
    case kUnknownUser:
    case kWrongPassword:
    case kRequiredPassword:
    case kIpAddressNotAllowed:
    case kAccessDenied:
    case kDatabaseAccessDenied:
    case kReadonly:
    case kUnknownDatabase:
      return Status::PermissionDenied(what);
    case kSyntaxError:
    case kUnknownIdentifier:
    case kUnknownTable:
      // Our queries are generated; a server that rejects one is a bug (or a table
      // dropped under us).
      return Status::Internal(what);
    default:
      break;
  }
  if (http_status == 401 || http_status == 403) return Status::PermissionDenied(what);
  if (http_status >= 500) return Status::Unavailable(what);
  return Status::Internal(what);
}

Result<std::unique_ptr<ClickHouseHttp>> ClickHouseHttp::Create(const ClickHouseEndpoint& endpoint) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::Internal("clickhouse: curl_easy_init failed");
  std::unique_ptr<ClickHouseHttp> http(new ClickHouseHttp(endpoint, curl));
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("X-ClickHouse-User: " + endpoint.user).c_str());
  headers = curl_slist_append(headers, ("X-ClickHouse-Key: " + endpoint.password).c_str());
  // libcurl would otherwise send "Expect: 100-continue" with large bodies and wait.
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
  http->headers_ = headers;
  curl_slist* insert_headers = nullptr;
  for (curl_slist* h = headers; h != nullptr; h = h->next) {
    insert_headers = curl_slist_append(insert_headers, h->data);
  }
  http->insert_headers_ = curl_slist_append(insert_headers, "Transfer-Encoding: chunked");
  curl_slist* gzip_headers = nullptr;
  for (curl_slist* h = http->insert_headers_; h != nullptr; h = h->next) {
    gzip_headers = curl_slist_append(gzip_headers, h->data);
  }
  http->gzip_headers_ = curl_slist_append(gzip_headers, "Content-Encoding: gzip");
  if (http->headers_ == nullptr || http->insert_headers_ == nullptr ||
      http->gzip_headers_ == nullptr || http->multi_ == nullptr) {
    return Status::Internal("clickhouse: out of memory");
  }
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  // A stalled server is noticed after a minute without progress; a slow but
  // moving insert of a large body is not cut off.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &http->exception_code_);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &http->response_);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ClickHouseHttp::ReadBody);
  curl_easy_setopt(curl, CURLOPT_READDATA, http.get());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  return http;
}

ClickHouseHttp::ClickHouseHttp(const ClickHouseEndpoint& endpoint, void* curl)
    : endpoint_(endpoint), curl_(curl), multi_(curl_multi_init()) {
  const bool ipv6 = endpoint.host.find(':') != std::string::npos && endpoint.host[0] != '[';
  base_url_ = std::string(endpoint.tls ? "https://" : "http://") + (ipv6 ? "[" : "") +
              endpoint.host + (ipv6 ? "]" : "") + ":" + std::to_string(endpoint.port) + "/";
}

ClickHouseHttp::~ClickHouseHttp() {
  CancelInsert();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(headers_);
  curl_slist_free_all(insert_headers_);
  curl_slist_free_all(gzip_headers_);
}

std::string ClickHouseHttp::Escape(std::string_view text) {
  char* escaped =
      curl_easy_escape(static_cast<CURL*>(curl_), text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

bool ClickHouseHttp::Drive(const std::function<bool()>& until) {
  auto* multi = static_cast<CURLM*>(multi_);
  while (true) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) curl_code_ = msg->data.result;
    }
    if (mc != CURLM_OK) {
      curl_code_ = CURLE_SEND_ERROR;
      running = 0;
    }
    if (running == 0) {
      curl_multi_remove_handle(multi, static_cast<CURL*>(curl_));
      return true;
    }
    if (until && until()) return false;
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
}

Result<std::string> ClickHouseHttp::Outcome(std::string_view context) {
  long http_status = 0;
  curl_easy_getinfo(static_cast<CURL*>(curl_), CURLINFO_RESPONSE_CODE, &http_status);
  // A server may fail after it sent 200 and the first rows; it then appends the
  // exception to the body and sets the header.
  if (curl_code_ == CURLE_OK && http_status == 200 && exception_code_.empty()) {
    return std::move(response_);
  }
  if (curl_code_ == CURLE_OK && http_status == 200) http_status = 500;
  const Status status =
      ClassifyClickHouseError(curl_code_, http_status, exception_code_, response_, context);
  // The server's text may quote what it was sent; the password never leaves here.
  return Status(status.code(), ScrubPassword(status.message(), endpoint_.password));
}

Result<std::string> ClickHouseHttp::Query(std::string_view sql, std::string_view context) {
  if (inserting_) return Status::Internal(std::string(context) + ": an insert is open");
  CURL* curl = static_cast<CURL*>(curl_);
  response_.clear();
  exception_code_.clear();
  curl_code_ = CURLE_OK;
  curl_easy_setopt(curl, CURLOPT_URL, base_url_.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sql.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(sql.size()));
  if (curl_multi_add_handle(static_cast<CURLM*>(multi_), curl) != CURLM_OK) {
    return Status::Internal(std::string(context) + ": curl_multi_add_handle failed");
  }
  ++requests_;
  Drive(nullptr);
  return Outcome(context);
}

Status ClickHouseHttp::Insert(std::string_view sql, std::string_view settings,
                              std::string_view data, std::string_view context) {
  RETURN_IF_ERROR(StartInsert(sql, settings, context));
  RETURN_IF_ERROR(SendInsert(data));
  return FinishInsert();
}

Status ClickHouseHttp::StartInsert(std::string_view sql, std::string_view settings,
                                   std::string_view context) {
  if (inserting_) return Status::Internal(std::string(context) + ": an insert is already open");
  CURL* curl = static_cast<CURL*>(curl_);
  std::string url = base_url_ + "?query=" + Escape(sql);
  if (!settings.empty()) {
    url += '&';
    url += settings;
  }
  if (endpoint_.gzip) {
    zlib_ = std::make_unique<z_stream>();
    // windowBits 15 + 16: a gzip wrapper, which is what Content-Encoding: gzip means.
    if (deflateInit2(zlib_.get(), Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
      zlib_.reset();
      return Status::Internal(std::string(context) + ": gzip: deflateInit2 failed");
    }
  }
  response_.clear();
  exception_code_.clear();
  curl_code_ = CURLE_OK;
  pending_.clear();
  pending_sent_ = 0;
  body_done_ = false;
  paused_ = false;
  insert_context_ = std::string(context);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, endpoint_.gzip ? gzip_headers_ : insert_headers_);
  // No POSTFIELDS: the body comes from ReadBody, in chunks of unknown total size.
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
  if (curl_multi_add_handle(static_cast<CURLM*>(multi_), curl) != CURLM_OK) {
    CancelInsert();
    return Status::Internal(insert_context_ + ": curl_multi_add_handle failed");
  }
  inserting_ = true;
  ++requests_;
  return Status::Ok();
}

Status ClickHouseHttp::Stage(std::string_view data, bool last) {
  if (pending_sent_ > 0 && pending_sent_ >= pending_.size() / 2) {
    pending_.erase(0, pending_sent_);
    pending_sent_ = 0;
  }
  if (!zlib_) {
    pending_.append(data);
    return Status::Ok();
  }
  z_stream& z = *zlib_;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  while (true) {
    const size_t at = pending_.size();
    pending_.resize(at + deflateBound(&z, z.avail_in) + 64);
    z.next_out = reinterpret_cast<Bytef*>(pending_.data() + at);
    z.avail_out = static_cast<uInt>(pending_.size() - at);
    const int rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
    pending_.resize(pending_.size() - z.avail_out);
    if (rc == Z_STREAM_END || (rc == Z_OK && !last && z.avail_in == 0)) return Status::Ok();
    if (rc != Z_OK && rc != Z_BUF_ERROR) return Status::Internal("gzip: deflate failed");
  }
}

size_t ClickHouseHttp::ReadBody(char* dest, size_t size, size_t count, void* user) {
  auto* http = static_cast<ClickHouseHttp*>(user);
  const size_t available = http->pending_.size() - http->pending_sent_;
  if (available == 0) {
    if (http->body_done_) return 0;
    http->paused_ = true;
    return CURL_READFUNC_PAUSE;
  }
  const size_t n = std::min(available, size * count);
  std::memcpy(dest, http->pending_.data() + http->pending_sent_, n);
  http->pending_sent_ += n;
  return n;
}

Status ClickHouseHttp::SendInsert(std::string_view data) {
  if (!inserting_) return Status::Internal("SendInsert without StartInsert");
  Status staged = Stage(data, false);
  if (!staged.ok()) {
    CancelInsert();
    return staged.WithContext(insert_context_);
  }
  if (paused_) {
    paused_ = false;
    curl_easy_pause(static_cast<CURL*>(curl_), CURLPAUSE_CONT);
  }
  // Sends all the connection takes now, without waiting: one pass of libcurl
  // moves one upload buffer (64 KiB), and bytes left here wait for the next
  // piece while the server may be idle. Then waits while too much is left.
  bool done = false;
  size_t before = 0;
  do {
    before = pending_sent_;
    done = Drive([] { return true; });
  } while (!done && !paused_ && pending_sent_ != before);
  if (!done) {
    done = Drive([this] { return paused_ || pending_.size() - pending_sent_ <= kMaxPendingBytes; });
  }
  if (!done) return Status::Ok();
  // The transfer ended before the body did: the server refused the insert, or
  // the connection failed.
  inserting_ = false;
  if (zlib_) deflateEnd(zlib_.get());
  zlib_.reset();
  Result<std::string> outcome = Outcome(insert_context_);
  if (outcome.has_value()) {
    return Status::Unavailable(insert_context_ + ": the server ended the insert early");
  }
  return outcome.status();
}

Status ClickHouseHttp::SendInsert(std::string* data) {
  // A large body is mostly sent by the time the next piece comes (the socket
  // takes it), so this spares a copy of nearly every byte.
  if (inserting_ && !zlib_ && pending_sent_ == pending_.size()) {
    pending_.swap(*data);
    pending_sent_ = 0;
    data->clear();
    return SendInsert(std::string_view());
  }
  Status status = SendInsert(std::string_view(*data));
  data->clear();
  return status;
}

Status ClickHouseHttp::FinishInsert() {
  if (!inserting_) return Status::Internal("FinishInsert without StartInsert");
  Status staged = zlib_ ? Stage({}, true) : Status::Ok();
  if (zlib_) deflateEnd(zlib_.get());
  zlib_.reset();
  if (!staged.ok()) {
    CancelInsert();
    return staged.WithContext(insert_context_);
  }
  body_done_ = true;
  if (paused_) {
    paused_ = false;
    curl_easy_pause(static_cast<CURL*>(curl_), CURLPAUSE_CONT);
  }
  Drive(nullptr);
  inserting_ = false;
  pending_.clear();
  pending_sent_ = 0;
  return Outcome(insert_context_).status();
}

void ClickHouseHttp::CancelInsert() noexcept {
  if (zlib_) deflateEnd(zlib_.get());
  zlib_.reset();
  if (!inserting_) return;
  inserting_ = false;
  pending_.clear();
  pending_sent_ = 0;
  CURL* curl = static_cast<CURL*>(curl_);
  // Removing a transfer that is not done closes its connection: the server never
  // sees the body's end.
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), curl);
}

}  // namespace sluice

#include "sink/clickhouse/clickhouse_http.h"

#include <curl/curl.h>
#include <zlib.h>

#include <charconv>
#include <mutex>

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

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

Status GzipInto(std::string_view data, std::string& out) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper, which is what Content-Encoding: gzip means.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("gzip: deflateInit2 failed");
  }
  out.resize(deflateBound(&z, data.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::Internal("gzip: deflate failed");
  return Status::Ok();
}

}  // namespace

std::string ClickHouseEndpoint::Redacted() const {
  return std::string(tls ? "clickhouses://" : "clickhouse://") + host + ":" + std::to_string(port) +
         "/" + database;
}

Result<ClickHouseEndpoint> ParseClickHouseUrl(std::string_view url) {
  ClickHouseEndpoint e;
  std::string_view rest;
  if (url.starts_with("clickhouse://")) {
    rest = url.substr(13);
  } else if (url.starts_with("clickhouses://")) {
    e.tls = true;
    rest = url.substr(14);
  } else {
    return Status::InvalidArgument("not a clickhouse:// or clickhouses:// URL");
  }
  e.port = e.tls ? 8443 : 8123;
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  // The last '@' before the path ends the credentials: a password may hold '@'
  // unencoded, a host may not.
  size_t slash = rest.find('/', rest.rfind('@') == std::string_view::npos ? 0 : rest.rfind('@'));
  if (slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = credentials.find(':');
    e.user = PercentDecode(credentials.substr(0, colon));
    if (colon != std::string_view::npos) e.password = PercentDecode(credentials.substr(colon + 1));
  }
  std::string_view host = rest;
  if (size_t colon = rest.rfind(':');
      colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    host = rest.substr(0, colon);
    std::string_view port = rest.substr(colon + 1);
    int value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value <= 0 || value > 65535) {
      return Status::InvalidArgument("clickhouse URL: bad port \"" + std::string(port) + "\"");
    }
    e.port = value;
  }
  if (host.empty()) return Status::InvalidArgument("clickhouse URL has no host");
  e.host = std::string(host);
  if (!path.empty()) e.database = PercentDecode(path);
  if (e.user.empty()) e.user = "default";
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param == "compression=gzip") {
      e.gzip = true;
    } else if (param == "compression=none" || param.empty()) {
      e.gzip = false;
    } else {
      return Status::InvalidArgument("clickhouse URL: unknown parameter \"" + std::string(param) +
                                     "\" (supported: compression=gzip|none)");
    }
  }
  return e;
}

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
    case kReadonly:
    case kUnknownDatabase:
      return Status::InvalidArgument(what);
    case kSyntaxError:
    case kUnknownIdentifier:
    case kUnknownTable:
      // Our queries are generated; a server that rejects one is a bug (or a table
      // dropped under us).
      return Status::Internal(what);
    default:
      break;
  }
  if (http_status == 401 || http_status == 403) return Status::InvalidArgument(what);
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
  curl_slist* gzip_headers = nullptr;
  for (curl_slist* h = headers; h != nullptr; h = h->next) {
    gzip_headers = curl_slist_append(gzip_headers, h->data);
  }
  http->gzip_headers_ = curl_slist_append(gzip_headers, "Content-Encoding: gzip");
  if (http->headers_ == nullptr || http->gzip_headers_ == nullptr) {
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
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  return http;
}

ClickHouseHttp::ClickHouseHttp(const ClickHouseEndpoint& endpoint, void* curl)
    : endpoint_(endpoint), curl_(curl) {
  const bool ipv6 = endpoint.host.find(':') != std::string::npos && endpoint.host[0] != '[';
  base_url_ = std::string(endpoint.tls ? "https://" : "http://") + (ipv6 ? "[" : "") +
              endpoint.host + (ipv6 ? "]" : "") + ":" + std::to_string(endpoint.port) + "/";
}

ClickHouseHttp::~ClickHouseHttp() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(headers_);
  curl_slist_free_all(gzip_headers_);
}

std::string ClickHouseHttp::Escape(std::string_view text) {
  char* escaped =
      curl_easy_escape(static_cast<CURL*>(curl_), text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

Result<std::string> ClickHouseHttp::Post(const std::string& url, std::string_view body, bool gzip,
                                         std::string_view context) {
  CURL* curl = static_cast<CURL*>(curl_);
  std::string response;
  exception_code_.clear();
  if (gzip) {
    RETURN_IF_ERROR(GzipInto(body, compressed_));
    body = compressed_;
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, gzip ? gzip_headers_ : headers_);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  const CURLcode rc = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  if (rc != CURLE_OK || http_status != 200) {
    return ClassifyClickHouseError(rc, http_status, exception_code_, response, context);
  }
  // A server may fail after it sent 200 and the first rows; it then appends the
  // exception to the body and sets the header.
  if (!exception_code_.empty()) {
    return ClassifyClickHouseError(rc, 500, exception_code_, response, context);
  }
  return response;
}

Result<std::string> ClickHouseHttp::Query(std::string_view sql, std::string_view context) {
  return Post(base_url_, sql, false, context);
}

Status ClickHouseHttp::Insert(std::string_view sql, std::string_view settings,
                              std::string_view data, std::string_view context) {
  std::string url = base_url_ + "?query=" + Escape(sql);
  if (!settings.empty()) {
    url += '&';
    url += settings;
  }
  return Post(url, data, endpoint_.gzip, context).status();
}

}  // namespace sluice

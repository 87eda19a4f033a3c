#include "sink/sink_scheme.h"

namespace sluice {

std::string RedactUserInfo(std::string_view url) {
  std::string out(url);
  const size_t authority = url.find("://");
  const size_t at = url.rfind('@');
  if (authority != std::string_view::npos && at != std::string_view::npos && at > authority) {
    const size_t colon = url.find(':', authority + 3);
    if (colon < at)
      out = std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
  }
  const size_t param = out.find("password=");
  if (param != std::string::npos) out = out.substr(0, param + 9) + "***";
  return out;
}

}  // namespace sluice

// JsonText: the one way sluice turns a JSON value (nlohmann-json) into text, for
// logs, rejects files, reports and status documents.
//
// nlohmann-json throws on invalid UTF-8 by default; here such bytes become U+FFFD,
// so any file name or cell can be written. It escapes C0 controls (\u001b); DEL
// and the C1 controls (U+0080..U+009F, e.g. U+009B, CSI) are escaped here too
// (\u007f, \u009b), so that a log or report shown on a terminal cannot drive it.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sluice {

// `value` as JSON text: one line when `indent` < 0, else pretty-printed with
// `indent` spaces. No trailing newline.
std::string JsonText(const nlohmann::ordered_json& value, int indent = -1);

}  // namespace sluice

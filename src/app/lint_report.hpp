#pragma once
// What `osprey lint` says about one message: its structure with each header's typed fields,
// or its defect and the status a server would answer. The same report prints as text for a
// person reading a trace, or as one JSON object for scripts.

#include <string>

#include <nlohmann/json.hpp>

#include "sip/validation.hpp"

namespace osprey::app {

// {"valid", "kind", "method", "status", "headers": [...], "error": {...}, "server_status"}.
nlohmann::json lint_json(const sip::Assessment& assessment);

// The same content for a terminal, one header per line with its typed fields indented below.
std::string lint_text(const sip::Assessment& assessment);

}  // namespace osprey::app

#include "im/end_to_end_headers.hpp"

#include <algorithm>
#include <array>

#include "sip/char_class.hpp"
#include "sip/header_id.hpp"

namespace osprey::im {
namespace {

// Names without a typed HeaderId, compared case-insensitively.
constexpr std::array<std::string_view, 4> kOtherExcluded = {
    "Remote-Party-ID",
    "Security-Client",
    "Security-Server",
    "Security-Verify",
};

}  // namespace

bool is_end_to_end(std::string_view name) {
  switch (sip::lookup_header(name)) {
    case sip::HeaderId::via:
    case sip::HeaderId::route:
    case sip::HeaderId::record_route:
    case sip::HeaderId::path:
    case sip::HeaderId::max_forwards:
    case sip::HeaderId::call_id:
    case sip::HeaderId::cseq:
    case sip::HeaderId::timestamp:
    case sip::HeaderId::from:
    case sip::HeaderId::to:
    case sip::HeaderId::content_type:
    case sip::HeaderId::content_length:
    case sip::HeaderId::date:
    case sip::HeaderId::contact:
    case sip::HeaderId::authorization:
    case sip::HeaderId::proxy_authorization:
    case sip::HeaderId::proxy_require:
    case sip::HeaderId::p_asserted_identity:
    case sip::HeaderId::p_preferred_identity:
      // Responses' own fields, never meaningful in a stored request either.
    case sip::HeaderId::www_authenticate:
    case sip::HeaderId::proxy_authenticate:
    case sip::HeaderId::authentication_info: return false;
    case sip::HeaderId::other:
      return std::none_of(kOtherExcluded.begin(), kOtherExcluded.end(),
                          [&](std::string_view excluded) { return sip::iequals(name, excluded); });
    default: return true;
  }
}

std::string end_to_end_headers(const sip::Message& request) {
  std::string stored;
  for (const sip::HeaderField& field : request.fields()) {
    if (field.removed()) continue;
    const std::string_view name = request.name(field);
    if (!is_end_to_end(name)) continue;
    stored += name;
    stored += ": ";
    // RFC 3261 §7.3.1: a folded line is one header; unfolded, each stored line is one header.
    for (char c : request.value(field)) stored += (c == '\r' || c == '\n') ? ' ' : c;
    stored += "\r\n";
  }
  return stored;
}

void for_each_stored_header(std::string_view stored,
                            const std::function<void(std::string_view name, std::string_view value)>& visit) {
  while (!stored.empty()) {
    const std::size_t end = stored.find("\r\n");
    const std::string_view line = stored.substr(0, end);
    stored.remove_prefix(end == std::string_view::npos ? stored.size() : end + 2);
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) continue;
    const std::string_view name = line.substr(0, colon);
    // Only what end_to_end_headers can have written: a token name that is still end-to-end
    // (a row written by a version with a longer list delivers no more than this one allows).
    if (!std::all_of(name.begin(), name.end(), sip::is_token_char) || !is_end_to_end(name)) continue;
    visit(name, line.substr(colon + 2));
  }
}

}  // namespace osprey::im

#pragma once
// Header names known to osprey, their canonical spelling, compact forms (RFC 3261 §7.3.3 and
// later RFCs) and whether their grammar is a comma-separated list (RFC 3261 §7.3.1).

#include <cstdint>
#include <string_view>

namespace osprey::sip {

enum class HeaderId : std::uint8_t {
  other = 0,  // any header osprey has no typed form for: kept byte-exact
  accept,
  accept_contact,
  accept_encoding,
  accept_language,
  alert_info,
  allow,
  allow_events,
  authentication_info,
  authorization,
  call_id,
  call_info,
  contact,
  content_disposition,
  content_encoding,
  content_language,
  content_length,
  content_type,
  cseq,
  date,
  diversion,
  error_info,
  event,
  expires,
  from,
  history_info,
  identity,
  identity_info,
  in_reply_to,
  max_forwards,
  mime_version,
  min_expires,
  min_se,
  organization,
  p_asserted_identity,
  p_preferred_identity,
  path,
  priority,
  privacy,
  proxy_authenticate,
  proxy_authorization,
  proxy_require,
  rack,
  reason,
  record_route,
  refer_to,
  referred_by,
  reject_contact,
  replaces,
  reply_to,
  request_disposition,
  require,
  retry_after,
  route,
  rseq,
  server,
  session_expires,
  subject,
  subscription_state,
  supported,
  timestamp,
  to,
  unsupported,
  user_agent,
  via,
  warning,
  www_authenticate,
  count_  // number of ids, not a header
};

// Case-insensitive lookup of a header name, full or compact ("v", "Via", "VIA").
HeaderId lookup_header(std::string_view name);

// Case-insensitive hash of a header name (token characters only) from its length and its first
// and last two characters: a few operations once the scanner knows where the name ends, instead
// of one per character, and enough to spread the known names over the lookup table (the lookup
// compares the whole name after a hash match, so a collision costs a probe, never a wrong id).
constexpr std::uint32_t header_name_hash(std::string_view name) {
  const std::size_t n = name.size();
  if (n == 0) return 0;
  auto folded = [name](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(name[i]) | 0x20);
  };
  std::uint32_t h = static_cast<std::uint32_t>(n);
  h = h * 31 + folded(0);
  h = h * 31 + folded(n > 1 ? 1 : 0);
  h = h * 31 + folded(n - 1);
  h = h * 31 + folded(n > 1 ? n - 2 : 0);
  return (h * 0x9E3779B1U) >> 8;
}
HeaderId lookup_header(std::string_view name, std::uint32_t hash);

// The canonical spelling used when osprey writes the header ("Call-ID", "CSeq", "WWW-Authenticate").
std::string_view canonical_name(HeaderId id);

// The compact form, or '\0' if the header has none.
char compact_form(HeaderId id);

// True if the header's grammar is a comma-separated list, so several values may share one line
// and several lines are one list (RFC 3261 §7.3.1). False for headers whose grammar has unquoted
// commas (Authorization, WWW-Authenticate, Date...) and for single-valued headers.
bool is_list_header(HeaderId id);

// True for headers that may appear at most once (RFC 3261 §20 and table 2/3): a second value is a defect.
bool is_single_valued(HeaderId id);

}  // namespace osprey::sip

#pragma once
// Topology hiding inside an SDP body (RFC 8866): the address of the origin line
// (o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>, §5.2) and of
// the connection lines (c=<nettype> <addrtype> <connection-address>, §5.7) rewritten by rule,
// e.g. an inside address replaced by the address media is reached at from outside. No media is
// relayed here: this only changes what the body says.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace osprey::sbc {

struct SdpAddressRule {
  std::string from;  // the address as it appears (case-insensitive); "*" matches any address
  std::string to;    // what it becomes; its addrtype (IP4/IP6) follows: a ':' means IP6
};

struct SdpRewriteResult {
  std::string body;
  std::size_t rewritten = 0;  // addresses changed
};

// Longest body rewritten: a larger one is returned unchanged (the parser limits messages far
// below this; the bound keeps this function's own cost bounded whoever calls it).
inline constexpr std::size_t kMaxSdpBodyLength = 64 * 1024;

// Every o= and c= line of an IN-network description whose address matches a rule (the first
// that matches) gets the rule's address; a multicast suffix ("/127/3", §5.7) is kept. Other
// lines, line endings (CRLF or LF) and malformed lines are left byte for byte as they were.
// A rule whose `to` is empty or not a plausible address (a character outside hostname and IP
// literal syntax) is ignored, so a rule cannot inject lines or fields.
SdpRewriteResult rewrite_sdp_addresses(std::string_view body, std::span<const SdpAddressRule> rules);

}  // namespace osprey::sbc

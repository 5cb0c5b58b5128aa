#pragma once
// One Via element (RFC 3261 §20.42): sent-protocol, sent-by and via-params, with the parameters
// the transaction and transport layers need (branch, received, rport, maddr, ttl) found eagerly.

#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/error.hpp"
#include "sip/host.hpp"

namespace osprey::sip {

// RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this cookie.
inline constexpr std::string_view kMagicCookie = "z9hG4bK";

struct Via {
  std::string_view text;  // the element as written
  std::string_view protocol_name;
  std::string_view protocol_version;
  std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", "WS", anything else
  std::string_view host;       // sent-by host; IPv6 with brackets
  HostKind host_kind = HostKind::none;
  std::uint16_t port = 0;
  bool has_port = false;
  std::string_view params;  // ";branch=...;rport" as written
  std::string_view branch;
  bool has_branch = false;
  std::string_view received;
  bool has_received = false;
  std::string_view rport;  // the value, empty for a bare "rport" (RFC 3581)
  bool has_rport = false;
  std::string_view maddr;
  std::optional<std::uint8_t> ttl;

  std::optional<std::string_view> param(std::string_view name) const;
  // True if the branch starts with the magic cookie (RFC 3261 §17.2.3 matching applies).
  bool rfc3261_branch() const {
    return branch.size() >= kMagicCookie.size() && branch.substr(0, 7) == kMagicCookie;
  }
};

// Parses exactly one via-parm.
Result<Via> parse_via(std::string_view element, std::size_t offset = 0);
// Parses the first via-parm of a Via header value and ignores the elements after its comma
// (they are checked when the whole header is validated).
Result<Via> parse_first_via(std::string_view value, std::size_t offset = 0);

}  // namespace osprey::sip

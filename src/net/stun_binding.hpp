#pragma once
// STUN keep-alives on the SIP UDP port (RFC 5626 §4.4.2, §8): a UA using outbound over UDP
// sends STUN Binding requests (RFC 5389) to the port it sends SIP to, and learns from the
// XOR-MAPPED-ADDRESS of the answer whether its NAT binding changed. A pure codec: no I/O.
//
// Hostile input: the request is checked to the byte (header, length, cookie, attribute
// framing); anything else is not answered. A reply is 32 bytes (IPv4) or 44 (IPv6) to a request
// of at least 20: a reflection of at most 24 bytes more than the request, never more than one
// reply per request, and the caller sends it only to a source its rate limiter admitted.

#include <optional>
#include <string>
#include <string_view>

#include "net/flow.hpp"

namespace osprey::net {

// RFC 5389 §6: the magic cookie, bytes 4-7 of every STUN message.
inline constexpr std::uint32_t kStunMagicCookie = 0x2112A442;

// True when `bytes` is framed as a STUN message (RFC 5389 §6: the two top bits zero and the
// magic cookie; RFC 5626 §4.4.2 tells it from SIP so, and a SIP message starts with a letter).
bool looks_like_stun(std::string_view bytes);

// The Binding success response (RFC 5389 §7.3.1, §15.2: XOR-MAPPED-ADDRESS of `source`, the
// transaction id copied) to a well-formed Binding request, or nullopt for anything else: a
// malformed message, another method or class (an indication needs no answer), or a request
// with a comprehension-required attribute (§7.3.1 would answer 420; a keep-alive carries none,
// and an error reply would only be more to reflect). An IPv4-mapped source is its IPv4 address.
std::optional<std::string> stun_binding_response(std::string_view request, const Endpoint& source);

}  // namespace osprey::net

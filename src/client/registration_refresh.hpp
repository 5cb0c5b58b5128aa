#pragma once
// When a registration must be refreshed (RFC 3261 §10.2.1, §10.2.4): the registrar's 200 says
// how long it keeps the binding (it may shorten what was asked), and the client registers
// again well before that.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "net/flow.hpp"
#include "registrar/granted_expires.hpp"
#include "sip/message.hpp"

namespace osprey::client {

// Over TCP and TLS the registrar sends requests back over the connection the REGISTER came on
// (RFC 5626 §5.3 style). osprey closes a connection idle for 5 minutes, so a refresh at most
// every 2 minutes also keeps that connection, the only way to reach us, open.
inline constexpr std::chrono::seconds kStreamRefreshLimit{120};

// The seconds the registrar granted a contact (registrar/granted_expires.hpp).
using registrar::granted_expires;

// When to refresh a binding granted for `granted` seconds: at half the time (the usual UA
// choice, leaving room for retransmissions and a retry), at least 1 s, and over streams at most
// kStreamRefreshLimit.
std::chrono::seconds refresh_interval(std::uint32_t granted, net::Protocol protocol);

}  // namespace osprey::client

#pragma once
// Which `[[dialplan.route]]` a call from our users takes, and the number it carries toward the
// trunk (strip, then prepend), and the Request-URI that reaches the trunk's peer.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sbc/trunk.hpp"
#include "sip/uri.hpp"

namespace osprey::sbc {

// The first route whose prefix and domain match the Request-URI (sip:/sips: with a user, or a
// tel: number); nullptr when none does.
const TrunkRoute* match_route(const std::vector<TrunkRoute>& routes, const sip::Uri& request_uri);

// The user part as it leaves: `strip` characters off the front (all of them when it is
// shorter), then `prepend`.
std::string routed_number(const TrunkRoute& route, std::string_view user);

// "sip:<number>@<peer host[:port]><peer params>": the Request-URI toward the trunk's peer.
// nullopt when `peer` is no sip:/sips: URI.
std::optional<std::string> trunk_request_uri(std::string_view peer, std::string_view number);

}  // namespace osprey::sbc

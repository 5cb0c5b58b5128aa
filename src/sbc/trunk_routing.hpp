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

struct RouteMatch {
  const TrunkRoute* route = nullptr;
  std::string number;  // as it leaves toward the trunk: strip and prepend applied
};

// The first route whose prefix and domain match the Request-URI. Routes carry numbers: the
// prefix is matched on the number the dial policy judged (security::dialled_number:
// unescaped, separators removed), and a user that is no such number (letters, '*', '#', or
// digits with anything else in the user part, "+1900555;x=1") matches no route, since the
// dial policy could not have judged it. nullopt when none matches.
std::optional<RouteMatch> match_route(const std::vector<TrunkRoute>& routes, const sip::Uri& request_uri);

// The number as it leaves: `strip` characters off the front (all of them when it is shorter),
// then `prepend`.
std::string routed_number(const TrunkRoute& route, std::string_view number);

// "sip:<number>@<peer host[:port]><peer params>": the Request-URI toward the trunk's peer.
// nullopt when `peer` is no sip:/sips: URI.
std::optional<std::string> trunk_request_uri(std::string_view peer, std::string_view number);

}  // namespace osprey::sbc

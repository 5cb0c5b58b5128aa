#pragma once
// A setup mistake the configuration reader cannot refuse, since it is sometimes meant (a lab with
// every peer on one host): a trunk whose `sources` take in this host's own addresses. A request
// from a source is taken as the trunk's call, and a trunk call is trusted by address (and by its
// inbound digest only when it has one), so our own phones on this host, or anyone able to send
// from a listening address, would reach our users as the carrier, without the digest our users
// must pass. `osprey check-config` and `osprey serve` print these as warnings.

#include <string>
#include <vector>

#include "app/config.hpp"

namespace osprey::app {

// One line per trunk and address: "trunk \"carrier\": its sources include 127.0.0.1, ...".
std::vector<std::string> trunk_source_warnings(const Config& config);

}  // namespace osprey::app

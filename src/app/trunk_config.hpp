#pragma once
// SBC mode's configuration: `[[trunk]]` sections (sbc/trunk.hpp) and the routes toward them,
// `[[dialplan.route]]`. Read with the rest of the file, errors with their line.
//
//   [[trunk]]
//   name = "carrier"                      # letters, digits, '-', '_', '.'; unique
//   peer = "sip:sip.carrier.example"      # a sip:/sips: URI, resolved by RFC 3263
//   transport = "udp"                     # optional: udp | tcp | tls, else the URI's or RFC 3263's
//   sources = ["203.0.113.0/24"]          # where its calls come from; default: the peer's IP literal
//   calls_per_second = 10                 # optional limits, 0 = none
//   max_calls = 100
//   [trunk.auth]                          # osprey answers the trunk's 401/407 with these
//   username = "..."  password = "..."  realm = "..." (optional)
//   [trunk.inbound_auth]                  # the trunk must authenticate to osprey with these
//   [trunk.register]                      # osprey registers to the trunk (needs [trunk.auth])
//   aor = "sip:4420...@sip.carrier.example"  expires = 3600  retry_after = 60
//   [trunk.identity]  read_from = ["pai", "from"]  write_from = false  write_pai = true
//                     trusted = false  diversion = "keep" | "history-info" | "diversion"
//   [trunk.session_timers]  enabled = true  session_expires = 1800  min_se = 90
//   [[trunk.rules_in]] / [[trunk.rules_out]]  header rules (docs/header-rules.md)
//
//   [[dialplan.route]]
//   prefix = "+44"   domain = ""   strip = 0   prepend = ""   trunks = ["carrier", "backup"]

#include <vector>

#include <toml++/toml.h>

#include "app/config_reader.hpp"
#include "sbc/trunk.hpp"

namespace osprey::app {

// Every `[[trunk]]` of the document's root (absent: none).
void read_trunks(ReadState& state, Section& root, std::vector<sbc::Trunk>& trunks);
// The `[[dialplan.route]]` entries of the [dialplan] section.
void read_trunk_routes(ReadState& state, Section& dialplan, std::vector<sbc::TrunkRoute>& routes);
// After both: every route names trunks that exist; a trunk that registers has credentials.
void check_trunk_routes(ReadState& state, const toml::table& document, const std::vector<sbc::Trunk>& trunks,
                        const std::vector<sbc::TrunkRoute>& routes);

}  // namespace osprey::app

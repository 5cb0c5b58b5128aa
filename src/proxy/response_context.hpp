#pragma once
// RFC 3261 §16.7: the response context of one request the proxy forwards. It maps the server
// transaction to its branches (client transactions), keeps the targets still to try (§16.6,
// one q-value group at a time) and the best final response so far (§16.7 step 6). Private to
// the ProxyCore sources (proxy_*.cpp), which share it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/flow.hpp"
#include "proxy/dialog_token_issuer.hpp"
#include "proxy/proxy_core.hpp"
#include "proxy/response_choice.hpp"
#include "proxy/target_set.hpp"
#include "sip/message.hpp"

namespace osprey::proxy {

struct ProxyCore::Context {
  Context(txn::ServerTransactionId id, const sip::Message& received)
      : server(id), request_bytes(received.raw()), outgoing(received.clone()) {}

  txn::ServerTransactionId server;
  // The request as received, for the proxy's own final responses (they copy its Via, From,
  // To...). Kept as bytes and parsed only then: most requests end with a forwarded response,
  // and a parse costs as much as the rest of the forwarding (callgrind).
  std::string request_bytes;
  sip::Message outgoing;  // after §16.4: every branch is a copy of it (§16.6 step 1); the last moved
  // A branch may be sent again (ProxyCore::retry_branch): `outgoing` is copied, never moved.
  bool keep_outgoing = false;
  bool invite = false;
  sip::Method outgoing_method = sip::Method::unknown;  // `outgoing` may have moved to a branch
  bool record_route = false;
  net::Flow arrival;  // where the request came in: its side of a double Record-Route
  std::uint64_t loop = 0;
  TargetGroups groups;
  std::size_t next_group = 0;
  std::vector<Branch> branches;
  std::optional<sip::Message> best;  // §16.7 step 6: the best final response so far
  int best_status = 0;
  std::size_t best_branch = 0;
  // §16.7 step 7: the WWW-Authenticate and Proxy-Authenticate values of every 401 and 407 so
  // far, with the branch each came from, so a forwarded 401/407 carries the other branches' too.
  std::vector<BranchChallenge> challenges;
  bool final_sent = false;
  bool cancelled = false;
  // The canonical AOR when the targets came from the location service (a served user): an
  // unreachable MESSAGE to it may be stored (RFC 3428 store-and-forward).
  std::string served_aor;
  // What the dialog tokens of our Record-Route bind (proxy/dialog_token_issuer.hpp); empty
  // call_id: no token.
  DialogTokenIssuer::Dialog dialog;
  std::string sender_identity;    // Originator::asserted_identity: store-and-forward's quotas
  std::string authenticated;      // Originator::asserted_identity alone: the dial policy's caller
  bool may_reach_gateway = true;  // Originator::may_reach_gateway
  // Stored by the delivery timeout while branches still ran (0: not): withdrawn from the store
  // if one of them delivers it after all.
  std::uint64_t stored_id = 0;
  // A sips: request: every branch over TLS, and a SIPS Record-Route (proxy/secure_routing.hpp).
  bool tls_only = false;
  // A REGISTER osprey forwards (RFC 3327): what its Supported says, for the Path it gets.
  bool register_supports_path = false;
  bool register_supports_outbound = false;
  // Sent along a Path osprey added (Originator::path_flow): a 430 goes upstream as it is, to
  // the proxy that holds the binding (RFC 5626 §5.3), not turned into 480.
  bool over_path_flow = false;
  // §16.5 / §16.7 step 4: 3xx Contacts may join the target set (RedirectSettings, an
  // out-of-dialog request with no Route left from a sender who may relay); how many did, and
  // every Request-URI of the target set (a URI is never added twice).
  bool may_recurse = false;
  std::size_t redirect_targets = 0;
  std::vector<std::string> known_uris;
};

// On every path of every step: inline, as when the proxy was one file.
inline ProxyCore::Context* ProxyCore::find(ContextKey key) {
  auto it = contexts_.find(key);
  return it == contexts_.end() ? nullptr : it->second.get();
}

}  // namespace osprey::proxy

#pragma once
// Issues the dialog tokens of osprey's Record-Route (security/dialog_token.hpp) for the proxy:
// toward the caller in the Record-Route of each branch's request, toward the callee in the
// Record-Route of every 1xx/2xx forwarded to the caller (RFC 3261 §16.7 step 4 lets a proxy
// rewrite the Record-Route value it inserted).
//
// The places a token binds are where the other side really is. A place named only by a message
// (a Contact, a Record-Route) is left out when it is osprey itself or a URI osprey retargets (a
// served domain: the location service or the gateway decide where that goes, not its host), or
// the gateway (its host, at any port): the gateway is reached in-dialog only in dialogs osprey itself routed
// to it, or that came from its address. The addresses osprey actually used (where the request came from,
// where a branch went) are always bound.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/flow.hpp"
#include "net/local_identity.hpp"
#include "proxy/target_set.hpp"
#include "security/dialog_token.hpp"
#include "sip/message.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {

// A flow as a dialog token binds it (security::DialogFlow).
security::DialogFlow dialog_flow(net::Protocol protocol, const net::Endpoint& remote);

class DialogTokenIssuer {
 public:
  // Everything passed outlives the issuer; `gateway` is the [dialplan] gateway URI, or empty.
  DialogTokenIssuer(const security::DialogToken& tokens, const net::LocalIdentity& identity,
                    std::string_view gateway);

  // The dialog a dialog-creating request starts and its caller's places; call_id empty when the
  // request lacks what a token binds.
  struct Dialog {
    std::string call_id;
    std::string caller_tag;
    std::string caller_aor;
    std::string callee_aor;
    std::vector<std::string> caller_places;
    // The caller's flow: the protocol and address the request came from (bound in the callee's
    // token, so the callee's requests reach the caller where it really is).
    std::optional<security::DialogFlow> caller_flow;
  };
  Dialog dialog_of(const sip::Message& request, const net::Flow& flow) const;
  // The callee's places a branch itself chose: its Request-URI, next hop and address.
  std::vector<std::string> branch_places(const ForwardTarget& target, const txn::Target& to) const;

  // The token of a branch's Record-Route: the callee's requests, toward the caller.
  std::string toward_caller(const Dialog& dialog, std::int64_t now) const;
  // In a 1xx/2xx with a To tag about to go to the caller: the token of each of our Record-Route
  // values becomes one for the caller's requests toward this callee (its tag, its Contact, the
  // Record-Route next to ours on its side, the branch's places), and names the callee's flow:
  // where the branch went (`callee_flow`; nullopt: none).
  void give_caller_token(sip::Message& response, const Dialog& dialog,
                         std::span<const std::string> branch_places,
                         const std::optional<security::DialogFlow>& callee_flow, std::int64_t now) const;

 private:
  // The place of a URI a message named, or empty when it may not be bound (see above).
  std::string named_place(const sip::Uri& uri) const;

  const security::DialogToken& tokens_;
  const net::LocalIdentity& identity_;
  std::string gateway_place_;
};

}  // namespace osprey::proxy

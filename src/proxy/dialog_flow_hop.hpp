#pragma once
// Where an in-dialog request goes when its dialog token names the peer's flow
// (security/dialog_token.hpp) and nothing is left to route through: RFC 5626 §5.3's idea of a
// flow token, and what Kamailio does with set_contact_alias. The Request-URI is the peer's
// Contact (§12.2.1.1), and a Contact is often not where the peer can be reached:
//  - over TCP/TLS a UA names a listening port nothing accepts on (or whose certificate osprey
//    cannot check), or its connection's ephemeral port: the request goes over the connection
//    the peer's own requests came on, while it is open (else to the Request-URI, as before);
//  - over UDP behind NAT a UA names a private address: the request goes to the address its
//    requests came from when the Request-URI host is a private or reserved literal other than
//    that address (registrar/address_scope.hpp, the rule bindings follow, binding_hop.hpp).
// The Request-URI itself is unchanged (§16.6 step 2). A sips: dialog goes over TLS only
// (proxy/secure_routing.hpp): another flow is not used. The gateway rules apply to the flow's
// address as to any other (ProxyCore::send_branch).

#include <optional>

#include "net/transport.hpp"
#include "security/dialog_token.hpp"
#include "sip/uri.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {

// The hop over `flow` toward the peer a request for `request_uri` reaches; nullopt: send to the
// Request-URI. `tls_only`: a sips: dialog.
std::optional<txn::Target> dialog_flow_hop(const security::DialogFlow& flow, const sip::Uri& request_uri,
                                           bool tls_only, const net::Transport& transport);

}  // namespace osprey::proxy

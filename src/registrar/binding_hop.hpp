#pragma once
// Where requests for one binding go: the one rule the proxy (live requests, RFC 3261 §16.5,
// §16.6 step 7) and the im layer (stored MESSAGEs) both follow. The hops come as URIs to
// resolve (an IP literal needs no lookup), in the order to try them, the next one after a
// transport error on the one before:
//  1. RFC 3327 §5.3: with a Path, the first Path URI (a loose router), alone.
//  2. Over TCP or TLS, while the connection the REGISTER came on is open (that connection by
//     its id, not a later one from the same address and port), that connection
//     (RFC 3261 §18.2.2 / RFC 5626 §5.3 flow reuse: it gets through NATs and firewalls), then
//     the Contact. Once the connection is gone, its ephemeral source port reaches nobody:
//     the Contact URI alone (host, port and transport parameter, §10.2.1).
//  3. Over UDP, the Contact URI (§16.6 step 7: the Request-URI is the next hop; a third-party
//     registration's Contact is not the sender), unless the UA is behind NAT: then the source
//     address and port of its REGISTER, where the NAT's mapping leads.
//  4. Over WS or WSS (RFC 7118 §5), that connection alone, while it is open; once it is gone,
//     no hop at all: the Contact's host is a made-up .invalid name, and a browser accepts no
//     connections, so nothing else reaches the UA until it connects and registers again.
//  5. No source (a stored record whose source could not be read): the Contact.
// An outbound binding (RFC 5626 §6, store::Binding::outbound) without Path goes over its flow
// only (§5.3): its connection while it is open, over UDP its REGISTER's source; never the
// Contact. When its connection is gone the flow has failed (BindingHops::flow_failed): the
// request is not sent, the branch is 430 (Flow Failed) and the binding is removed. Whether a
// protocol has connections is net::is_reliable, so every stream transport is covered.
//
// NAT (Kamailio nathelper's nat_uac_test, flags 1 and 2 combined): the Contact's host is a
// private or reserved IP literal (registrar/address_scope.hpp) AND differs from the address
// the REGISTER came from. Only the address counts, not the port: a UA on the same network as
// osprey may well send from another port than it listens on (nathelper's flag 128 warns about
// the same), and its Contact is then right. A UA behind NAT whose Contact carries a public
// address (learnt by STUN) is not detected: its Contact is tried, as it asked.
//
// The decision is made here, at routing time, from the binding's Contact and source: nothing
// more is stored per binding, and it holds across restarts (the store keeps both; the
// connection id it does not keep, as no connection outlives a restart).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/binding.hpp"

namespace osprey::net {
class Transport;
}

namespace osprey::registrar {

// The source as a URI: "sip:192.0.2.1:5060;transport=udp", "sip:[2001:db8::1]:5061;transport=tls".
std::string source_uri(const store::BindingSource& source);

// True when `contact` (a URI text) names a private or reserved address other than the source's.
bool contact_behind_nat(std::string_view contact, const store::BindingSource& source);

// Whether the stream connection a binding's REGISTER came on is still open; null means none is.
using ConnectionOpen = std::function<bool(const store::BindingSource& source)>;

// `transport`'s answer for the binding's own connection, by its id: a later connection from
// the same address and port (the UA reconnected, or someone else got its port) is not it.
ConnectionOpen connection_open_in(const net::Transport& transport);

// Where requests for one binding go, first to try first.
struct BindingHops {
  // Empty only for a WebSocket binding whose connection is gone (rule 4).
  std::vector<std::string> uris;
  // The first hop is the binding's own flow, the connection its REGISTER came on (rule 2): only
  // that hop may go over a connection the peer opened (txn::Target::peer_flow, RFC 5626 §5.3,
  // RFC 5923 §5). A Contact naming some open connection's address and port never may: it is
  // what the UA wrote, and may name another party's connection.
  bool first_is_own_flow = false;
  // An outbound binding whose flow (its connection) is gone: nothing to send to (RFC 5626 §5.3);
  // `uris` holds the Contact, for reports only.
  bool flow_failed = false;
};

// The one rule above, for live requests (proxy/target_set.hpp) and stored MESSAGEs
// (im/offline_delivery.hpp) alike.
BindingHops binding_hops(const store::Binding& binding, const ConnectionOpen& connection_open);

}  // namespace osprey::registrar

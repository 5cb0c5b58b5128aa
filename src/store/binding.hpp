#pragma once
// One registered contact of an address-of-record (RFC 3261 §10): what the registrar stores and
// the proxy routes to. Times are wall-clock seconds since the epoch so bindings keep their
// meaning across a restart (the durable store reloads them and drops the expired ones).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/flow.hpp"

namespace osprey::store {

// Where a binding's REGISTER came from (RFC 3261 §18.2.1): requests go back over that flow
// while its connection is open, or over UDP when the Contact is behind NAT
// (registrar/binding_hop.hpp; RFC 5626 lite).
struct BindingSource {
  net::Protocol protocol = net::Protocol::udp;
  net::Endpoint remote;  // the REGISTER's source address and port
  // Over TCP/TLS, the connection it came on: that one connection is the binding's flow (RFC
  // 5626 §5.3), not a later one from the same address and port. 0 over UDP, and in a binding
  // loaded from disk: ids restart with the process, and no connection outlives it.
  net::ConnectionId connection = 0;
  friend bool operator==(const BindingSource&, const BindingSource&) = default;
};

// The source of a request that came in on `flow`.
inline BindingSource binding_source_of(const net::Flow& flow) {
  return BindingSource{flow.protocol, flow.remote, flow.connection};
}

struct Binding {
  // The AOR in canonical form (sip::canonical_aor): "sip:alice@example.com" or
  // "sips:alice@example.com", two AORs (RFC 3261 §19.1.4).
  std::string aor;
  // The Contact URI as the UA sent it (without the name-addr's display name and header
  // parameters); two bindings are the same contact when their URIs are equivalent (§10.3 step 6,
  // §19.1.4).
  std::string contact;
  // RFC 3261 §20.10 q-value times 1000 (0..1000); 1000 when absent.
  std::uint16_t q = 1000;
  std::int64_t expires_at = 0;  // seconds since the epoch
  std::string call_id;          // §10.3 step 7: a refresh with the same Call-ID needs a higher CSeq
  std::uint32_t cseq = 0;
  // RFC 3327: the Path header values of the REGISTER, in order; requests to this contact get
  // them as Route headers.
  std::vector<std::string> path;
  // Where the REGISTER came from; none for a stored record whose source could not be read.
  std::optional<BindingSource> source;
  std::string user_agent;  // for display only
  // RFC 5626 §4.1 / RFC 5627: the device's "+sip.instance" in canonical form
  // (registrar/contact_instance.hpp), "" when the Contact had none; with `reg_id` (RFC 5626 §4.2,
  // 0 when absent) it names the binding in place of the Contact URI, which changes with every
  // new connection of a UA over TCP/TLS (RFC 5626 §6).
  std::string instance;
  std::uint32_t reg_id = 0;
  // RFC 5626 §6: registered with outbound directly over `source`: that flow is the only way to
  // the UA (registrar/binding_hop.hpp), and once it is gone the binding is (§5.3: 430). Not
  // kept on disk: no connection outlives a restart, and a binding loaded from disk is routed
  // by its Contact as before, until the UA registers again over a new flow.
  bool outbound = false;
};

}  // namespace osprey::store

#pragma once
// Who osprey is: the domains it serves and the addresses and names that reach it, as the
// proxy, access control and the local services need to know it. The addresses it listens on (RFC 3261 §16.4:
// "a value this proxy previously placed into a Record-Route"; §16.3 step 4: "a sent-by value placed into
// previous requests by this proxy"). Addresses osprey used in its own Via and Record-Route are learnt as they
// are used, so a wildcard listener is recognised by the address the system picked.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/flow.hpp"
#include "sip/route_decision.hpp"
#include "sip/uri.hpp"

namespace osprey::net {

class LocalIdentity final : public sip::OurUris {
 public:
  LocalIdentity() = default;
  explicit LocalIdentity(std::vector<std::string> domains) : domains_(std::move(domains)) {}

  const std::vector<std::string>& domains() const { return domains_; }
  // A bound listener (after port 0 got its real port).
  void add_listener(Protocol protocol, const Endpoint& at);
  // osprey has a listener of this protocol (a sips: request needs TLS, proxy/secure_routing.hpp).
  bool listens_on(Protocol protocol) const;
  // An address osprey put in a Via or Record-Route of its own.
  void add_address(const Endpoint& at);

  // The host is one of our addresses (or a served domain) and the port one of ours.
  bool is_ours(std::string_view host, std::uint16_t port) const;
  // A sip/sips URI that names this proxy (§16.4); the port defaults per scheme and transport.
  bool is_ours(const sip::Uri& uri) const override;
  // The host alone (any port) is a served domain or one of our addresses.
  bool is_our_host(std::string_view host) const;
  // True when the host is a served domain (the location service answers for it, §16.5), in any
  // spelling (sip::canonical_host).
  bool serves_domain(std::string_view host) const;
  // A sip/sips URI in a served domain, whatever its port: the test of who a From or To names.
  // A user of ours is ours on every port (a From of sip:alice@example.com:5070 is still alice);
  // only routing tells an AOR from a contact (serves_uri).
  bool names_served_domain(const sip::Uri& uri) const;
  // A URI of a served domain that is for the location service: no port, or one of ours. A
  // served host with another port (sip:127.0.0.1:5090 when 127.0.0.1 is a domain) is a UA's
  // contact, not an address-of-record.
  bool serves_uri(const sip::Uri& uri) const;

 private:
  std::vector<std::string> domains_;
  std::vector<Endpoint> addresses_;  // exact endpoints (wildcards excluded)
  std::vector<std::uint16_t> wildcard_ports_;
  std::vector<std::uint16_t> ports_;  // every listener's; empty: any port (nothing bound yet)
  std::vector<Protocol> protocols_;   // every listener's

  bool listening_on(std::uint16_t port) const;
};

}  // namespace osprey::net

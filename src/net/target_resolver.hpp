#pragma once
// Where a request for a SIP URI goes (RFC 3261 §18.1.1, §19.1.2; RFC 3263 §4 in its simple
// form): the transport from the URI (sips: means TLS; else the transport parameter; else UDP),
// the port from the URI or the scheme's default, and the host's addresses: an IP literal as it
// is, a host name through the system resolver (A/AAAA). NAPTR and SRV lookups (the full
// RFC 3263) come later; a URI with an explicit port skips them anyway (§4.2).
//
// Name lookups run on Asio's resolver thread, never on a worker's event loop: the callback is
// invoked on the io_context that owns the resolver.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "net/flow.hpp"
#include "sip/uri.hpp"

namespace osprey::net {

// What the URI alone says, before any lookup.
struct UriTarget {
  Protocol protocol = Protocol::udp;
  std::string host;  // without IPv6 brackets; the TLS server name when it is a name
  std::uint16_t port = 5060;
  bool host_is_address = false;
};

// RFC 3261 §19.1.2 / RFC 3263 §4.1 and §4.2 for a sip:/sips: URI (`maddr` wins over the host,
// §19.1.1). Errors, as a reason for the user or the log: not a SIP URI, a transport osprey does
// not speak (sctp, ws), sips: with transport=udp (§26.2.2: sips needs TLS end to end).
tl::expected<UriTarget, std::string> target_of(const sip::Uri& uri);

// One place to try: RFC 3263 §4 can give a list that mixes transports (NAPTR), so each
// address carries its own.
struct ResolvedHop {
  Protocol protocol = Protocol::udp;
  Endpoint endpoint;
  friend bool operator==(const ResolvedHop&, const ResolvedHop&) = default;
};

struct ResolvedTarget {
  std::vector<ResolvedHop> hops;  // in RFC 3263 order; try them in turn (§4.3)
  // For TLS certificate checks: the URI's host name (RFC 5922 §4: the domain of the URI, not
  // an SRV target), or empty for a literal.
  std::string server_name;
};

using ResolveCallback = std::function<void(tl::expected<ResolvedTarget, std::string>)>;

class TargetResolver {
 public:
  explicit TargetResolver(boost::asio::io_context& io_context);
  ~TargetResolver();
  TargetResolver(const TargetResolver&) = delete;
  TargetResolver& operator=(const TargetResolver&) = delete;

  // Calls `done` exactly once, on the io_context's thread: at once (posted) for an IP literal,
  // after the lookup for a host name. Never throws; a name that does not resolve is an error.
  void resolve(const sip::Uri& uri, ResolveCallback done);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace osprey::net

#pragma once
// Where a request for a SIP URI goes (RFC 3261 §18.1.1, §19.1.2; RFC 3263 §4): an IP literal
// as it is; a host name through DNS, NAPTR then SRV then A/AAAA as RFC 3263 orders them
// (rfc3263_lookup.hpp), which gives an ordered list of places to try, each with its transport.
//
// Lookups run on the io_context that owns the resolver, through c-ares driven by that loop
// (dns_channel.hpp): nothing blocks it, and the answers are cached (dns_cache.hpp).

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "net/dns_settings.hpp"
#include "net/flow.hpp"
#include "sip/uri.hpp"

namespace osprey::net {

// What the URI alone says, before any lookup.
struct UriTarget {
  Protocol protocol = Protocol::udp;
  std::string host;  // without IPv6 brackets; the TLS server name when it is a name
  std::uint16_t port = 5060;
  bool host_is_address = false;
  // What RFC 3263 §4.1/§4.2 look at to choose the lookups: a port or transport the URI states
  // skips NAPTR (and a port SRV too); sips: keeps only TLS services.
  bool port_explicit = false;
  bool transport_explicit = false;
  bool secure = false;
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
  // `settings`: the DNS servers (default: the system's), timeouts and the cache's bounds.
  explicit TargetResolver(boost::asio::io_context& io_context, const DnsSettings& settings = {});
  ~TargetResolver();
  TargetResolver(const TargetResolver&) = delete;
  TargetResolver& operator=(const TargetResolver&) = delete;

  // Calls `done` exactly once, on the io_context's thread, always posted (never inside this
  // call): at once for an IP literal or a cached answer, after the lookups otherwise, within
  // the DNS timeout. Never throws; a name that does not resolve is an error. Never called once
  // the resolver is destroyed.
  void resolve(const sip::Uri& uri, ResolveCallback done);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace osprey::net

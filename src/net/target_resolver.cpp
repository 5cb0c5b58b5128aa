#include "net/target_resolver.hpp"
#include "sip/char_class.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include <random>

#include "net/address_text.hpp"
#include "net/dns_client.hpp"
#include "net/rfc3263_lookup.hpp"
#include "sip/host.hpp"

namespace osprey::net {

tl::expected<UriTarget, std::string> target_of(const sip::Uri& uri) {
  if (!uri.is_sip()) return tl::unexpected(std::string("not a sip: or sips: URI"));
  UriTarget target;
  const bool secure = uri.scheme == sip::UriScheme::sips;
  if (auto transport = uri.param("transport")) {
    const std::string name = sip::to_ascii_lower(*transport);
    if (name == "udp") {
      if (secure) return tl::unexpected(std::string("sips: URI with transport=udp (sips needs TLS)"));
      target.protocol = Protocol::udp;
    } else if (name == "tcp") {
      // RFC 3261 §26.2.2: sips: over TCP means TLS over TCP.
      target.protocol = secure ? Protocol::tls : Protocol::tcp;
    } else if (name == "tls") {
      target.protocol = Protocol::tls;
    } else if (name == "ws" || name == "wss") {
      // RFC 7118 §7: sips: over WebSocket means WSS.
      target.protocol = secure || name == "wss" ? Protocol::wss : Protocol::ws;
    } else {
      return tl::unexpected("transport=" + name + " is not supported");
    }
  } else {
    target.protocol = secure ? Protocol::tls : Protocol::udp;
  }
  // §19.1.1: maddr overrides the host for where the request is sent.
  const auto maddr = uri.param("maddr");
  target.host = sip::without_brackets(maddr && !maddr->empty() ? *maddr : uri.host);
  if (target.host.empty()) return tl::unexpected(std::string("URI without a host"));
  // RFC 7118 §5: a WebSocket client names itself with a random .invalid host, which RFC 6761
  // §6.4 says never resolves: such a URI is reached only over that client's connection.
  if (const std::string lower = sip::to_ascii_lower(target.host);
      lower == "invalid" || lower.ends_with(".invalid") || lower.ends_with(".invalid.")) {
    return tl::unexpected(std::string("a .invalid host is never resolved (RFC 7118 §5)"));
  }
  boost::system::error_code error;
  boost::asio::ip::make_address(target.host, error);
  target.host_is_address = !error;
  target.port_explicit = uri.has_port;
  target.transport_explicit = uri.param("transport").has_value();
  target.secure = secure;
  // RFC 3263 §4.2: an explicit port is used as is; else the default of the transport.
  target.port = uri.has_port ? uri.port : default_port(target.protocol);
  return target;
}

struct TargetResolver::State {
  State(boost::asio::io_context& context, const DnsSettings& settings)
      : io_context(context), random(std::random_device{}()), dns(context, settings) {
    options.prefer_ipv6 = has_ipv6_route(context);
  }

  // RFC 6724 §6 rule 1 ("avoid unusable destinations") in its cheapest form: connecting a UDP
  // socket sends nothing, it only asks the kernel for a route. Without one, IPv4 goes first.
  static bool has_ipv6_route(boost::asio::io_context& context) {
    boost::asio::ip::udp::socket probe(context);
    boost::system::error_code error;
    probe.open(boost::asio::ip::udp::v6(), error);
    if (!error) probe.connect({boost::asio::ip::make_address("2001:4860:4860::8888", error), 53}, error);
    return !error;
  }

  boost::asio::io_context& io_context;
  std::mt19937 random;
  UniformPick pick = [this](std::uint32_t upper) {
    return std::uniform_int_distribution<std::uint32_t>(0, upper)(random);
  };
  DnsLookup lookup = [this](const std::string& name, DnsType type, DnsResultCallback done) {
    dns.lookup(name, type, std::move(done));
  };
  Rfc3263Options options;
  // Last: destroyed first, with the lookups waiting in it, which refer to the members above.
  DnsClient dns;
};

TargetResolver::TargetResolver(boost::asio::io_context& io_context, const DnsSettings& settings)
    : state_(std::make_shared<State>(io_context, settings)) {}

TargetResolver::~TargetResolver() = default;

void TargetResolver::resolve(const sip::Uri& uri, ResolveCallback done) {
  auto target = target_of(uri);
  if (!target) {
    boost::asio::post(state_->io_context, [done = std::move(done), error = target.error()]() mutable {
      done(tl::unexpected(error));
    });
    return;
  }
  if (target->host_is_address) {
    ResolvedTarget resolved;
    boost::system::error_code ignored;
    resolved.hops.push_back(
        {target->protocol, {unmapped(boost::asio::ip::make_address(target->host, ignored)), target->port}});
    boost::asio::post(state_->io_context,
                      [done = std::move(done), resolved = std::move(resolved)]() mutable { done(resolved); });
    return;
  }
  std::weak_ptr<State> weak = state_;
  resolve_rfc3263(*target, state_->lookup, state_->pick, state_->options,
                  [weak, done = std::move(done), server_name = target->host](
                      tl::expected<std::vector<ResolvedHop>, std::string> hops) mutable {
                    auto state = weak.lock();
                    if (!state) return;
                    // Posted even when the cache answered at once: the caller is never re-entered, and
                    // never runs inside c-ares's processing.
                    boost::asio::post(state->io_context,
                                      [weak, done = std::move(done), server_name = std::move(server_name),
                                       hops = std::move(hops)]() mutable {
                                        if (weak.expired()) return;  // the owner is gone: nobody to tell
                                        if (!hops) {
                                          done(tl::unexpected(std::move(hops.error())));
                                          return;
                                        }
                                        done(ResolvedTarget{std::move(*hops), std::move(server_name)});
                                      });
                  });
}

}  // namespace osprey::net

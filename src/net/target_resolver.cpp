#include "net/target_resolver.hpp"
#include "sip/char_class.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include "net/address_text.hpp"
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
  // RFC 3263 §4.2: an explicit port is used as is; else the default of the transport.
  target.port = uri.has_port ? uri.port : default_port(target.protocol);
  return target;
}

struct TargetResolver::State {
  explicit State(boost::asio::io_context& context) : io_context(context), resolver(context) {}
  boost::asio::io_context& io_context;
  boost::asio::ip::udp::resolver resolver;  // the protocol only picks the socket type for getaddrinfo
  bool closed = false;
};

TargetResolver::TargetResolver(boost::asio::io_context& io_context)
    : state_(std::make_shared<State>(io_context)) {}

TargetResolver::~TargetResolver() {
  state_->closed = true;
  state_->resolver.cancel();
}

void TargetResolver::resolve(const sip::Uri& uri, ResolveCallback done) {
  auto target = target_of(uri);
  if (!target) {
    boost::asio::post(state_->io_context, [done = std::move(done), error = target.error()]() mutable {
      done(tl::unexpected(error));
    });
    return;
  }
  ResolvedTarget resolved;
  if (target->host_is_address) {
    boost::system::error_code ignored;
    resolved.hops.push_back(
        {target->protocol, {unmapped(boost::asio::ip::make_address(target->host, ignored)), target->port}});
    boost::asio::post(state_->io_context,
                      [done = std::move(done), resolved = std::move(resolved)]() mutable { done(resolved); });
    return;
  }
  resolved.server_name = target->host;
  std::weak_ptr<State> weak = state_;
  state_->resolver.async_resolve(
      target->host, std::to_string(target->port), boost::asio::ip::resolver_base::numeric_service,
      [weak, done = std::move(done), resolved = std::move(resolved), host = target->host,
       protocol = target->protocol](const boost::system::error_code& error,
                                    boost::asio::ip::udp::resolver::results_type results) mutable {
        auto state = weak.lock();
        if (!state || state->closed) return;  // the owner is gone: nobody to tell
        if (error) {
          done(tl::unexpected("cannot resolve " + host + ": " + error.message()));
          return;
        }
        for (const auto& entry : results) {
          const auto endpoint = entry.endpoint();
          const ResolvedHop candidate{protocol, {unmapped(endpoint.address()), endpoint.port()}};
          bool seen = false;
          for (const ResolvedHop& hop : resolved.hops) seen = seen || hop == candidate;
          if (!seen) resolved.hops.push_back(candidate);
        }
        if (resolved.hops.empty()) {
          done(tl::unexpected("cannot resolve " + host + ": no address"));
          return;
        }
        done(std::move(resolved));
      });
}

}  // namespace osprey::net

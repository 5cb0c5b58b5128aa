// Where responses go (RFC 3261 §18.2.2, RFC 3581 §4) and what a server writes into the top Via
// of a request it receives so that they get there (§18.2.1).

#include <array>
#include <string>
#include <string_view>

#include "net/address_text.hpp"
#include "net/flow.hpp"
#include "sip/char_class.hpp"
#include "sip/header_id.hpp"
#include "sip/host.hpp"
#include "sip/params.hpp"
#include "sip/scanner.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::txn {

namespace {

// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the Via of such a peer says
// a.b.c.d, so both are compared (and written into `received`) in their IPv4 form.
boost::asio::ip::address normalized(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

// §18.2.1: `received` is needed when the sent-by host is a domain name or an IP address other
// than the packet's source. The host is read as an address (no formatting of the source), so
// "[2001:DB8::1]" equals a source of 2001:db8::1.
bool sent_by_is_source(const sip::Via& via, const boost::asio::ip::address& source) {
  if (via.host_kind == sip::HostKind::hostname || via.host_kind == sip::HostKind::none) return false;
  const auto address = net::parse_address(sip::without_brackets(via.host));
  return address && normalized(*address) == source;
}

}  // namespace

net::Flow response_flow(const sip::Message& request, const net::Flow& arrival) {
  // §18.2.2: over a reliable transport the response goes back on the connection the request
  // came on (the caller falls back to a new connection if that one is gone).
  if (net::is_reliable(arrival.protocol)) return arrival;
  net::Flow flow = arrival;
  flow.connection = 0;
  const auto& via = request.top_via();
  // Sanity checks reject a request without Via; should one get here, its source is the only
  // address known.
  if (!via) return flow;
  // RFC 3581 §4: with rport, the response goes to the source address and port, from the
  // socket the request arrived on, so it passes back through the client's NAT binding.
  if (via->has_rport) return flow;
  // §18.2.2: otherwise to the `received` address (which §18.2.1 sets to the source address
  // whenever it differs from sent-by) and the sent-by port, 5060 if there is none. maddr
  // (multicast) is not supported and ignored.
  flow.remote.port = via->has_port ? via->port : net::default_port(net::Protocol::udp);
  return flow;
}

bool stamp_received(sip::Message& request, const net::Flow& arrival) {
  const auto& via = request.top_via();
  if (!via) return false;
  const auto source = normalized(arrival.remote.address);
  // RFC 3581 §4: a bare rport gets the source port, and then `received` MUST be added even
  // when the sent-by address equals the source.
  const bool fill_rport = via->has_rport && via->rport.empty();
  if (!fill_rport && sent_by_is_source(*via, source)) return false;

  // Rebuild the element: sent-protocol and sent-by as written, each parameter in its place
  // except a `received` the client wrote (replaced by ours), then received=<source>.
  std::string element;
  std::string_view text = via->text;
  std::size_t params_at = text.size();
  if (!via->params.empty()) params_at = static_cast<std::size_t>(via->params.data() - text.data());
  element.append(sip::trim_lws(text.substr(0, params_at)));
  sip::for_each_param(via->params, [&](const sip::Param& param) {
    if (sip::iequals(param.name, "received")) return true;
    element.push_back(';');
    element.append(param.name);
    if (fill_rport && sip::iequals(param.name, "rport")) {
      element.push_back('=');
      element.append(std::to_string(arrival.remote.port));
    } else if (param.has_value) {
      element.push_back('=');
      element.append(param.value);
    }
    return true;
  });
  // §20.42: received carries the address without brackets, IPv6 too.
  element.append(";received=");
  element.append(net::address_text(source));

  request.stamp_top_via(element);
  return true;
}

}  // namespace osprey::txn

#include "proxy/loop_check.hpp"

#include "net/flow.hpp"
#include "sip/via.hpp"

namespace osprey::proxy {

bool passed_through_us(const sip::Message& request, const net::LocalIdentity& identity) {
  bool been_here = false;
  request.for_each_element(sip::HeaderId::via, [&](std::string_view element) {
    auto via = sip::parse_via(element);
    if (!via) return true;
    const auto protocol = net::protocol_from_via(via->transport).value_or(net::Protocol::udp);
    const std::uint16_t port = via->has_port ? via->port : net::default_port(protocol);
    if (identity.is_ours(via->host, port)) been_here = true;
    return !been_here;
  });
  return been_here;
}

}  // namespace osprey::proxy

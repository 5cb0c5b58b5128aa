#include "proxy/target_set.hpp"

#include <algorithm>
#include <charconv>

#include "sip/route.hpp"

namespace osprey::proxy {

std::optional<txn::Target> target_from_source(std::string_view source) {
  const auto colon = source.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view scheme = source.substr(0, colon);
  const std::string_view rest = source.substr(colon + 1);
  const auto port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos) return std::nullopt;
  std::string_view host = rest.substr(0, port_colon);
  const std::string_view port_text = rest.substr(port_colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto protocol = net::protocol_from_via(scheme);
  if (!protocol) return std::nullopt;
  std::uint16_t port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0) return std::nullopt;
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(std::string(host), bad);
  if (bad) return std::nullopt;
  txn::Target target;
  target.protocol = *protocol;
  target.destination = {address, port};
  return target;
}

TargetGroups target_groups(const std::vector<registrar::Binding>& bindings) {
  std::vector<const registrar::Binding*> sorted;
  for (const auto& binding : bindings) sorted.push_back(&binding);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->q > b->q; });
  TargetGroups groups;
  int last_q = -1;
  for (const registrar::Binding* binding : sorted) {
    ForwardTarget target;
    target.request_uri = binding->contact;
    target.routes = binding->path;
    if (!binding->path.empty()) {
      // RFC 3327 §5.3: the request goes to the first Path entry, a loose router.
      if (auto parsed = sip::parse_route_list(binding->path.front(), "Path"); parsed && !parsed->empty())
        target.next_hop = std::string(parsed->front().uri.text);
    } else {
      target.destination = target_from_source(binding->source);
      if (!target.destination) target.next_hop = binding->contact;
    }
    if (groups.empty() || binding->q != last_q) groups.emplace_back();
    last_q = binding->q;
    groups.back().push_back(std::move(target));
  }
  return groups;
}

}  // namespace osprey::proxy

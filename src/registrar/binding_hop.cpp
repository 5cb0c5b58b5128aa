#include "registrar/binding_hop.hpp"

#include <charconv>

#include "registrar/address_scope.hpp"
#include "sip/route.hpp"
#include "sip/uri.hpp"

namespace osprey::registrar {

std::optional<BindingSource> read_source(std::string_view source) {
  const auto colon = source.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  BindingSource result;
  result.transport = std::string(source.substr(0, colon));
  if (result.transport != "udp" && !result.stream()) return std::nullopt;
  const std::string_view rest = source.substr(colon + 1);
  const auto port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos) return std::nullopt;
  std::string_view host = rest.substr(0, port_colon);
  const std::string_view port_text = rest.substr(port_colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!is_ip_literal(host)) return std::nullopt;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), result.port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || result.port == 0)
    return std::nullopt;
  result.host = std::string(host);
  return result;
}

std::string source_uri(const BindingSource& source) {
  const bool v6 = source.host.find(':') != std::string::npos;
  return "sip:" + (v6 ? "[" + source.host + "]" : source.host) + ":" + std::to_string(source.port) +
         ";transport=" + source.transport;
}

bool contact_behind_nat(std::string_view contact, const BindingSource& source) {
  auto uri = sip::parse_uri(contact);
  if (!uri || !uri->is_sip()) return false;
  // §19.1.1: maddr, when present, is where a request to the URI goes.
  const auto maddr = uri->param("maddr");
  const std::string_view host = maddr && !maddr->empty() ? *maddr : uri->host;
  if (!is_private_address(host)) return false;
  return canonical_address(host) != canonical_address(source.host);
}

std::vector<std::string> binding_next_hops(const store::Binding& binding, bool source_flow_open) {
  if (!binding.path.empty()) {
    // RFC 3327 §5.3: the request goes to the first Path entry, a loose router.
    if (auto parsed = sip::parse_route_list(binding.path.front(), "Path"); parsed && !parsed->empty())
      return {std::string(parsed->front().uri.text)};
  }
  const auto source = read_source(binding.source);
  if (!source) return {binding.contact};
  if (source->stream()) {
    if (source_flow_open) return {source_uri(*source), binding.contact};
    return {binding.contact};
  }
  if (contact_behind_nat(binding.contact, *source)) return {source_uri(*source)};
  return {binding.contact};
}

bool first_hop_is_own_flow(const store::Binding& binding, bool source_flow_open) {
  if (!source_flow_open) return false;
  if (!binding.path.empty()) {
    // As binding_next_hops: a readable Path comes first, and it is not the UA's flow.
    if (auto parsed = sip::parse_route_list(binding.path.front(), "Path"); parsed && !parsed->empty())
      return false;
  }
  const auto source = read_source(binding.source);
  return source && source->stream();
}

}  // namespace osprey::registrar

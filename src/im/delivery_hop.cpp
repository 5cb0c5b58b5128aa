#include "im/delivery_hop.hpp"

#include "sip/route.hpp"

namespace osprey::im {

std::string next_hop_uri(const registrar::Binding& binding) {
  if (!binding.path.empty()) {
    if (auto parsed = sip::parse_route_list(binding.path.front(), "Path"); parsed && !parsed->empty())
      return std::string(parsed->front().uri.text);
  }
  // The source is "<transport>:<host>:<port>" (registrar_service.cpp source_of), IPv6 bracketed.
  const auto colon = binding.source.find(':');
  if (colon != std::string::npos && colon > 0 && colon + 1 < binding.source.size()) {
    return "sip:" + binding.source.substr(colon + 1) + ";transport=" + binding.source.substr(0, colon);
  }
  return binding.contact;
}

DeliveryAddress delivery_address(const registrar::Binding& binding, std::string call_id) {
  return DeliveryAddress{binding.contact, binding.path, std::move(call_id)};
}

}  // namespace osprey::im

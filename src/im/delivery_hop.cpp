#include "im/delivery_hop.hpp"

namespace osprey::im {

DeliveryAddress delivery_address(const store::Binding& binding, std::string call_id) {
  return DeliveryAddress{binding.contact, binding.path, std::move(call_id)};
}

}  // namespace osprey::im

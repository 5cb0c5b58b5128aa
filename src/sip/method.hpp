#pragma once
// SIP methods. Method names are case-sensitive (RFC 3261 §7.1); unknown ones are kept as text.

#include <cstdint>
#include <string_view>

namespace osprey::sip {

enum class Method : std::uint8_t {
  unknown,
  invite,
  ack,
  bye,
  cancel,
  register_,
  options,
  info,
  update,
  prack,
  subscribe,
  notify,
  refer,
  message,
  publish,
};

Method lookup_method(std::string_view name);

}  // namespace osprey::sip

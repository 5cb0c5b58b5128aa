#include "sip/method.hpp"

#include <array>

namespace osprey::sip {
namespace {
constexpr std::array<std::string_view, 15> kNames{
    "",       "INVITE", "ACK",       "BYE",    "CANCEL", "REGISTER", "OPTIONS", "INFO",
    "UPDATE", "PRACK",  "SUBSCRIBE", "NOTIFY", "REFER",  "MESSAGE",  "PUBLISH",
};
}  // namespace

Method lookup_method(std::string_view name) {
  for (std::size_t i = 1; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Method>(i);
  }
  return Method::unknown;
}

}  // namespace osprey::sip

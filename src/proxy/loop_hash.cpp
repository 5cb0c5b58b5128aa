#include "proxy/loop_hash.hpp"

#include <string_view>

namespace osprey::proxy {

namespace {
// FNV-1a, 64 bits: not cryptographic; it only has to separate requests that differ.
struct Fnv {
  std::uint64_t value = 14695981039346656037ull;
  void add(std::string_view text) {
    for (unsigned char c : text) {
      value ^= c;
      value *= 1099511628211ull;
    }
    value ^= 0xff;  // a separator, so ("ab","c") differs from ("a","bc")
    value *= 1099511628211ull;
  }
};
}  // namespace

std::uint64_t loop_hash(const sip::Message& request) {
  Fnv fnv;
  fnv.add(request.to() ? request.to()->tag() : std::string_view{});
  fnv.add(request.from() ? request.from()->tag() : std::string_view{});
  fnv.add(request.call_id().value_or(std::string_view{}));
  fnv.add(request.cseq() ? std::to_string(request.cseq()->number) : std::string{});
  fnv.add(request.request_uri().text);
  std::string_view top_route;
  request.for_each_element(sip::HeaderId::route, [&](std::string_view element) {
    top_route = element;
    return false;
  });
  fnv.add(top_route);
  fnv.add(request.first_value(sip::HeaderId::proxy_require).value_or(std::string_view{}));
  fnv.add(request.first_value(sip::HeaderId::proxy_authorization).value_or(std::string_view{}));
  return fnv.value;
}

}  // namespace osprey::proxy

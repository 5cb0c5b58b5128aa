// STUN keep-alives on the SIP UDP port (net/stun_binding.hpp): any datagram, from an IPv4 or an
// IPv6 source, is either not answered or answered with one Binding success response of the
// documented size that echoes the request's transaction id (RFC 5389 §7.3.1) — never a crash,
// never a larger reflection.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "net/stun_binding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace osprey;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const net::Endpoint sources[] = {
      {boost::asio::ip::make_address("192.0.2.7"), 5060},
      {boost::asio::ip::make_address("2001:db8::7"), 40000},
      {boost::asio::ip::make_address("::ffff:198.51.100.1"), 1},
  };
  for (const net::Endpoint& source : sources) {
    const auto reply = net::stun_binding_response(bytes, source);
    if (!reply) continue;
    OSPREY_FUZZ_CHECK(net::looks_like_stun(bytes));
    OSPREY_FUZZ_CHECK(reply->size() == 32 || reply->size() == 44);
    OSPREY_FUZZ_CHECK(reply->size() <= size + 24);
    OSPREY_FUZZ_CHECK(reply->compare(8, 12, bytes.substr(8, 12)) == 0);  // the transaction id
  }
  return 0;
}

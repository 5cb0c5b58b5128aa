#pragma once
// Messages shared by the transaction tests.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/builder.hpp"
#include "sip/message.hpp"

namespace osprey::txn::testing {

inline constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds\r\n"
    "Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:p1.example.com;lr>\r\n"
    "Route: <sip:p2.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

inline constexpr std::string_view kOptions =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carol@chicago.example.com>\r\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";

inline sip::Message parse(std::string_view text) {
  auto message = sip::Message::parse(std::string(text));
  if (!message) {
    ADD_FAILURE() << message.error().reason;
    std::abort();  // the fixtures are fixed text: a parse failure is a broken test
  }
  return std::move(*message);
}

// A response to `request` with a To tag (none for 100, as §8.2.6.2 says).
inline sip::Message response_to(const sip::Message& request, int status, std::string_view to_tag = "b0b") {
  auto response = sip::MessageBuilder::response_to(request, status, {}, status == 100 ? "" : to_tag).build();
  if (!response) {
    ADD_FAILURE() << response.error().reason;
    std::abort();
  }
  return std::move(*response);
}

inline std::string response_bytes(const sip::Message& request, int status, std::string_view to_tag = "b0b") {
  return sip::MessageBuilder::response_to(request, status, {}, status == 100 ? "" : to_tag).serialize();
}

}  // namespace osprey::txn::testing

#pragma once
// Messages the identity tests share: an inbound INVITE with the headers a test adds, and the
// outbound INVITE as the B2BUA builds it before identity normalisation.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "sip/char_class.hpp"
#include "sip/message.hpp"

namespace osprey::sbc::testing {

inline sip::Message inbound_invite(std::string_view extra_headers,
                                   std::string_view from = "\"Alice Smith\" <sip:alice@10.0.0.5>;tag=a1",
                                   std::string_view request_uri = "sip:+15550100@osprey.example.com") {
  std::string text = "INVITE " + std::string(request_uri) +
                     " SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-in1\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: " +
                     std::string(from) +
                     "\r\n"
                     "To: <" +
                     std::string(request_uri) +
                     ">\r\n"
                     "Call-ID: in-call@10.0.0.5\r\n"
                     "CSeq: 1 INVITE\r\n"
                     "Contact: <sip:alice@10.0.0.5:5060>\r\n" +
                     std::string(extra_headers) + "Content-Length: 0\r\n\r\n";
  auto parsed = sip::Message::parse(std::move(text));
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().reason);
  return std::move(*parsed);
}

// The B leg: osprey's own From (new tag), Call-ID, Via, Contact.
inline sip::Message outbound_invite() {
  auto parsed =
      sip::Message::parse(std::string("INVITE sip:+15550100@carrier.example.net SIP/2.0\r\n"
                                      "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-out1\r\n"
                                      "Max-Forwards: 69\r\n"
                                      "From: <sip:alice@198.51.100.1>;tag=b2b-tag-1\r\n"
                                      "To: <sip:+15550100@carrier.example.net>\r\n"
                                      "Call-ID: b-leg-1@198.51.100.1\r\n"
                                      "CSeq: 1 INVITE\r\n"
                                      "Contact: <sip:leg-x@198.51.100.1:5060>\r\n"
                                      "Content-Length: 0\r\n\r\n"));
  EXPECT_TRUE(parsed.has_value());
  return std::move(*parsed);
}

// The message as it would go on the wire, parsed again.
inline sip::Message on_the_wire(const sip::Message& message) {
  auto parsed = sip::Message::parse(message.serialize());
  EXPECT_TRUE(parsed.has_value()) << message.serialize();
  return std::move(*parsed);
}

inline std::vector<std::string> values_of(const sip::Message& message, std::string_view name) {
  std::vector<std::string> out;
  for (const sip::HeaderField& field : message.fields()) {
    if (!field.removed() && sip::iequals(message.name(field), name)) out.emplace_back(message.value(field));
  }
  return out;
}

}  // namespace osprey::sbc::testing

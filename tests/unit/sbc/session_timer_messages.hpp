#pragma once
// SIP messages for the session timer tests: an INVITE and responses to it, with extra headers.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::sbc::test_messages {

inline sip::Message parse(std::string text) {
  auto m = sip::Message::parse(std::move(text));
  EXPECT_TRUE(m) << m.error().reason;
  return std::move(*m);
}

// An INVITE (or `method`) from the leg's peer with `headers` (each ending in CRLF).
inline sip::Message request(std::string_view headers, std::string_view method = "INVITE") {
  std::string text = std::string(method) +
                     " sip:bob@biloxi.example SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bK776asdhds\r\n"
                     "Max-Forwards: 70\r\n"
                     "To: <sip:bob@biloxi.example>\r\n"
                     "From: <sip:alice@atlanta.example>;tag=1928301774\r\n"
                     "Call-ID: a84b4c76e66710\r\n"
                     "CSeq: 314159 " +
                     std::string(method) + "\r\n";
  text += headers;
  text += "Content-Length: 0\r\n\r\n";
  return parse(std::move(text));
}

// A response to that INVITE with `status` and `headers`.
inline sip::Message response(int status, std::string_view headers) {
  std::string text = "SIP/2.0 " + std::to_string(status) +
                     " Whatever\r\n"
                     "Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bK776asdhds\r\n"
                     "To: <sip:bob@biloxi.example>;tag=a6c85cf\r\n"
                     "From: <sip:alice@atlanta.example>;tag=1928301774\r\n"
                     "Call-ID: a84b4c76e66710\r\n"
                     "CSeq: 314159 INVITE\r\n";
  text += headers;
  text += "Content-Length: 0\r\n\r\n";
  return parse(std::move(text));
}

}  // namespace osprey::sbc::test_messages

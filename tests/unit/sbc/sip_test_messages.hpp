#pragma once
// Messages the trunk tests share: a request toward a trunk and the trunk's challenges.

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "digest_test_messages.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::sbc::testing {

inline sip::Message parsed_message(const std::string& text) {
  auto message = sip::Message::parse(text);
  EXPECT_TRUE(message) << (message ? "" : message.error().reason) << "\n" << text;
  return std::move(*message);
}

inline sip::Message invite_toward_trunk() {
  return parsed_message(
      "INVITE sip:+442071234567@carrier.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1;rport\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:+15551230000@osprey.example.net>;tag=f1\r\n"
      "To: <sip:+442071234567@carrier.example.com>\r\n"
      "Call-ID: leg-b-1\r\n"
      "CSeq: 1 INVITE\r\n"
      "Contact: <sip:leg-x@192.0.2.1:5060>\r\n"
      "Content-Length: 0\r\n\r\n");
}

// A 401 or 407 with challenge lines (full header lines, each ending in CRLF).
using osprey::testing::challenge_response;  // digest_test_messages.hpp

// One WWW-Authenticate (401) or Proxy-Authenticate (407) line.
inline std::string challenge_line(int status, std::string_view realm, std::string_view nonce,
                                  std::string_view algorithm, std::string_view extra = ", qop=\"auth\"") {
  return std::string(status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate") + ": Digest realm=\"" +
         std::string(realm) + "\", nonce=\"" + std::string(nonce) +
         "\", algorithm=" + std::string(algorithm) + std::string(extra) + "\r\n";
}

using osprey::testing::lines_of;  // digest_test_messages.hpp

}  // namespace osprey::sbc::testing

#pragma once
// Messages the Digest tests share (security's answers, the client's credentials): 401/407
// responses with challenge lines, a REGISTER to answer them for, and the lines a message carries.
// Header-only: each layer's test executable includes it (tests/unit is on the include path).

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sip/auth_headers.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::testing {

// The parameters view `value`, which must outlive them.
inline sip::AuthParams parsed(const std::string& value) {
  auto credentials = sip::parse_credentials(value);
  EXPECT_TRUE(credentials) << value;
  return credentials ? std::move(*credentials) : sip::AuthParams{};
}

inline sip::Message message(const std::string& text) {
  auto message = sip::Message::parse(text);
  EXPECT_TRUE(message) << (message ? "" : message.error().reason);
  return std::move(*message);
}

inline sip::Message challenge_response(int status, const std::string& challenge_headers) {
  return message("SIP/2.0 " + std::to_string(status) +
                 " Challenge\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
                 "From: <sip:alice@example.com>;tag=a1\r\n"
                 "To: <sip:alice@example.com>;tag=r1\r\n"
                 "Call-ID: c1\r\n"
                 "CSeq: 1 REGISTER\r\n" +
                 challenge_headers + "Content-Length: 0\r\n\r\n");
}

inline sip::Message register_request() {
  return message(
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@example.com>;tag=a1\r\n"
      "To: <sip:alice@example.com>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 REGISTER\r\n"
      "Content-Length: 0\r\n\r\n");
}

inline std::string www(std::string_view realm, std::string_view nonce, std::string_view algorithm,
                       std::string_view extra = ", qop=\"auth\"") {
  return "WWW-Authenticate: Digest realm=\"" + std::string(realm) + "\", nonce=\"" + std::string(nonce) +
         "\", algorithm=" + std::string(algorithm) + std::string(extra) + "\r\n";
}

inline std::vector<std::string> lines_of(const sip::Message& request, sip::HeaderId id) {
  std::vector<std::string> lines;
  request.for_each_line(id, [&](std::string_view value) {
    lines.emplace_back(value);
    return true;
  });
  return lines;
}

}  // namespace osprey::testing

#pragma once
// REGISTER requests for the registrar tests, built from the parts a test varies.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "sip/message.hpp"
#include "store/binding_source_text.hpp"

namespace osprey::registrar::testing {

struct RegisterText {
  std::string request_uri = "sip:example.com";
  std::string to = "<sip:alice@example.com>";
  std::string call_id = "843817637684230@998sdasdh09";
  std::uint32_t cseq = 1826;
  std::vector<std::string> headers;  // whole lines without CRLF: "Contact: <sip:alice@192.0.2.4>"

  RegisterText& with_request_uri(std::string uri) {
    request_uri = std::move(uri);
    return *this;
  }
  RegisterText& with_to(std::string value) {
    to = std::move(value);
    return *this;
  }
  RegisterText& with_cseq(std::uint32_t number) {
    cseq = number;
    return *this;
  }
  RegisterText& header(std::string line) {
    headers.push_back(std::move(line));
    return *this;
  }

  std::string text() const {
    std::string t = "REGISTER " + request_uri + " SIP/2.0\r\n";
    t += "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7\r\n";
    t += "Max-Forwards: 70\r\n";
    t += "To: " + to + "\r\n";
    t += "From: <sip:alice@example.com>;tag=456248\r\n";
    t += "Call-ID: " + call_id + "\r\n";
    t += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
    for (const std::string& line : headers) t += line + "\r\n";
    t += "Content-Length: 0\r\n\r\n";
    return t;
  }

  sip::Message parse() const {
    auto message = sip::Message::parse(text());
    if (!message) {
      ADD_FAILURE() << message.error().reason;
      std::abort();  // every test message is meant to parse
    }
    return std::move(*message);
  }
};

inline const std::vector<std::string> kDomains{"example.com", "192.0.2.10", "[2001:db8::10]"};

// A REGISTER's source written as the store writes it ("udp:192.0.2.4:5060"); the test fails on
// a typo.
inline store::BindingSource source_of_text(std::string_view text) {
  auto source = store::parse_source_text(text);
  EXPECT_TRUE(source) << text;
  return source.value_or(store::BindingSource{});
}

}  // namespace osprey::registrar::testing

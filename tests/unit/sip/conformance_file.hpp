#pragma once
// Reads a torture-test message from tests/conformance/ (RFC 4475, RFC 5118) byte-exact, for the
// typed-header tests that use them as extra inputs.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "sip/message.hpp"

namespace osprey::sip::test_files {

// Parses `text`, failing the current test (not aborting) when it does not parse.
inline Message parse_message(std::string text) {
  auto m = Message::parse(std::move(text));
  EXPECT_TRUE(m) << m.error().reason;
  return std::move(*m);
}

// A typed-header parse error as every parser reports one: header_syntax, 400, "Malformed <Header>...".
inline void expect_malformed(const ParseError& e, std::string_view header) {
  EXPECT_EQ(e.category, ErrorCategory::header_syntax);
  EXPECT_EQ(e.server_status, 400);
  EXPECT_EQ(e.header, header);
  EXPECT_EQ(e.reason.rfind("Malformed " + std::string(header), 0), 0u) << e.reason;
}

// An RFC 3261 §24.2 INVITE carrying `headers` (each ending in CRLF) before its Content-Length.
inline std::string request_with(std::string_view headers) {
  std::string text =
      "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n"
      "Max-Forwards: 70\r\n"
      "To: Bob <sip:bob@biloxi.com>\r\n"
      "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710\r\n"
      "CSeq: 314159 INVITE\r\n";
  text += headers;
  text += "Content-Length: 0\r\n\r\n";
  return text;
}

// The source tree as CMake names it (OSPREY_SOURCE_DIR): __FILE__ is relative under compiler
// caches that rewrite paths, and the tests run from the build tree.
inline std::filesystem::path conformance_dir() {
  return std::filesystem::path(OSPREY_SOURCE_DIR) / "tests" / "conformance";
}

inline std::string read_conformance_file(std::string_view relative) {
  std::filesystem::path path = conformance_dir() / std::string(relative);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Replaces the first occurrence of `from` in `text` by `to` (to take one defect out of a message
// that has several, so the defect under test is the only one left).
inline std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace osprey::sip::test_files

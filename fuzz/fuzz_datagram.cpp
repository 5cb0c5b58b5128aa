// Fuzzes Message::parse_borrowed on a datagram (RFC 3261 §18.3: bytes after the body are
// ignored) and then the editing API. Properties checked:
//  - an unedited message serializes to exactly its raw bytes;
//  - validate_headers / check_request never crash;
//  - after edits driven by the input, the serialized message re-parses (when the original passed
//    validate_headers), has one Content-Length equal to its body size, the same header lines in
//    the same order, the same body and Request-URI; a clone serializes identically;
//  - the stateless error answer built from the raw bytes is a single, bounded header block.
// The edits are steered by the bytes after the message (the datagram's ignored tail) and then by
// a sequence seeded from the whole input.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"
#include "sip/stateless_reply.hpp"
#include "sip/validation.hpp"

namespace {

using osprey::fuzz::Choices;
using osprey::sip::HeaderField;
using osprey::sip::HeaderId;
using osprey::sip::Message;
using osprey::sip::ParseOptions;

struct Line {
  HeaderId id;
  std::string_view value;
};

// Header values that are valid for the eagerly parsed headers too, so adding them keeps the
// message parseable.
constexpr std::array<Line, 14> kLines{{
    {HeaderId::via, "SIP/2.0/UDP fuzz.example.net:5060;branch=z9hG4bKfuzz1;rport"},
    {HeaderId::via, "SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKfuzz2, SIP/2.0/UDP 192.0.2.7"},
    {HeaderId::route, "<sip:proxy1.example.net;lr>, <sip:proxy2.example.net;lr>"},
    {HeaderId::record_route, "<sip:rr.example.net;lr>"},
    {HeaderId::cseq, "4711 INVITE"},
    {HeaderId::call_id, "fuzz-call@example.net"},
    {HeaderId::from, "\"Fuzz \\\"er\\\"\" <sip:fuzz@example.net>;tag=f1"},
    {HeaderId::to, "<sip:target@example.net>"},
    {HeaderId::max_forwards, "69"},
    {HeaderId::content_type, "application/sdp"},
    {HeaderId::content_length, "0"},
    {HeaderId::contact, "<sip:fuzz@192.0.2.1:5060;transport=udp>;expires=60"},
    {HeaderId::subject, "fuzzing, with commas"},
    {HeaderId::other, "x-value"},
}};

// Ids worth removing: the transaction key, list headers, framing.
constexpr std::array<HeaderId, 10> kRemovable{
    HeaderId::via,  HeaderId::route,       HeaderId::record_route,   HeaderId::contact,
    HeaderId::from, HeaderId::to,          HeaderId::content_length, HeaderId::content_type,
    HeaderId::cseq, HeaderId::max_forwards};

// The (name, value) of every live header line except Content-Length, in order.
std::vector<std::pair<std::string_view, std::string_view>> live_lines(const Message& m) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const HeaderField& f : m.fields()) {
    if (f.removed() || f.id == HeaderId::content_length) continue;
    out.emplace_back(m.name(f), m.value(f));
  }
  return out;
}

bool has_empty_via_line(const Message& m) {
  bool empty = false;
  m.for_each_line(HeaderId::via, [&](std::string_view v) {
    empty = v.find_first_not_of(" \t\r\n") == std::string_view::npos;
    return !empty;
  });
  return empty;
}

bool has_bare_cr_in_headers(const Message& m) {
  for (const HeaderField& f : m.fields()) {
    std::string_view v = m.value(f);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\r' && (i + 1 >= v.size() || v[i + 1] != '\n')) return true;
    }
  }
  return false;
}

void apply_edits(Message& m, std::string_view input, Choices& choices, std::string& expected_uri) {
  std::size_t edits = 1 + choices.below(6);
  for (std::size_t i = 0; i < edits; ++i) {
    switch (choices.below(9)) {
      case 0: m.prepend_via(kLines[choices.below(2)].value); break;
      case 1: (void)m.remove_first_element(HeaderId::route); break;
      case 2: m.remove_headers(kRemovable[choices.below(kRemovable.size())]); break;
      case 3: {
        // A slice of the input as the new body: any bytes at all, framed by Content-Length.
        std::size_t begin = choices.below(input.size() + 1);
        std::size_t length = choices.below(input.size() - begin + 1);
        std::string_view type = choices.below(2) == 0 ? std::string_view{} : "text/plain;charset=utf-8";
        m.set_body(input.substr(begin, length), type);
        break;
      }
      case 4: {
        const Line& line = kLines[choices.below(kLines.size())];
        if (line.id == HeaderId::other) {
          m.add_header("X-Fuzz", line.value);
        } else {
          m.add_header(line.id, line.value);
        }
        break;
      }
      case 5: {
        const Line& line = kLines[choices.below(kLines.size() - 1)];
        m.replace_header(line.id, line.value);
        break;
      }
      case 6: (void)m.remove_first_element(HeaderId::via); break;
      case 7:
        if (m.is_request()) {
          expected_uri = choices.below(2) == 0 ? "sip:fuzz@example.net;transport=tcp" : "tel:+15551234567";
          m.set_request_uri(expected_uri);
        }
        break;
      case 8: {
        // Remove by the name as written, picking an existing line.
        if (m.fields().size() == 0) break;
        const HeaderField& f = m.fields()[choices.below(m.fields().size())];
        std::string name(m.name(f));
        m.remove_headers(name);
        break;
      }
    }
  }
}

}  // namespace

// The stateless error answer built from raw bytes (sip/stateless_reply.hpp) is one header block:
// its only empty line is the last, so nothing in the input can smuggle a header or a body into
// it, and it is never much larger than the input (one status line, a To tag, Content-Length).
void check_stateless_reply(std::string_view input) {
  const std::string reply = osprey::sip::stateless_reply(input, 400, "Fuzz\r\nX-Injected: 1");
  if (reply.empty()) return;
  OSPREY_FUZZ_CHECK(reply.rfind("SIP/2.0 400 Fuzz  X-Injected: 1\r\n", 0) == 0);
  OSPREY_FUZZ_CHECK(reply.find("\r\n\r\n") == reply.size() - 4);
  OSPREY_FUZZ_CHECK(reply.size() <= input.size() + 128);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = osprey::fuzz::as_view(data, size);
  check_stateless_reply(input);
  auto parsed = Message::parse_borrowed(input);
  if (!parsed) {
    OSPREY_FUZZ_CHECK(parsed.error().category != osprey::sip::ErrorCategory::need_more);
    return 0;
  }
  Message& m = *parsed;
  OSPREY_FUZZ_CHECK(m.wire_size() <= input.size());
  OSPREY_FUZZ_CHECK(!m.edited());
  // Untouched: byte-exact.
  OSPREY_FUZZ_CHECK(m.serialize() == m.raw());
  OSPREY_FUZZ_CHECK(m.clone().serialize() == m.raw());
  // A message that validates has no empty Via line and no bare CR in a header (both once let a
  // message validate and then fail to re-parse after an edit popped the Via above them).
  bool valid = static_cast<bool>(osprey::sip::validate_headers(m));
  if (valid) OSPREY_FUZZ_CHECK(!has_empty_via_line(m) && !has_bare_cr_in_headers(m));
  if (m.is_request()) (void)osprey::sip::check_request(m);
  // Reading every line and element must stay inside the buffer.
  for (const HeaderField& f : m.fields()) {
    (void)m.name(f);
    if (osprey::sip::is_list_header(f.id)) m.for_each_element(f.id, [](std::string_view) { return true; });
  }

  Choices choices(input.substr(m.wire_size()), osprey::fuzz::hash_bytes(input));
  std::string expected_uri;
  apply_edits(m, input, choices, expected_uri);
  std::string out = m.serialize();
  if (!m.edited()) {
    // Every chosen edit found nothing to change: still byte-exact, Content-Length or not.
    OSPREY_FUZZ_CHECK(out == m.raw());
    return 0;
  }
  OSPREY_FUZZ_CHECK(m.clone().serialize() == out);

  ParseOptions generous;
  generous.max_message_size = out.size() + 1;
  generous.max_headers = m.fields().size() + 2;
  generous.max_line_length = out.size() + 1;
  auto again = Message::parse_borrowed(out, generous);
  // Dumped only when a property below fails (OSPREY_FUZZ_DUMP set by the reproducer).
  if (std::getenv("OSPREY_FUZZ_DUMP") != nullptr) {
    std::fprintf(stderr, "original passed validate_headers: %s\n", valid ? "yes" : "no");
    osprey::fuzz::dump("serialized after edits", out);
    if (!again) std::fprintf(stderr, "re-parse error: %s\n", again.error().reason.c_str());
  }
  if (!again) {
    // Edits keep a message parseable when every header in it was well formed.
    if (valid) std::fprintf(stderr, "re-parse failed: %s\n", again.error().reason.c_str());
    OSPREY_FUZZ_CHECK(!valid);
    return 0;
  }
  OSPREY_FUZZ_CHECK(again->wire_size() == out.size());
  OSPREY_FUZZ_CHECK(again->body() == m.body());
  OSPREY_FUZZ_CHECK(again->content_length() && *again->content_length() == m.body().size());
  OSPREY_FUZZ_CHECK(again->count(HeaderId::content_length) == 1);
  // The same lines, when the original was well formed. (A malformed list keeps its empty elements
  // through remove_first_element, which writes them back with a trailing SP that the re-parse trims.)
  if (valid) OSPREY_FUZZ_CHECK(live_lines(*again) == live_lines(m));
  OSPREY_FUZZ_CHECK(again->is_request() == m.is_request());
  if (m.is_request()) {
    OSPREY_FUZZ_CHECK(again->method_text() == m.method_text());
    if (!expected_uri.empty()) {
      OSPREY_FUZZ_CHECK(again->request_uri().text == expected_uri);
    } else {
      OSPREY_FUZZ_CHECK(again->request_uri().text == m.request_uri().text);
    }
  } else {
    OSPREY_FUZZ_CHECK(again->status() == m.status() && again->reason() == m.reason());
  }
  // A second serialization of the re-parsed, unedited message is byte-exact.
  OSPREY_FUZZ_CHECK(again->serialize() == out);
  return 0;
}

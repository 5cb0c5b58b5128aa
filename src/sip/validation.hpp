#pragma once
// What a server answers to a request that is malformed or asks for something it cannot do
// (RFC 3261 §8.2 for a UAS, §16.3 for a proxy), and a full typed check of every known header.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/error.hpp"
#include "sip/local_reply.hpp"
#include "sip/message.hpp"

namespace osprey::sip {

enum class Role : std::uint8_t {
  proxy,  // checks Proxy-Require (§16.3 step 5) and Max-Forwards (§16.3 step 3)
  uas,    // checks Require (§8.2.2.3); registrars and osprey's own services are UASes
};

struct RequestCheckOptions {
  Role role = Role::proxy;
  // Option tags this element implements (RFC 3261 §19.2); anything else in Require /
  // Proxy-Require gets 420 with Unsupported.
  std::vector<std::string> supported;
};

// The answer to the first reason to refuse `request`, in the order RFC 3261 §8.2 / §16.3 check
// them (the reason phrase names the defect), or nullopt.
std::optional<LocalReply> check_request(const Message& request, const RequestCheckOptions& options = {});

// A reply of check_request for a malformed request (400, 505, 501 for a CSeq mismatch), rather
// than for a well formed one asking for something unsupported (416, 420, 483).
bool is_defect(const LocalReply& reply);

// Parses every header osprey has a typed form for; the first defect found, if any.
Result<void> validate_headers(const Message& message);

// Everything a server concludes about one datagram: used by `osprey lint` and the conformance tests.
struct Assessment {
  std::optional<Message> message;       // when the framing and the transaction key parsed
  std::optional<ParseError> error;      // a parse or header defect
  std::optional<LocalReply> rejection;  // requests only: what check_request answers
  // Well formed: parsed, every known header valid, and no defect found by check_request.
  bool valid() const { return !error && !(rejection && is_defect(*rejection)); }
  // The status a server answers with; 0 when it processes the request or drops the message.
  int server_status() const;
};

Assessment assess(std::string bytes, const ParseOptions& parse_options = {},
                  const RequestCheckOptions& check_options = {});

// Typed check of one header value (for lint and the fuzzers); unknown headers always pass.
Result<void> validate_header(HeaderId id, std::string_view value);

}  // namespace osprey::sip

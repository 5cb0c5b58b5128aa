#include "server/intake.hpp"

#include <array>
#include <functional>

#include "sip/builder.hpp"
#include "sip/validation.hpp"
#include "sip/via.hpp"

namespace osprey::server {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The headers a response copies from its request (§8.2.6.2), long and compact forms (§7.3.3).
enum class Copied { none, via, from, to, call_id, cseq };

Copied copied_header(std::string_view name) {
  struct Name {
    std::string_view full;
    std::string_view compact;
    Copied kind;
  };
  static constexpr std::array<Name, 5> kNames{{{"via", "v", Copied::via},
                                               {"from", "f", Copied::from},
                                               {"to", "t", Copied::to},
                                               {"call-id", "i", Copied::call_id},
                                               {"cseq", "", Copied::cseq}}};
  for (const Name& n : kNames) {
    if (equals_ignoring_case(name, n.full) || (!n.compact.empty() && equals_ignoring_case(name, n.compact))) {
      return n.kind;
    }
  }
  return Copied::none;
}

// A reason phrase may hold only printable text (RFC 3261 §25.1 Reason-Phrase); the parser's
// reasons are plain ASCII already, this only guards the wire format.
std::string safe_reason(std::string_view reason) {
  std::string out;
  for (char c : reason) out.push_back((c == '\r' || c == '\n' || c == '\0') ? ' ' : c);
  return out;
}

}  // namespace

std::string stateless_reply_to_raw(std::string_view raw, int status, std::string_view reason) {
  // The head ends at the first empty line; a message without one is still read line by line.
  const std::size_t line_end = raw.find('\n');
  if (line_end == std::string_view::npos) return {};
  const std::string_view start_line = trim(raw.substr(0, line_end));
  if (start_line.empty() || start_line.substr(0, 4) == "SIP/") return {};  // a response: dropped

  std::string copied;
  bool via_readable = false;
  std::string_view rest = raw.substr(line_end + 1);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const Copied kind = copied_header(trim(line.substr(0, colon)));
    if (kind == Copied::none) continue;
    const std::string_view value = trim(line.substr(colon + 1));
    if (kind == Copied::via && !via_readable) via_readable = sip::parse_first_via(value).has_value();
    copied.append(line);
    // §8.2.6.2: a final response carries a To tag. A request this broken gets no dialog, so
    // the tag only has to be there; a hash of the request makes retransmissions get the same.
    if (kind == Copied::to && value.find(";tag=") == std::string_view::npos) {
      copied.append(";tag=");
      copied.append(std::to_string(std::hash<std::string_view>{}(raw) & 0xffffffffu));
    }
    copied.append("\r\n");
  }
  if (!via_readable) return {};

  std::string out = "SIP/2.0 " + std::to_string(status) + ' ' + safe_reason(reason) + "\r\n";
  out += copied;
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

Intake take_in(std::string_view bytes, const sip::ParseOptions& options) {
  Intake intake;
  auto parsed = sip::Message::parse(std::string(bytes), options);
  if (!parsed) {
    const sip::ParseError& error = parsed.error();
    if (error.server_status == 0) {
      intake.dropped = "malformed response";
      return intake;
    }
    intake.reply = stateless_reply_to_raw(bytes, error.server_status, error.reason);
    if (intake.reply.empty()) intake.dropped = "malformed message without a readable Via";
    return intake;
  }
  sip::Message& message = *parsed;
  if (!message.is_request()) {
    // §18.1.2: a response whose top Via is unreadable cannot be matched to anything.
    if (!message.top_via() || !message.cseq()) {
      intake.dropped = "response without a readable Via or CSeq";
      return intake;
    }
    intake.message = std::move(message);
    return intake;
  }
  // The key headers first: a request that lacks them cannot enter a transaction, so it is
  // answered here, statelessly (§8.2: a UAS/proxy answers 400 for a malformed request).
  if (auto rejection = sip::check_request(message, {sip::Role::uas, {}}); rejection && rejection->defect) {
    if (!message.top_via()) {
      intake.dropped = "request without a readable Via";
      return intake;
    }
    if (message.method() == sip::Method::ack) {
      intake.dropped = "malformed ACK";  // §17.1.1.3: an ACK is never answered
      return intake;
    }
    sip::MessageBuilder reply = sip::MessageBuilder::response_to(message, rejection->status, rejection->reason);
    for (const auto& [name, value] : rejection->headers) reply.header(name, value);
    intake.reply = reply.serialize();
    return intake;
  }
  if (!message.top_via() || !message.cseq() || !message.call_id() || !message.from() || !message.to()) {
    intake.dropped = "request without its transaction key headers";
    return intake;
  }
  intake.message = std::move(message);
  return intake;
}

}  // namespace osprey::server

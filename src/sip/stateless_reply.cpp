#include "sip/stateless_reply.hpp"
#include "sip/char_class.hpp"

#include <array>
#include <functional>

#include "sip/via.hpp"

namespace osprey::sip {

namespace {

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
    if (iequals(name, n.full) || (!n.compact.empty() && iequals(name, n.compact))) {
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

// RFC 3261 §20.16: CSeq = 1*DIGIT LWS Method, the number below 2**31.
bool is_valid_cseq(std::string_view value) {
  std::size_t digits = 0;
  while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') ++digits;
  if (digits == 0 || digits > 10 || (digits == 10 && value.substr(0, digits) > "2147483647")) return false;
  return is_token(trim(value.substr(digits))) && value.size() > digits &&
         (value[digits] == ' ' || value[digits] == '\t');
}

}  // namespace

std::string stateless_reply(std::string_view raw, int status, std::string_view reason) {
  // The head ends at the first empty line; a message without one is still read line by line.
  const std::size_t line_end = raw.find('\n');
  if (line_end == std::string_view::npos) return {};
  const std::string_view start_line = trim(raw.substr(0, line_end));
  if (start_line.empty() || start_line.substr(0, 4) == "SIP/") return {};  // a response: dropped
  const std::string_view method = start_line.substr(0, start_line.find(' '));
  if (method == "ACK") return {};  // §17.1.1.3: an ACK is never answered

  std::string copied;
  bool via_readable = false;
  unsigned copied_once = 0;
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
    // From, To, Call-ID and CSeq are single-valued (§20): a request repeating them is broken
    // anyway, and copying the first one of each keeps the answer bounded.
    if (kind != Copied::via) {
      const auto bit = 1u << static_cast<unsigned>(kind);
      if ((copied_once & bit) != 0) continue;
      copied_once |= bit;
    }
    const std::string_view value = trim(line.substr(colon + 1));
    if (kind == Copied::via && !via_readable) via_readable = sip::parse_first_via(value).has_value();
    if (kind == Copied::cseq && !is_valid_cseq(value)) {
      // Copying a broken CSeq would make the answer itself unparsable; the request's method
      // with number 0 keeps it a well-formed response the client can read and log.
      if (!is_token(method)) continue;
      copied.append("CSeq: 0 ");
      copied.append(method);
      copied.append("\r\n");
      continue;
    }
    copied.append(line);
    // §8.2.6.2: a final response carries a To tag. A request this broken gets no dialog, so
    // the tag only has to be there; a hash of the request makes retransmissions get the same.
    if (kind == Copied::to && value.find(";tag=") == std::string_view::npos) {
      copied.append(";tag=");
      copied.append(std::to_string(std::hash<std::string_view>{}(raw)&0xffffffffu));
    }
    copied.append("\r\n");
  }
  if (!via_readable) return {};

  std::string out = "SIP/2.0 " + std::to_string(status) + ' ' + safe_reason(reason) + "\r\n";
  out += copied;
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

}  // namespace osprey::sip

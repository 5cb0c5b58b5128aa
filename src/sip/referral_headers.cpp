#include "sip/referral_headers.hpp"

#include "sip/params.hpp"
#include "sip/scanner.hpp"
#include "sip/typed_header_support.hpp"

namespace osprey::sip {
namespace {

constexpr std::string_view kReferTo = "Refer-To";
constexpr std::string_view kReferredBy = "Referred-By";
constexpr std::string_view kReplaces = "Replaces";

// atom = 1*( alphanum / "-" / "!" / "%" / "*" / "_" / "+" / "'" / "`" / "~" ), dot-atom =
// atom *( "." atom ) (RFC 3892 §3, borrowed from RFC 2822).
bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char previous = '\0';
  for (char c : s) {
    bool atext =
        is_alpha(c) || is_digit(c) || std::string_view("-!%*_+'`~").find(c) != std::string_view::npos;
    if (c == '.' && previous == '.') return false;
    if (!atext && c != '.') return false;
    previous = c;
  }
  return true;
}

// IPv6reference = "[" IPv6address "]", checked loosely here: hex digits, ':' and '.'.
bool is_ipv6_reference(std::string_view s) {
  if (s.size() < 4 || s.front() != '[' || s.back() != ']') return false;
  for (char c : s.substr(1, s.size() - 2))
    if (hex_value(c) < 0 && c != ':' && c != '.') return false;
  return true;
}

// sip-clean-msg-id = LDQUOT dot-atom "@" (dot-atom / host) RDQUOT
bool is_clean_msg_id(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return false;
  std::string_view inner = strip_quotes(raw);
  std::size_t at = inner.find('@');
  if (at == std::string_view::npos) return false;
  std::string_view right = inner.substr(at + 1);
  return is_dot_atom(inner.substr(0, at)) && (is_dot_atom(right) || is_ipv6_reference(right));
}

// A to-tag / from-tag: present exactly once, a token (RFC 3891 §6.1).
Result<std::string_view> required_tag(std::string_view params, std::string_view name,
                                      std::string_view value) {
  auto p = unique_param(params, name, kReplaces, value);
  if (!p) return tl::unexpected<ParseError>(std::move(p.error()));
  if (!*p) return malformed(kReplaces, "missing " + std::string(name), value.size());
  if (!is_token((*p)->value))
    return malformed(kReplaces, std::string(name) + " must be a token", offset_in(value, (*p)->name));
  return (*p)->value;
}

}  // namespace

Result<NameAddr> parse_refer_to(std::string_view value) {
  auto parsed = parse_name_addr(value, kReferTo);
  if (!parsed) return relabel(std::move(parsed.error()), kReferTo);
  return parsed;
}

Result<ReferredBy> parse_referred_by(std::string_view value) {
  auto parsed = parse_name_addr(value, kReferredBy);
  if (!parsed) return relabel(std::move(parsed.error()), kReferredBy);
  ReferredBy result;
  result.address = *parsed;
  auto cid = unique_param(parsed->params, "cid", kReferredBy, value);
  if (!cid) return tl::unexpected<ParseError>(std::move(cid.error()));
  if (*cid) {
    if (!is_clean_msg_id((*cid)->value)) {
      return malformed(kReferredBy, "cid must be a quoted dot-atom@host", offset_in(value, (*cid)->name));
    }
    result.cid = strip_quotes((*cid)->value);
  }
  return result;
}

Result<Replaces> parse_replaces(std::string_view value) {
  Replaces result;
  Scanner s(value);
  s.skip_lws();
  // callid = word [ "@" word ] (RFC 3261 §25.1)
  std::size_t start = s.pos();
  if (s.take_class(kWord).empty()) return malformed(kReplaces, "missing Call-ID", start);
  if (s.consume('@') && s.take_class(kWord).empty())
    return malformed(kReplaces, "malformed Call-ID", s.pos());
  result.call_id = value.substr(start, s.pos() - start);
  auto params = scan_header_params(s, kReplaces, 0);
  if (!params) return relabel(std::move(params.error()), kReplaces);
  s.skip_lws();
  if (!s.at_end()) return malformed(kReplaces, "unexpected characters", s.pos());
  result.params = *params;

  auto to_tag = required_tag(result.params, "to-tag", value);
  if (!to_tag) return tl::unexpected<ParseError>(std::move(to_tag.error()));
  auto from_tag = required_tag(result.params, "from-tag", value);
  if (!from_tag) return tl::unexpected<ParseError>(std::move(from_tag.error()));
  result.to_tag = *to_tag;
  result.from_tag = *from_tag;
  auto early = unique_param(result.params, "early-only", kReplaces, value);
  if (!early) return tl::unexpected<ParseError>(std::move(early.error()));
  if (*early) {
    // early-flag = "early-only": a flag, never a value.
    if ((*early)->has_value)
      return malformed(kReplaces, "early-only takes no value", offset_in(value, (*early)->name));
    result.early_only = true;
  }
  return result;
}

}  // namespace osprey::sip

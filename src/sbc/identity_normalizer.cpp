#include "sbc/identity_normalizer.hpp"

#include <array>

#include "sbc/identity_reader.hpp"
#include "sbc/identity_uri.hpp"
#include "sip/char_class.hpp"
#include "sip/identity_headers.hpp"

namespace osprey::sbc {
namespace {

constexpr std::string_view kAnonymousFrom = "\"Anonymous\" <sip:anonymous@anonymous.invalid>";

std::string with_tag(std::string value, std::string_view tag) {
  if (!tag.empty()) {
    value += ";tag=";
    value += tag;
  }
  return value;
}

// The Privacy values to pass on, rebuilt from the parsed ones: the values RFC 3323 §4.2,
// RFC 3325 §9.3 and RFC 7044 define, each once, in the order written. An extension value means
// nothing to osprey and is not passed (nor are thousands of them).
std::string privacy_text(const sip::Privacy& privacy) {
  static constexpr std::array<std::string_view, 7> kKnown{"header",   "session", "user",   "none",
                                                          "critical", "id",      "history"};
  std::string out;
  std::uint8_t written = 0;
  for (std::string_view value : privacy.values) {
    for (std::size_t i = 0; i < kKnown.size(); ++i) {
      auto bit = static_cast<std::uint8_t>(1u << i);
      if ((written & bit) != 0 || !sip::iequals(value, kKnown[i])) continue;
      written = static_cast<std::uint8_t>(written | bit);
      if (!out.empty()) out += ';';
      out += kKnown[i];
    }
  }
  return out;
}

}  // namespace

NormalizedIdentity IdentityNormalizer::apply(const IdentityPolicy& policy, const sip::Message& inbound,
                                             sip::Message& outbound, bool toward_trunk) const {
  bool believe_asserted = toward_trunk || policy.trusted;
  bool next_hop_trusted = toward_trunk && policy.trusted;

  // RFC 3323 §4.2. One that does not parse is read as "id" and "header", as the proxy does
  // (security/asserted_identity.hpp): the user meant to ask for something.
  sip::Privacy privacy;
  bool privacy_unreadable = false;
  if (inbound.count(sip::HeaderId::privacy) > 0) {
    if (auto parsed = sip::privacy(inbound)) {
      privacy = *parsed;
    } else {
      privacy_unreadable = true;
    }
  }

  auto identity = read_caller_identity(policy.read_from, inbound, believe_asserted);
  bool wants_id_privacy =
      privacy_unreadable || privacy.has(sip::kPrivacyId) || (identity && identity->privacy_requested);
  bool hide_identity = wants_id_privacy && !next_hop_trusted;
  bool hide_history = !next_hop_trusted && (privacy_unreadable || privacy.has(sip::kPrivacyHistory) ||
                                            privacy.has(sip::kPrivacyHeader));

  outbound.remove_headers(sip::HeaderId::p_asserted_identity);
  outbound.remove_headers(sip::HeaderId::p_preferred_identity);
  outbound.remove_headers("Remote-Party-ID");
  outbound.remove_headers(sip::HeaderId::privacy);

  NormalizedIdentity result;
  // Copies: the From may live in the outbound's edit arena, which the edits below reallocate.
  std::string tag;
  std::string from_host;
  auto outbound_from_value = outbound.first_value(sip::HeaderId::from);
  std::optional<sip::NameAddr> outbound_from;
  if (outbound_from_value) {
    if (auto parsed = sip::parse_name_addr(*outbound_from_value, "From")) outbound_from = *parsed;
  }
  if (outbound_from) {
    tag = std::string(outbound_from->tag());
    from_host = std::string(outbound_from->uri.host);
  }

  std::optional<std::string> identity_uri;
  std::string display;
  if (identity) {
    identity_uri =
        identity_uri_text(identity->address.uri, hosts_.replacement_for(identity->address.uri.host));
    display = quoted_display_name(identity->address.display_text());
  }
  auto name_addr = [&](const std::string& uri) {
    return display.empty() ? "<" + uri + ">" : display + " <" + uri + ">";
  };

  if (hide_identity) {
    // From is rewritten even when the policy does not write it: it is where the caller's
    // identity is when nothing else carries it (RFC 3323 §4.1.1.3).
    if (outbound_from)
      outbound.replace_header(sip::HeaderId::from, with_tag(std::string(kAnonymousFrom), tag));
    result.anonymous = true;
  } else if (identity_uri) {
    result.uri = identity_uri;
    result.source = identity->source;
    // RFC 3325 §5: an identity is asserted only when osprey can vouch for it: our user's (the
    // proxy checked the account may use it) or a trusted trunk's. From an untrusted trunk it is
    // only that trunk's claim, carried in From, never promoted to P-Asserted-Identity.
    bool may_assert = toward_trunk || policy.trusted;
    if (policy.write_pai && may_assert)
      outbound.add_header(sip::HeaderId::p_asserted_identity, name_addr(*identity_uri));
    if (policy.write_from && outbound_from) {
      // A tel identity goes into From as a SIP URI with user=phone (RFC 3261 §19.1.6) on
      // osprey's host: the From the B2BUA built names it.
      std::optional<std::string> from_uri = identity->address.uri.scheme == sip::UriScheme::tel
                                                ? tel_as_sip_uri(identity->address.uri, from_host)
                                                : identity_uri;
      if (from_uri) outbound.replace_header(sip::HeaderId::from, with_tag(name_addr(*from_uri), tag));
    }
  }

  // Toward a trusted trunk the privacy request travels with the identity for the last hop of
  // the trust domain to apply (RFC 3325 §7); toward an untrusted one it is passed too, so the
  // far end's user agent still knows what was asked.
  if (std::string text = privacy_unreadable ? std::string("id;header") : privacy_text(privacy);
      !text.empty()) {
    outbound.add_header(sip::HeaderId::privacy, text);
  }

  if (hide_history) {
    outbound.remove_headers(sip::HeaderId::diversion);
    outbound.remove_headers(sip::HeaderId::history_info);
  } else {
    auto mode = toward_trunk ? policy.diversion : IdentityPolicy::Diversion::keep;
    write_diversion_headers(mode, inbound, inbound.request_uri(), outbound, hosts_);
  }
  return result;
}

}  // namespace osprey::sbc

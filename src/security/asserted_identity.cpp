#include "security/asserted_identity.hpp"

#include <algorithm>
#include <array>

#include "sip/aor.hpp"
#include "sip/identity_headers.hpp"

namespace osprey::security {
namespace {

// RFC 3323 §5.1: headers a user agent may add that reveal who or where the user is, which a
// privacy service removes for "header" privacy.
constexpr std::array kRevealingHeaders{
    sip::HeaderId::subject,    sip::HeaderId::call_info, sip::HeaderId::organization,
    sip::HeaderId::user_agent, sip::HeaderId::reply_to,  sip::HeaderId::in_reply_to,
};

// The URI to write for an account AOR. account_aor() unescapes the user part (RFC 3261 §10.3
// step 5), so it is escaped again before it goes into a header (§19.1.2). The host never holds
// an '@', so the last one ends the user part.
std::string identity_uri(std::string_view aor) {
  constexpr std::string_view kSip = "sip:";
  const std::size_t at = aor.rfind('@');
  if (!aor.starts_with(kSip) || at == std::string_view::npos) return std::string(aor);
  std::string uri(kSip);
  uri += sip::escape(aor.substr(kSip.size(), at - kSip.size()), sip::UriComponent::user);
  uri += aor.substr(at);
  return uri;
}

bool contains(std::span<const std::string> aors, std::string_view aor) {
  return std::find(aors.begin(), aors.end(), aor) != aors.end();
}

}  // namespace

std::size_t remove_untrusted_identity(sip::Message& request, bool sender_authenticated) {
  std::size_t removed = request.remove_headers(sip::HeaderId::p_asserted_identity);
  removed += request.remove_headers("Remote-Party-ID");
  if (!sender_authenticated) removed += request.remove_headers(sip::HeaderId::p_preferred_identity);
  return removed;
}

std::string assert_identity(sip::Message& request, std::string_view account_aor,
                            std::span<const std::string> allowed) {
  std::string asserted(account_aor);
  std::string display_name;
  // RFC 3325 §6: the P-Preferred-Identity is a hint for a user with several identities. One that
  // does not parse hints at nothing.
  if (auto preferred = sip::preferred_identities(request)) {
    for (const sip::NameAddr& element : *preferred) {
      std::string aor = sip::account_aor(element.uri);
      if (!contains(allowed, aor)) continue;
      asserted = std::move(aor);
      display_name = std::string(element.display_name);
      break;
    }
  }
  request.remove_headers(sip::HeaderId::p_preferred_identity);

  const auto& from = request.from();
  if (display_name.empty() && from && sip::account_aor(from->uri) == asserted) {
    display_name = std::string(from->display_name);
  }
  // The display-name is written as it was received: it parsed as a display-name there.
  std::string value = display_name.empty() ? std::string() : display_name + " ";
  value += "<" + identity_uri(asserted) + ">";
  request.replace_header(sip::HeaderId::p_asserted_identity, value);
  return asserted;
}

PrivacyApplied apply_privacy(sip::Message& request) {
  PrivacyApplied applied;
  auto requested = sip::privacy(request);
  bool hide_identity = true;
  bool hide_headers = true;
  if (requested) {
    hide_identity = requested->has(sip::kPrivacyId);
    hide_headers = requested->has(sip::kPrivacyHeader);
    applied.critical_unmet = requested->has(sip::kPrivacyCritical) &&
                             (requested->has(sip::kPrivacyUser) || requested->has(sip::kPrivacySession));
  }
  if (hide_identity) {
    applied.removed_identity = request.remove_headers(sip::HeaderId::p_asserted_identity) != 0;
  }
  if (hide_headers) {
    for (sip::HeaderId id : kRevealingHeaders) applied.removed_headers += request.remove_headers(id);
  }
  return applied;
}

}  // namespace osprey::security

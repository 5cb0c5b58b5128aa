#pragma once
// The pieces identity normalisation writes into headers it builds (From, P-Asserted-Identity,
// Diversion, History-Info): a display name and a URI rebuilt from their parsed parts, never
// copied as written, so nothing the sender smuggled into a parameter or a URI header (a
// maddr, a transport, an internal Route in "?Route=") reaches the other side.

#include <optional>
#include <string>
#include <string_view>

#include "sip/uri.hpp"

namespace osprey::sbc {

// Longest identity URI and display name carried; longer ones are not carried at all.
inline constexpr std::size_t kMaxIdentityUriLength = 256;
inline constexpr std::size_t kMaxDisplayNameLength = 64;

// A quoted-string (RFC 3261 §25.1) holding `text` (already unescaped): '"' and '\' escaped,
// control characters dropped, cut at kMaxDisplayNameLength bytes. Empty text: empty result.
std::string quoted_display_name(std::string_view text);

// Whether the RFC 4458 `cause` URI parameter is carried: it means something in a History-Info
// entry only (why the call was retargeted to it), not in From, P-Asserted-Identity or Diversion.
enum class CauseParam { drop, keep };

// The URI an identity header carries: sip/sips as scheme:user@host[:port] with only the
// `user` parameter (RFC 3261 §19.1.6 user=phone) and, when asked, `cause` kept; a tel URI as
// tel:number with its parameters (RFC 3966). `host` replaces the URI's host (and drops its port)
// when not empty: topology hiding. nullopt for other schemes, a sip URI without a user, or a
// result longer than kMaxIdentityUriLength.
std::optional<std::string> identity_uri_text(const sip::Uri& uri, std::string_view host = {},
                                             CauseParam cause = CauseParam::drop);

// sip:NUMBER@host;user=phone for a tel URI's number (RFC 3261 §19.1.6): From of a request is
// written as a SIP URI for the peers that read nothing else. nullopt when not a tel URI.
std::optional<std::string> tel_as_sip_uri(const sip::Uri& uri, std::string_view host);

}  // namespace osprey::sbc

#pragma once
// Headers that assert who a party is: P-Asserted-Identity and P-Preferred-Identity (RFC 3325),
// Privacy (RFC 3323), Identity (RFC 8224, STIR), and Reply-To (RFC 3261 §20.31). Results are
// views into the header value (or the message, for the gatherers); nothing is copied.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/inline_vector.hpp"
#include "sip/name_addr.hpp"

namespace osprey::sip {

class Message;

// PAssertedID-value = name-addr / addr-spec, and the same for PPreferredID-value (RFC 3325 §9.1,
// §9.2): no header parameters, so an unbracketed URI keeps its own ";user=phone". `header`
// names the header in errors.
Result<NameAddr> parse_asserted_identity(std::string_view element,
                                         std::string_view header = "P-Asserted-Identity");
// Every element of every P-Asserted-Identity / P-Preferred-Identity line, in order.
Result<std::vector<NameAddr>> asserted_identities(const Message& message);
Result<std::vector<NameAddr>> preferred_identities(const Message& message);

// priv-value = "header" / "session" / "user" / "none" / "critical" / token (RFC 3323 §4.2),
// "id" (RFC 3325 §9.3), "history" (RFC 7044).
enum PrivacyFlag : std::uint8_t {
  kPrivacyHeader = 1 << 0,
  kPrivacySession = 1 << 1,
  kPrivacyUser = 1 << 2,
  kPrivacyNone = 1 << 3,
  kPrivacyCritical = 1 << 4,
  kPrivacyId = 1 << 5,
  kPrivacyHistory = 1 << 6,
  kPrivacyOther = 1 << 7,  // a priv-value osprey does not know
};

struct Privacy {
  std::uint8_t flags = 0;
  InlineVector<std::string_view, 8> values;  // as written, in order

  bool has(PrivacyFlag flag) const { return (flags & flag) != 0; }
  bool empty() const { return values.empty(); }
};

// Privacy-hdr = "Privacy" HCOLON priv-value *(";" priv-value) (RFC 3323 §4.2).
Result<Privacy> parse_privacy(std::string_view value);
// The values of every Privacy line, merged; an empty Privacy when there is none.
Result<Privacy> privacy(const Message& message);

// Reply-To = "Reply-To" HCOLON rplyto-spec; rplyto-spec = ( name-addr / addr-spec )
// *( SEMI rplyto-param ); rplyto-param = generic-param (RFC 3261 §25.1).
Result<NameAddr> parse_reply_to(std::string_view value);

// One Identity header (RFC 8224 §4): a PASSporT (RFC 8225) in JWS compact serialization and
// where to find the signer's certificate.
struct Identity {
  std::string_view text;                // the whole value as written
  std::string_view digest;              // signed-identity-digest: "header.payload.signature"
  std::string_view jws_header;          // base64url, empty in the compact form
  std::string_view payload;             // base64url, empty in the compact form
  std::string_view signature;           // base64url
  std::string_view info;                // the absoluteURI inside info=<...>, without the brackets
  std::optional<std::string_view> alg;  // ident-info-alg ("ES256")
  std::optional<std::string_view> ppt;  // ident-type ("shaken"), without quotes
  std::string_view params;              // every parameter as written, from the first ';'
  bool legacy = false;                  // an RFC 4474 base64 signature without parameters

  // RFC 8225 §7: the compact form carries the signature alone ("..signature"); the verifier
  // rebuilds header and payload from the request.
  bool compact() const { return jws_header.empty(); }
};

// Identity = "Identity" HCOLON signed-identity-digest SEMI ident-info *( SEMI ident-info-params )
// with signed-identity-digest in base64url (RFC 8224 §4 as corrected by erratum 6499).
Result<Identity> parse_identity(std::string_view value);
// RFC 8224 only, no RFC 4474 fallback.
Result<Identity> parse_rfc8224_identity(std::string_view value);
// Every Identity line, in order (RFC 8224 §4: a request may carry several, one per PASSporT type).
Result<std::vector<Identity>> identities(const Message& message);

}  // namespace osprey::sip

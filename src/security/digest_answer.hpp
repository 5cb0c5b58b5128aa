#pragma once
// The client side of SIP Digest authentication as pure computation (RFC 3261 §22.2 and §22.3,
// with RFC 7616's SHA-256 that RFC 8760 brings to SIP): which challenges of a 401 or 407 can be
// answered, and the Authorization or Proxy-Authorization value that answers one. No state and
// no I/O: the client tools (client/digest_credentials.hpp) and the SBC toward its trunks
// (sbc/trunk_challenge_answer.hpp) keep their own nonces and counts around it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "sip/auth_headers.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::security {

struct DigestAccount {
  std::string username;
  std::string password;
};

// Makes a cnonce (RFC 7616 §3.4: chosen by the client, so that a server cannot make it hash
// text of the server's choosing alone). Injectable so tests can use the RFC's examples.
using CnonceSource = std::function<std::string()>;

// 32 hex digits from OpenSSL's random generator.
std::string random_cnonce();

// One challenge this client answers: the strongest usable Digest challenge of one realm.
struct DigestChallenge {
  // authorization for a WWW-Authenticate, proxy_authorization for a Proxy-Authenticate (§22.2, §22.3).
  sip::HeaderId answer_header = sip::HeaderId::authorization;
  std::string realm;
  std::string nonce;
  std::optional<std::string> opaque;  // returned unchanged when the server sent one (RFC 7616 §3.3)
  sip::DigestAlgorithm algorithm = sip::DigestAlgorithm::md5;
  // qop="auth" was offered: the answer carries qop, nc and cnonce (RFC 7616 §3.4.1); otherwise
  // it is the RFC 2617 §3.2.2.1 form, H(HA1:nonce:HA2), which RFC 3261 §22.4 still allows.
  bool qop_auth = false;
  bool stale = false;  // RFC 7616 §3.3: the credentials were right, only the nonce was old
};

// The challenges of `response` (its WWW-Authenticate and Proxy-Authenticate lines) this client
// can answer: for each realm of each header, the strongest algorithm offered (SHA-512-256, then
// SHA-256, then MD5, each with its -sess form), first offered first among equals. Left out:
// other schemes, unknown algorithms, a qop list without "auth" (auth-int needs the body hash,
// which the tools do not compute), -sess without qop (its A1 needs a cnonce), malformed lines.
std::vector<DigestChallenge> answerable_challenges(const sip::Message& response);

// The header value answering `challenge` for a request `method` to `uri` (the Request-URI,
// RFC 3261 §22.4), with nonce count `nc` and `cnonce` (both unused without qop):
//   Digest username="..", realm="..", nonce="..", uri="..", algorithm=SHA-256,
//          response="..", qop=auth, nc=00000001, cnonce="..", opaque=".."
// Error: the hash cannot be computed (OpenSSL refusing MD5 in FIPS mode).
tl::expected<std::string, std::string> digest_authorization(const DigestChallenge& challenge,
                                                            const DigestAccount& account,
                                                            std::string_view method, std::string_view uri,
                                                            std::uint32_t nc, std::string_view cnonce);

}  // namespace osprey::security

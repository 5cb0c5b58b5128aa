#include "security/digest_authenticator.hpp"

#include <algorithm>

#include <openssl/crypto.h>

#include <array>
#include <span>
#include <utility>

#include <tl/expected.hpp>

#include "security/digest_hash.hpp"
#include "sip/char_class.hpp"
#include "sip/uri.hpp"

namespace osprey::security {
namespace {

using sip::DigestAlgorithm;

// Hashed in place of a real HA1 when the user is unknown, so that path costs the same hashing
// as a wrong password. Its value does not matter: an unknown user is never authenticated.
constexpr std::string_view kStandInHa1 = "0000000000000000000000000000000000000000000000000000000000000000";

std::string_view stored_ha1(const store::Account& account, DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha256 ? account.ha1.sha256 : account.ha1.md5;
}

// RFC 7616 §3.4.6 (and RFC 3261 §22.4): the uri of the credentials names the request's target.
// SIP URIs compare by RFC 3261 §19.1.4 (a client may write the Request-URI differently). A
// different SIP URI is tolerated: SIPp 3.6 always hashes sip:<server>:<port> whatever the
// Request-URI, and the check adds little here, since the response is bound to the uri it names
// and every nc is accepted once (NonceCounts), so captured credentials cannot be replayed at all.
// What is not a SIP URI at all is refused.
bool acceptable_request_uri(std::string_view credentials_uri, const sip::Uri& request_uri) {
  const auto parsed = sip::parse_uri(credentials_uri);
  // Any SIP URI passes, so the equivalence (the dearer test) only matters for other schemes.
  if (parsed) return parsed->is_sip() || sip::uri_equivalent(*parsed, request_uri);
  return credentials_uri == request_uri.text;
}

struct Located {
  std::optional<sip::AuthParams> credentials;
  bool malformed = false;
};

// RFC 3261 §22.4: of the credential lines, the Digest one for our realm (compared exactly,
// §22.1). Any malformed line makes the request malformed, like sip::find_digest_credentials,
// but without gathering every line into a vector first.
Located locate(const sip::Message& request, sip::HeaderId header, std::string_view realm) {
  Located located;
  const std::string_view header_name = sip::canonical_name(header);
  request.for_each_line(header, [&](std::string_view value) {
    auto parsed = sip::parse_credentials(value, header_name);
    if (!parsed) {
      located.malformed = true;
      return false;
    }
    if (!located.credentials && parsed->is_digest() && parsed->realm() == realm) {
      located.credentials.emplace(std::move(*parsed));
    }
    return true;
  });
  return located;
}

AuthResult outcome(AuthVerdict verdict, std::string_view reason) {
  AuthResult result;
  result.verdict = verdict;
  result.reason = reason;
  return result;
}

// The parameters of Digest credentials that verify() hashes, each known to be present.
struct CheckedFields {
  std::string_view username;
  std::string_view nonce;
  std::string_view uri;
  std::string_view response;
  std::string_view qop;
  std::string_view cnonce;
  std::string_view nc_text;
  std::uint32_t nc = 0;
  DigestAlgorithm algorithm = DigestAlgorithm::md5;
};

// The parameters verify() reads, gathered in one pass over the credential: each lookup by name
// would walk the parameters again (a dozen walks per request). The parser has refused
// duplicate names (RFC 7235 §2.1), so the one found is the one there is.
struct CredentialFields {
  std::optional<std::string_view> username, username_ext, userhash, nonce, uri, response, algorithm, qop,
      cnonce, nc;
};

CredentialFields gather_fields(const sip::AuthParams& credentials) {
  CredentialFields found;
  for (const sip::AuthParam& param : credentials.params()) {
    const std::string_view name = param.name;
    auto is = [&](std::string_view wanted) { return sip::iequals(name, wanted); };
    std::optional<std::string_view>* slot = nullptr;
    switch (name.size()) {
      case 2: slot = is("nc") ? &found.nc : nullptr; break;
      case 3: slot = is("uri") ? &found.uri : is("qop") ? &found.qop : nullptr; break;
      case 5: slot = is("nonce") ? &found.nonce : nullptr; break;
      case 6: slot = is("cnonce") ? &found.cnonce : nullptr; break;
      case 8:
        slot = is("username")   ? &found.username
               : is("response") ? &found.response
               : is("userhash") ? &found.userhash
                                : nullptr;
        break;
      case 9:
        if (is("username*")) {
          found.username_ext = param.value;  // as written, like AuthParams::username_ext()
          continue;
        }
        slot = is("algorithm") ? &found.algorithm : nullptr;
        break;
      default: break;
    }
    if (slot != nullptr) *slot = credentials.text(param);
  }
  return found;
}

// The fields of `credentials`, or the outcome when they cannot be verified: an extension or
// algorithm osprey does not offer (a fresh challenge shows what it does), or a missing field.
tl::expected<CheckedFields, AuthResult> check_fields(const sip::AuthParams& credentials,
                                                     std::span<const DigestAlgorithm> offered) {
  const CredentialFields found = gather_fields(credentials);
  if (found.username_ext) return tl::unexpected(outcome(AuthVerdict::challenge, "username* not supported"));
  if (found.userhash && sip::iequals(*found.userhash, "true"))
    return tl::unexpected(outcome(AuthVerdict::challenge, "userhash not supported"));

  // RFC 7616 §3.4: username, realm, nonce, uri and response are required in every credential.
  if (!found.username || !found.nonce || !found.uri || !found.response)
    return tl::unexpected(outcome(AuthVerdict::malformed, "incomplete credentials"));

  // RFC 7616 §3.3: without an algorithm parameter the algorithm is MD5.
  const DigestAlgorithm algorithm = sip::digest_algorithm_from(found.algorithm.value_or("MD5"));
  if (std::find(offered.begin(), offered.end(), algorithm) == offered.end()) {
    return tl::unexpected(outcome(AuthVerdict::challenge, "algorithm not offered"));
  }
  // Without qop the response (RFC 2069 style) has no cnonce and no nc: no replay protection.
  if (!found.qop || !sip::iequals(*found.qop, "auth"))
    return tl::unexpected(outcome(AuthVerdict::challenge, "qop is not auth"));
  // RFC 7616 §3.4: with qop, cnonce and nc MUST be present. nc is 8 hex digits (the parser
  // checked its form; checked again here, as AuthParams::nc() does, rather than trusted).
  if (!found.cnonce || !found.nc || found.nc->size() != 8)
    return tl::unexpected(outcome(AuthVerdict::malformed, "incomplete credentials"));
  std::uint32_t nc = 0;
  for (char c : *found.nc) {
    const int digit = sip::hex_value(c);
    if (digit < 0) return tl::unexpected(outcome(AuthVerdict::malformed, "incomplete credentials"));
    nc = (nc << 4) | static_cast<std::uint32_t>(digit);
  }
  return CheckedFields{*found.username, *found.nonce, *found.uri, *found.response, *found.qop,
                       *found.cnonce,   *found.nc,    nc,         algorithm};
}

}  // namespace

bool response_matches(const DigestResponseInput& input, std::string_view ha1) {
  // Both hashes on the stack, their inputs fed as they lie in the request: no string is built.
  DigestHex ha2;
  if (!digest_hex_into(input.algorithm, {input.method, input.uri}, ha2)) return false;
  DigestHex expected;
  if (!digest_hex_into(input.algorithm, {ha1, input.nonce, input.nc, input.cnonce, input.qop, ha2.view()},
                       expected))
    return false;
  // The length is public (it follows from the algorithm); the digits are compared in constant
  // time so a guesser learns nothing from how long a wrong answer took to refuse.
  std::array<char, 64> claimed{};
  if (input.response.size() != expected.size || input.response.size() > claimed.size()) return false;
  for (std::size_t i = 0; i < input.response.size(); ++i) claimed[i] = sip::ascii_lower(input.response[i]);
  return CRYPTO_memcmp(claimed.data(), expected.digits.data(), expected.size) == 0;
}

DigestAuthenticator::DigestAuthenticator(const store::UserStore& users, const NonceService& nonces,
                                         NonceCounts& counts, Algorithms algorithms, Md5OnlyClients md5_only)
    : users_(users),
      nonces_(nonces),
      counts_(counts),
      algorithms_(std::move(algorithms)),
      md5_only_(std::move(md5_only)),
      // A nonce first seen at t, issued up to the clock tolerance later than t, has its counts
      // until t + retention: it may be accepted only while younger than retention - tolerance.
      // A real check, not an assert: a release build must never accept a nonce whose counts
      // are gone, which is a replay.
      usable_lifetime_seconds_(
          std::min(nonces.lifetime_seconds(), counts.retention_seconds() - kNonceClockToleranceSeconds)) {
  std::erase_if(algorithms_, [](DigestAlgorithm algorithm) {
    return algorithm != DigestAlgorithm::sha256 && algorithm != DigestAlgorithm::md5;
  });
  if (algorithms_.empty()) algorithms_ = default_algorithms();
  md5_configured_ =
      std::find(algorithms_.begin(), algorithms_.end(), DigestAlgorithm::md5) != algorithms_.end();
}

std::span<const DigestAlgorithm> DigestAuthenticator::algorithms_for(const sip::Message* request) const {
  static constexpr std::array<DigestAlgorithm, 1> kMd5Only = {DigestAlgorithm::md5};
  // Only ever a subset of what everyone is offered: an operator who removed MD5 keeps it removed,
  // whatever User-Agent a client claims.
  if (md5_configured_ && request != nullptr && md5_only_.matches(*request)) return kMd5Only;
  return algorithms_;
}

std::vector<std::string> DigestAuthenticator::challenges(std::string_view realm, std::int64_t now, bool stale,
                                                         std::string_view client,
                                                         const sip::Message* request) const {
  const NonceText nonce = nonces_.issue(NonceScope{realm, client}, now);
  const std::span<const DigestAlgorithm> offered_algorithms = algorithms_for(request);
  std::vector<std::string> values;
  values.reserve(offered_algorithms.size());
  for (DigestAlgorithm offered : offered_algorithms) {
    const std::string_view algorithm = sip::to_string(offered);
    const std::array<sip::AuthField, 5> fields = {{
        {"realm", realm},
        {"nonce", nonce.view()},
        {"algorithm", algorithm},
        {"qop", "auth"},
        {"stale", "true"},
    }};
    const std::size_t count = stale ? fields.size() : fields.size() - 1;
    values.push_back(sip::format_challenge("Digest", std::span<const sip::AuthField>(fields.data(), count)));
  }
  return values;
}

AuthResult DigestAuthenticator::verify(const sip::Message& request, sip::HeaderId credentials_header,
                                       std::string_view realm, std::int64_t now,
                                       std::string_view client) const {
  Located located = locate(request, credentials_header, realm);
  if (located.malformed) return outcome(AuthVerdict::malformed, "malformed credentials");
  // Not a failure: every client sends its first request without credentials (RFC 3261 §22.2).
  if (!located.credentials) return outcome(AuthVerdict::challenge, "no credentials");
  auto checked = check_fields(*located.credentials, algorithms_);
  if (!checked) return std::move(checked.error());
  const CheckedFields& fields = *checked;

  // From here on the user name is worth logging and counting.
  AuthResult result;
  result.user = std::string(fields.username);

  // A nonce this server never issued for this realm and this client address, or one from before
  // a restart (new secret): the client did nothing wrong that a new challenge cannot fix. A
  // datagram with a forged source cannot carry a nonce issued to that source, so it never
  // counts as a failure against it (and never bans it).
  const NonceState nonce_state =
      nonces_.check(fields.nonce, NonceScope{realm, client}, now, usable_lifetime_seconds_);
  if (nonce_state == NonceState::forged) {
    result.verdict = AuthVerdict::challenge;
    result.reason = "forged nonce";
    return result;
  }
  if (!acceptable_request_uri(fields.uri, request.request_uri())) {
    result.verdict = AuthVerdict::failed;
    result.reason = "uri is not a SIP URI";
    return result;
  }

  std::optional<store::Account> account = users_.find(fields.username, realm);
  const std::string_view ha1 = account ? stored_ha1(*account, fields.algorithm) : std::string_view();
  const bool ha1_usable = ha1.size() == sip::digest_hex_length(fields.algorithm);
  // Always hash, against a stand-in HA1 when there is no real one: an unknown user and a wrong
  // password must cost the same time.
  const DigestResponseInput input{fields.algorithm, request.method_text(), fields.uri, fields.nonce,
                                  fields.nc_text,   fields.cnonce,         fields.qop, fields.response};
  const bool matches = response_matches(
      input, ha1_usable ? ha1 : kStandInHa1.substr(0, sip::digest_hex_length(fields.algorithm)));
  if (!account || !ha1_usable || !matches) {
    result.verdict = AuthVerdict::failed;
    result.reason = !account ? "unknown user" : "wrong response";
    return result;
  }

  // The client knows the password; only the nonce is out of date (RFC 7616 §3.3 stale).
  if (nonce_state == NonceState::stale) {
    result.verdict = AuthVerdict::challenge;
    result.stale = true;
    result.reason = "stale nonce";
    return result;
  }
  // Recorded only now that the response is proven, so a stranger who saw the nonce cannot use
  // up its counts. A refused count is a replay (or a full table): a fresh nonce lets an honest
  // client go on, a replayed request gets nothing it can use.
  if (!counts_.accept(fields.nonce, fields.nc, now)) {
    result.verdict = AuthVerdict::challenge;
    result.stale = true;
    // The size is read after the refusal, racily: good enough to label a log line.
    result.reason = counts_.size() >= counts_.max_entries() ? "nonce table full" : "replayed nc";
    return result;
  }

  result.verdict = AuthVerdict::authenticated;
  result.reason = "authenticated";
  result.account = std::move(account);
  return result;
}

}  // namespace osprey::security

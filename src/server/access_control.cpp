#include "server/access_control.hpp"

#include <spdlog/spdlog.h>

#include "registrar/aor.hpp"
#include "sip/char_class.hpp"
#include "sip/route.hpp"

namespace osprey::server {

namespace {
std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = sip::ascii_lower(c);
  return out;
}

AccessDecision refuse(int status, std::string_view reason) {
  AccessDecision decision;
  decision.status = status;
  decision.reason = reason;
  return decision;
}
}  // namespace

AccessControl::AccessControl(const SecuritySettings& settings, const proxy::LocalIdentity& identity,
                             const store::UserStore* users, security::DigestAuthenticator* authenticator,
                             security::BanTable* bans, const security::DialPolicy* dial_policy, Clock clock,
                             spdlog::logger& logger, const security::DialogToken* dialog_tokens)
    : settings_(settings),
      identity_(identity),
      users_(users),
      authenticator_(authenticator),
      bans_(bans),
      dial_policy_(dial_policy),
      clock_(std::move(clock)),
      logger_(logger),
      dialog_tokens_(dialog_tokens) {}

bool AccessControl::dialog_admitted(const sip::Message& request) const {
  if (dialog_tokens_ == nullptr) return true;
  if (!request.call_id()) return false;
  const auto carries_token = [&](const sip::Uri& uri) {
    if (!identity_.is_ours(uri)) return false;
    const auto token = uri.param(security::DialogToken::kParam);
    return token && dialog_tokens_->verify(*request.call_id(), *token);
  };
  // §16.4: our URI is the top Route (loose routing), or the Request-URI when the previous hop is
  // a strict router. A UA with an outbound proxy may put that proxy (osprey again) before the
  // dialog's route set: the token may be on any of the leading Route entries that are ours.
  auto parsed_routes = sip::routes(request, sip::HeaderId::route);
  if (parsed_routes) {
    for (const auto& route : *parsed_routes) {
      if (!identity_.is_ours(route.uri)) break;
      if (carries_token(route.uri)) return true;
    }
  }
  return carries_token(request.request_uri());
}

std::string AccessControl::realm_for(const sip::Uri& uri) const {
  // RFC 3261 §22.1: the realm names the protection domain; osprey's are its served domains,
  // which are also the realms of the accounts (store::Account::realm).
  if (identity_.serves_uri(uri)) return lowercase(uri.host);
  return identity_.domains().empty() ? std::string() : lowercase(identity_.domains().front());
}

bool AccessControl::leaves_served_users(const sip::Message& request) const {
  // A pre-loaded Route toward anything but us takes the request elsewhere (§16.4, §16.6 step 6).
  auto parsed_routes = sip::routes(request, sip::HeaderId::route);
  if (!parsed_routes) return true;  // the proxy answers 400; nothing leaves unauthenticated
  for (const auto& route : *parsed_routes) {
    if (!identity_.is_ours(route.uri)) return true;
  }
  const sip::Uri& uri = request.request_uri();
  if (!uri.is_sip()) return true;  // tel: and the like go to a gateway, never to a user here
  if (!identity_.serves_uri(uri)) return !identity_.is_ours(uri);
  // A number in a served domain that is nobody's account is a call to the telephone network.
  if (security::dialled_number(uri) && users_ != nullptr)
    return !users_->has_aor(registrar::canonical_aor(uri));
  return false;
}

AccessDecision AccessControl::authenticate(const sip::Message& request, const net::Flow& flow,
                                           bool registration, const std::string& realm) {
  AccessDecision decision;
  const std::int64_t now = clock_();
  security::AuthResult result;
  if (authenticator_ != nullptr) {
    result = authenticator_->verify(
        request, registration ? sip::HeaderId::authorization : sip::HeaderId::proxy_authorization, realm,
        now);
  } else {
    result.verdict = security::AuthVerdict::failed;  // no accounts: nobody can authenticate
  }
  switch (result.verdict) {
    case security::AuthVerdict::authenticated:
      ++counters_.authenticated;
      decision.identity = result.account->aor;
      return decision;
    case security::AuthVerdict::malformed:
      decision.status = 400;
      decision.reason = registration ? "Malformed Authorization" : "Malformed Proxy-Authorization";
      return decision;
    case security::AuthVerdict::failed: {
      ++counters_.failures;
      logger_.info("authentication failed for user '{}' from {}: {}", result.user,
                   net::host_text(flow.remote.address), result.reason);
      if (bans_ != nullptr) {
        if (auto ban = bans_->record_failure(flow.remote.address, result.user, now)) {
          logger_.warn(
              "banned {} for {} s after repeated authentication failures (offence {}, last user '{}')",
              net::host_text(flow.remote.address), ban->until - ban->since, ban->offences, result.user);
        }
      }
      break;  // answered exactly like a plain challenge: nothing tells the two apart
    }
    case security::AuthVerdict::challenge: ++counters_.challenged; break;
  }
  // RFC 3261 §22.2 (registrar: 401 WWW-Authenticate) and §22.3 (proxy: 407 Proxy-Authenticate);
  // RFC 8760 §2.4: SHA-256 first, MD5 for older clients.
  decision.status = registration ? 401 : 407;
  const std::string header = registration ? "WWW-Authenticate" : "Proxy-Authenticate";
  if (authenticator_ != nullptr) {
    for (std::string& challenge : authenticator_->challenges(realm, now, result.stale)) {
      decision.headers.emplace_back(header, std::move(challenge));
    }
  }
  return decision;
}

bool AccessControl::ack_allowed(const sip::Message& ack, const net::Flow& flow) {
  if (!settings_.authentication) return true;
  if (settings_.trusted_peers.contains(flow.remote.address)) return true;
  if (dialog_admitted(ack) || !leaves_served_users(ack)) return true;
  ++counters_.acks_dropped;
  return false;
}

AccessDecision AccessControl::admit(const sip::Message& request, const net::Flow& flow) {
  if (!settings_.authentication) return {};
  const sip::Method method = request.method();
  // §22.1: ACK and CANCEL cannot be challenged (no response to an ACK; a CANCEL's must match).
  if (method == sip::Method::ack || method == sip::Method::cancel) return {};
  if (settings_.trusted_peers.contains(flow.remote.address)) {
    AccessDecision decision;
    decision.trusted_source = true;
    return decision;
  }
  if (!request.to() || !request.from()) return {};  // the intake let none of these through

  if (method == sip::Method::register_) {
    // A REGISTER for another domain is not ours to authenticate: the registrar refuses it.
    if (!identity_.serves_uri(request.request_uri())) return {};
    const sip::Uri& to = request.to()->uri;
    AccessDecision decision = authenticate(request, flow, true, realm_for(to));
    if (decision.status != 0) return decision;
    // §10.3 step 4: the authenticated user may change the bindings of its own AOR only.
    if (registrar::canonical_aor(to) != decision.identity) {
      ++counters_.forbidden;
      logger_.info("REGISTER from {}: user {} may not register {}", net::host_text(flow.remote.address),
                   decision.identity, to.text);
      return refuse(403, "Forbidden: not your address-of-record");
    }
    return decision;
  }

  // Inside a dialog osprey admitted, the request follows the Route set its dialog-creating
  // request earned; with a To tag but no valid token it is judged as a new request.
  if (!request.to()->tag().empty() && dialog_admitted(request)) return {};

  const sip::Uri& from = request.from()->uri;
  const bool from_our_user = identity_.serves_uri(from);
  const bool leaves = leaves_served_users(request);
  if (!from_our_user && !leaves) {
    if (settings_.accept_inbound) return {};
    ++counters_.forbidden;
    return refuse(403, "Forbidden: inbound requests not accepted");
  }
  AccessDecision decision = authenticate(request, flow, false, realm_for(from));
  if (decision.status != 0) return decision;
  if (registrar::canonical_aor(from) != decision.identity) {
    ++counters_.forbidden;
    logger_.info("{} from {}: user {} may not send as {}", request.method_text(),
                 net::host_text(flow.remote.address), decision.identity, from.text);
    return refuse(403, "Forbidden: From is not yours");
  }
  if (leaves && dial_policy_ != nullptr) {
    if (auto number = security::dialled_number(request.request_uri())) {
      const security::DialDecision verdict = dial_policy_->check(decision.identity, *number);
      if (!verdict.allowed) {
        ++counters_.forbidden;
        ++counters_.toll_fraud;
        logger_.warn("dial policy: {} from {} by {} to {} refused: {}", request.method_text(),
                     net::host_text(flow.remote.address), decision.identity, *number, verdict.reason);
        return refuse(403, "Forbidden: destination not allowed");
      }
    }
  }
  return decision;
}

}  // namespace osprey::server

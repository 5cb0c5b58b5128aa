#include "sbc/trunk_registration.hpp"

#include <algorithm>

#include "registrar/granted_expires.hpp"
#include "sip/numeric_headers.hpp"
#include "sip/uri.hpp"

namespace osprey::sbc {

namespace {

using std::chrono::seconds;

// The registrar's address: the AOR's scheme, host and port, without user (RFC 3261 §10.2:
// "The Request-URI names the domain of the location service").
std::string registrar_uri_of(const sip::Uri& aor) {
  std::string uri = aor.scheme == sip::UriScheme::sips ? "sips:" : "sip:";
  uri += aor.host;
  if (aor.has_port) uri += ":" + std::to_string(aor.port);
  return uri;
}

}  // namespace

TrunkRegistrationClient::TrunkRegistrationClient(const Trunk& trunk, std::string contact,
                                                 txn::TransactionTable& table, Resolve resolve,
                                                 security::CnonceSource random)
    : settings_(trunk.registration),
      credentials_(trunk.credentials),
      peer_(trunk.peer),
      contact_(std::move(contact)),
      table_(table),
      resolve_(std::move(resolve)),
      random_(std::move(random)),
      call_id_(random_()),
      from_tag_(random_().substr(0, 16)),
      requested_expires_(settings_.expires) {
  aor_ = settings_.aor;
  if (aor_.empty()) {
    // sbc::TrunkRegistration: "empty: username@peer host".
    if (auto peer = sip::parse_uri(peer_); peer && peer->is_sip()) {
      const std::string user = credentials_ ? credentials_->username : std::string("osprey");
      aor_ = std::string(peer->scheme == sip::UriScheme::sips ? "sips:" : "sip:") +
             sip::escape(user, sip::UriComponent::user) + "@" + std::string(peer->host);
    }
  }
  // Both go into the REGISTER as they are: a text that is not one SIP URI (a stray CRLF, a '>')
  // would add headers of its own, so it stops the registration instead.
  if (auto aor = sip::parse_uri(aor_); aor && aor->is_sip()) {
    request_uri_ = registrar_uri_of(*aor);
  } else {
    configuration_error_ = "no AOR to register: set the trunk's registration aor (a sip: URI) or a sip: peer";
  }
  if (auto ours = sip::parse_uri(contact_); !ours || !ours->is_sip()) {
    configuration_error_ = "osprey's contact toward the trunk is not a sip: URI";
  }
}

TrunkRegistrationClient::~TrunkRegistrationClient() { *alive_ = false; }

TrunkRegistrationClient::Resolve TrunkRegistrationClient::resolve_to(txn::Target target) {
  return [target](const sip::Uri&, net::ResolveCallback done) {
    done(net::ResolvedTarget{{net::ResolvedHop{target.protocol, target.destination}}, target.server_name});
  };
}

TrunkRegistrationClient::Resolve TrunkRegistrationClient::resolve_with(net::TargetResolver& resolver) {
  return [&resolver](const sip::Uri& peer, net::ResolveCallback done) {
    resolver.resolve(peer, std::move(done));
  };
}

void TrunkRegistrationClient::start(txn::TimePoint now) {
  now_ = now;
  if (!settings_.enabled) return;
  stopping_ = false;
  status_.phase = TrunkRegistrationPhase::registering;
  if (pending_ || resolving_) {
    // Started again right after stop(): what is in flight finishes first, the tick goes on.
    status_.next_attempt = now;
    return;
  }
  attempt();
}

void TrunkRegistrationClient::stop() {
  status_.next_attempt.reset();
  const bool holds_binding = status_.registered_until && *status_.registered_until > now_;
  stopping_ = true;
  status_.phase = TrunkRegistrationPhase::idle;
  if (!holds_binding || !target_) return;
  answer_.emplace(credentials_.value_or(TrunkCredentials{}), random_);
  interval_too_brief_rounds_ = 0;
  send_register();
}

void TrunkRegistrationClient::attempt() {
  status_.next_attempt.reset();
  if (!configuration_error_.empty()) {
    fail(0, configuration_error_);
    return;
  }
  // Each attempt answers its own challenges: a refresh an hour later meets new nonces, and a
  // realm failing again within one attempt is what ends it.
  answer_.emplace(credentials_.value_or(TrunkCredentials{}), random_);
  interval_too_brief_rounds_ = 0;
  auto peer = sip::parse_uri(peer_);
  if (!peer) {
    fail(0, "the trunk's peer is not a URI");
    return;
  }
  resolving_ = true;
  std::weak_ptr<bool> alive = alive_;
  resolve_(*peer, [this, alive](tl::expected<net::ResolvedTarget, std::string> resolved) {
    if (auto still = alive.lock(); !still || !*still) return;
    on_resolved(std::move(resolved));
  });
}

void TrunkRegistrationClient::on_resolved(tl::expected<net::ResolvedTarget, std::string> resolved) {
  resolving_ = false;
  if (stopping_) return;
  if (!resolved || resolved->hops.empty()) {
    fail(503,
         "the trunk's peer does not resolve: " + (resolved ? std::string("no address") : resolved.error()));
    return;
  }
  const net::ResolvedHop& hop = resolved->hops[hop_index_ % resolved->hops.size()];
  target_ = txn::Target{hop.protocol, hop.endpoint, resolved->server_name};
  send_register();
}

std::string TrunkRegistrationClient::register_text(std::uint32_t expires) const {
  return "REGISTER " + request_uri_ +
         " SIP/2.0\r\n"
         "Max-Forwards: 70\r\n"
         "From: <" +
         aor_ + ">;tag=" + from_tag_ +
         "\r\n"
         "To: <" +
         aor_ +
         ">\r\n"
         "Call-ID: " +
         call_id_ +
         "\r\n"
         "CSeq: " +
         std::to_string(cseq_) +
         " REGISTER\r\n"
         "Contact: <" +
         contact_ +
         ">\r\n"
         "Expires: " +
         std::to_string(expires) +
         "\r\n"
         "Content-Length: 0\r\n\r\n";
}

void TrunkRegistrationClient::send_register() {
  // RFC 3261 §10.2.4, §8.1.3.5: the same Call-ID, a CSeq one higher for every REGISTER.
  ++cseq_;
  auto request = sip::Message::parse(register_text(stopping_ ? 0 : requested_expires_));
  if (!request) {
    // Only a contact or AOR text that breaks the request could do this: a configuration fault.
    fail(0, "the REGISTER does not parse: " + request.error().reason);
    return;
  }
  if (answer_ && !answer_->authorize(*request)) {
    fail(0, "the Digest hash cannot be computed");
    return;
  }
  pending_removal_ = stopping_;
  pending_ = table_.send_request(std::move(*request), *target_);
  if (!pending_) {
    ++hop_index_;
    fail(503, "the REGISTER could not be sent");
  }
}

bool TrunkRegistrationClient::on_response(txn::ClientTransactionId transaction,
                                          const sip::Message& response) {
  if (!pending_ || !(transaction == *pending_)) return false;
  const int code = response.status();
  if (code < 200) return true;
  pending_.reset();
  status_.last_status = code;
  if (pending_removal_) {
    // RFC 3261 §10.2.2: the binding is gone (or will expire); a challenge to the removal is
    // answered like any other.
    if (stopping_ && (code == 401 || code == 407) && answer_ && answer_->learn(response)) {
      send_register();
      return true;
    }
    status_.registered_until.reset();
    if (!stopping_) status_.next_attempt = now_;  // started again meanwhile: register at the next tick
    return true;
  }
  if (code >= 200 && code < 300) {
    on_registered(response);
    return true;
  }
  if (code == 401 || code == 407) {
    if (credentials_ && answer_ && answer_->learn(response)) {
      send_register();
    } else {
      fail(code, credentials_ ? "the trunk refused our credentials"
                              : "the trunk asks for credentials, none configured");
    }
    return true;
  }
  if (code == 423) {
    // RFC 3261 §10.2.8: register again with an expiry of at least Min-Expires.
    auto min = sip::min_expires(response);
    if (min && *min && **min > requested_expires_ && **min <= kMaxMinExpires &&
        ++interval_too_brief_rounds_ <= kMaxIntervalTooBriefRounds) {
      requested_expires_ = **min;
      send_register();
    } else {
      fail(code, "423 without a usable Min-Expires");
    }
    return true;
  }
  seconds at_least{0};
  if (code == 503) {
    // RFC 3261 §21.5.4: the server says when to come back.
    if (auto retry = sip::retry_after(response); retry && *retry) at_least = seconds((*retry)->seconds);
  }
  fail(code, "the trunk answered " + std::to_string(code), at_least);
  return true;
}

bool TrunkRegistrationClient::on_client_failure(txn::ClientTransactionId transaction, int status) {
  if (!pending_ || !(transaction == *pending_)) return false;
  pending_.reset();
  status_.last_status = status;
  if (stopping_) return true;
  // RFC 3263 §4.3: the next attempt tries the next address the peer resolves to.
  ++hop_index_;
  fail(status, status == 408 ? "no answer from the trunk" : "transport error toward the trunk");
  return true;
}

void TrunkRegistrationClient::on_registered(const sip::Message& ok) {
  // §10.2.4: what the 200 grants our Contact; never longer than was asked, so a trunk cannot
  // keep osprey from checking in.
  const std::uint32_t granted =
      std::min(registrar::granted_expires(ok, contact_, requested_expires_), requested_expires_);
  if (granted == 0) {
    fail(ok.status(), "the trunk granted no time");
    return;
  }
  status_.phase = TrunkRegistrationPhase::registered;
  status_.granted_seconds = granted;
  status_.registered_until = now_ + seconds(granted);
  status_.next_attempt = now_ + seconds(std::max<std::uint32_t>(granted / 2, 1));
  status_.failures_in_a_row = 0;
  status_.last_failure.clear();
}

void TrunkRegistrationClient::fail(int status, std::string why, seconds at_least) {
  status_.phase = TrunkRegistrationPhase::failing;
  status_.last_status = status;
  status_.last_failure = std::move(why);
  ++status_.failures_in_a_row;
  const seconds base{std::max<std::uint32_t>(settings_.retry_after, 1)};
  const seconds cap = std::max(kMaxRetryDelay, base);
  // Doubling per failure in a row; the shift is bounded so it cannot overflow.
  const auto doublings = std::min<std::uint32_t>(status_.failures_in_a_row - 1, 16);
  seconds delay = std::min(base * (std::int64_t{1} << doublings), cap);
  delay = std::max(delay, std::min(at_least, cap));
  status_.next_attempt = now_ + delay;
}

void TrunkRegistrationClient::advance(txn::TimePoint now) {
  now_ = now;
  if (stopping_ || !settings_.enabled || pending_ || resolving_ || !status_.next_attempt) return;
  if (now >= *status_.next_attempt) attempt();
}

}  // namespace osprey::sbc

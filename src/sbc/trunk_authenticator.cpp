#include "sbc/trunk_authenticator.hpp"

#include <algorithm>
#include <cctype>

#include "security/digest_hash.hpp"

namespace osprey::sbc {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The trunk's account as a read-only user store, so that the server's Digest verifier checks it
// exactly as it checks our users. Nothing can be added to it.
class OneAccountStore final : public store::UserStore {
 public:
  explicit OneAccountStore(store::Account account) : account_(std::move(account)) {}

  std::optional<store::Account> find(std::string_view user, std::string_view realm) const override {
    // RFC 3261 §19.1.4 as the user store does it: the user as written, the realm in any case.
    if (user != account_.user || !equal_ignoring_case(realm, account_.realm)) return std::nullopt;
    return account_;
  }
  bool has_aor(std::string_view) const override { return false; }
  std::size_t size() const override { return 1; }
  tl::expected<bool, std::string> reload_if_changed() override { return false; }
  tl::expected<void, std::string> add(std::string_view, const store::Ha1Set&) override { return read_only(); }
  tl::expected<void, std::string> set_credentials(std::string_view, const store::Ha1Set&) override {
    return read_only();
  }
  tl::expected<void, std::string> remove(std::string_view) override { return read_only(); }
  tl::expected<void, std::string> add_many(std::span<const std::pair<std::string, store::Ha1Set>>) override {
    return read_only();
  }
  tl::expected<std::vector<store::Account>, std::string> list() override {
    return std::vector<store::Account>{account_};
  }

 private:
  static tl::unexpected<std::string> read_only() {
    return tl::unexpected(std::string("a trunk account is read-only"));
  }
  store::Account account_;
};

sip::LocalReply reply(int status, std::string_view reason) {
  return sip::LocalReply{status, std::string(reason), {}};
}

TrunkAuthDecision refused(int status, std::string_view phrase, std::string_view why) {
  TrunkAuthDecision decision;
  decision.outcome = TrunkAuthOutcome::refuse;
  decision.answer = reply(status, phrase);
  decision.reason = why;
  return decision;
}

}  // namespace

class TrunkAuthenticators::TrunkAccount {
 public:
  TrunkAccount(store::Account account, const security::NonceService& nonces, security::NonceCounts& counts)
      : realm_(account.realm), store_(std::move(account)), authenticator_(store_, nonces, counts) {}

  const std::string& realm() const { return realm_; }
  const security::DigestAuthenticator& authenticator() const { return authenticator_; }

 private:
  std::string realm_;
  OneAccountStore store_;
  security::DigestAuthenticator authenticator_;
};

TrunkAuthenticators::TrunkAuthenticators(const std::vector<Trunk>& trunks, std::string default_realm,
                                         const security::NonceService& nonces,
                                         security::NonceCounts& counts) {
  for (const Trunk& trunk : trunks) {
    if (!trunk.inbound_credentials) continue;
    const TrunkCredentials& credentials = *trunk.inbound_credentials;
    store::Account account;
    account.user = credentials.username;
    account.realm = credentials.realm.empty() ? default_realm : credentials.realm;
    account.aor = "sip:" + account.user + "@" + account.realm;
    // A hash that cannot be computed (MD5 refused by a FIPS OpenSSL) stays empty, and the
    // verifier then fails that algorithm: nothing authenticates with it.
    if (auto md5 = security::digest_ha1(sip::DigestAlgorithm::md5, account.user, account.realm,
                                        credentials.password)) {
      account.ha1.md5 = std::move(*md5);
    }
    if (auto sha256 = security::digest_ha1(sip::DigestAlgorithm::sha256, account.user, account.realm,
                                           credentials.password)) {
      account.ha1.sha256 = std::move(*sha256);
    }
    by_name_.try_emplace(trunk.name, std::make_unique<TrunkAccount>(std::move(account), nonces, counts));
  }
}

TrunkAuthenticators::~TrunkAuthenticators() = default;

TrunkAuthDecision TrunkAuthenticators::check(const sip::Message& request, const net::Endpoint& source,
                                             const Trunk& trunk, std::int64_t now) const {
  const bool ack = request.method() == sip::Method::ack;
  if (!trunk.sources.empty() && !trunk.sources.contains(source.address)) {
    // The caller matched the trunk by something else than its source: its address list decides.
    if (ack)
      return TrunkAuthDecision{TrunkAuthOutcome::drop, std::nullopt, {}, "not from the trunk's sources", {}};
    return refused(403, "Forbidden", "not from the trunk's sources");
  }
  if (!trunk.inbound_credentials)
    return TrunkAuthDecision{TrunkAuthOutcome::pass, std::nullopt, {}, "no credentials required", {}};
  // §22.1: ACK and CANCEL cannot be challenged; alone (no call they belong to), they are not let in.
  if (ack) return TrunkAuthDecision{TrunkAuthOutcome::drop, std::nullopt, {}, "ACK cannot authenticate", {}};
  if (request.method() == sip::Method::cancel) return refused(403, "Forbidden", "CANCEL cannot authenticate");

  auto found = by_name_.find(trunk.name);
  if (found == by_name_.end()) return refused(403, "Forbidden", "trunk credentials not loaded");
  const TrunkAccount& account = *found->second;
  const std::string client = net::address_text(source.address);
  const security::AuthResult result = account.authenticator().verify(
      request, sip::HeaderId::proxy_authorization, account.realm(), now, client);

  TrunkAuthDecision decision;
  decision.user = result.user;
  decision.reason = result.reason;
  switch (result.verdict) {
    case security::AuthVerdict::authenticated:
      decision.outcome = TrunkAuthOutcome::pass;
      decision.verified_realm = account.realm();
      return decision;
    case security::AuthVerdict::malformed:
      decision.outcome = TrunkAuthOutcome::refuse;
      decision.answer = reply(400, "Malformed Proxy-Authorization");
      return decision;
    case security::AuthVerdict::failed:
      // The source is the trunk's own: a wrong password is a configuration fault (or someone
      // at the trunk's address guessing), not a user to hide from a scanner. 403 ends it.
      decision.outcome = TrunkAuthOutcome::refuse;
      decision.answer = reply(403, "Forbidden");
      return decision;
    case security::AuthVerdict::challenge: break;
  }
  // RFC 3261 §22.3, RFC 8760 §2.4: SHA-256 first, then MD5, stale=true when only the nonce aged.
  decision.outcome = TrunkAuthOutcome::challenge;
  sip::LocalReply& challenge = decision.answer.emplace(reply(407, "Proxy Authentication Required"));
  for (std::string& value :
       account.authenticator().challenges(account.realm(), now, result.stale, client, &request)) {
    challenge.headers.emplace_back("Proxy-Authenticate", std::move(value));
  }
  return decision;
}

}  // namespace osprey::sbc

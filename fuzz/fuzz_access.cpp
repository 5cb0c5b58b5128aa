// The access decision as an attacker meets it: a random request from a random source under a
// random configuration. Property: a request that passes without credentials (not authenticated,
// not from a trusted peer) never reaches a telephone number without an account, a foreign host,
// or a Route off this server, never registers, and never speaks for one of our users. Digest
// cannot be forged by the fuzzer, so every authenticated path ends in a challenge; dialog tokens
// are signed for places the input picks, so the in-dialog path is reached too, and must only
// lead to the places a token names.
//
// Input: byte 0 = configuration bits, byte 1 = source address, then the request.

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <string>

#include "fuzz_support.hpp"
#include "registrar/aor.hpp"
#include "security/access_control.hpp"
#include "security/dial_policy.hpp"
#include "sip/aor.hpp"
#include "sip/host.hpp"
#include "sip/route.hpp"
#include "sip/route_decision.hpp"

namespace {

using namespace osprey;

constexpr std::int64_t kNow = 1'700'000'000;
const std::vector<std::string> kDomains = {"example.com", "192.0.2.1"};

// Accounts alice, bob and the number +15551234 in example.com; nobody can authenticate (no HA1
// the fuzzer could match), which is the point.
class Accounts : public store::UserStore {
 public:
  std::optional<store::Account> find(std::string_view user, std::string_view realm) const override {
    if (!has_aor("sip:" + std::string(user) + "@" + sip::canonical_host(realm))) return std::nullopt;
    store::Account account;
    account.user = std::string(user);
    account.realm = sip::canonical_host(realm);
    account.aor = "sip:" + account.user + "@" + account.realm;
    account.ha1.md5 = std::string(32, '0');
    account.ha1.sha256 = std::string(64, '0');
    return account;
  }
  bool has_aor(std::string_view aor) const override {
    return aor == "sip:alice@example.com" || aor == "sip:bob@example.com" ||
           aor == "sip:+15551234@example.com";
  }
  std::size_t size() const override { return 3; }
  tl::expected<bool, std::string> reload_if_changed() override { return false; }
  tl::expected<void, std::string> add(std::string_view, const store::Ha1Set&) override {
    return unsupported();
  }
  tl::expected<void, std::string> set_credentials(std::string_view, const store::Ha1Set&) override {
    return unsupported();
  }
  tl::expected<void, std::string> remove(std::string_view) override { return unsupported(); }
  tl::expected<void, std::string> add_many(std::span<const std::pair<std::string, store::Ha1Set>>) override {
    return unsupported();
  }
  tl::expected<std::vector<store::Account>, std::string> list() override {
    return std::vector<store::Account>{};
  }

 private:
  static tl::expected<void, std::string> unsupported() { return tl::unexpected(std::string("read-only")); }
};

struct World {
  World() {
    identity.add_listener(net::Protocol::udp, {boost::asio::ip::make_address("192.0.2.1"), 5060});
    security::NonceService::Secret secret{};
    secret.fill(3);
    nonces = std::make_unique<security::NonceService>(secret);
    authenticator = std::make_unique<security::DigestAuthenticator>(users, *nonces, counts);
    security::DialogToken::Secret token_secret{};
    token_secret.fill(5);
    tokens = std::make_unique<security::DialogToken>(token_secret, 3600);
    auto policy = security::DialPolicy::create({});
    dial_policy = std::make_unique<security::DialPolicy>(std::move(*policy));
    auto peers = security::AddressSet::parse(std::vector<std::string>{"203.0.113.0/24"});
    settings.trusted_peers = *peers;
  }

  net::LocalIdentity identity{kDomains};
  Accounts users;
  std::unique_ptr<security::NonceService> nonces;
  security::NonceCounts counts;
  std::unique_ptr<security::DigestAuthenticator> authenticator;
  std::unique_ptr<security::DialogToken> tokens;
  std::unique_ptr<security::DialPolicy> dial_policy;
  security::SecuritySettings settings;
  spdlog::logger logger{"fuzz_access", std::make_shared<spdlog::sinks::null_sink_mt>()};
};

World& world() {
  static World instance;  // one per fuzzing process: the harness, not the product
  return instance;
}

bool served_host(std::string_view host) {
  const std::string canonical = sip::canonical_host(host);
  return canonical == "example.com" || canonical == "192.0.2.1";
}

// Where an unauthenticated request may go: one of our users (an account, or a non-number in a
// served domain), on our port, with no Route left.
bool reaches_only_our_users(const sip::RouteDecision& route, const Accounts& users) {
  if (!route.routes.empty()) return false;
  auto uri = sip::parse_uri(route.request_uri);
  if (!uri || !uri->is_sip() || !served_host(uri->host)) return false;
  if (uri->has_port && uri->port != 5060) return false;
  if (security::dialled_number(*uri) && !users.has_aor(sip::account_aor(*uri))) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  World& w = world();
  const std::uint8_t bits = data[0];
  const std::uint8_t source_choice = data[1];
  const std::string text(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto parsed = sip::Message::parse(text);
  if (!parsed || !parsed->is_request()) return 0;
  const sip::Message& request = *parsed;

  w.settings.authentication = true;
  w.settings.accept_inbound = (bits & 1) != 0;
  const bool use_tokens = (bits & 2) != 0;
  const char* sources[] = {"198.51.100.7", "203.0.113.9", "192.0.2.1", "::ffff:198.51.100.7"};
  const net::Flow flow{
      net::Protocol::udp, {boost::asio::ip::make_address(sources[source_choice % 4]), 5070}, {}, 0};
  const bool trusted = w.settings.trusted_peers.contains(flow.remote.address);

  // The token osprey would have given the caller of this request's dialog (toward the callee),
  // naming places the input picks (bits 2-3): the in-dialog path is then reachable, and must
  // lead only to those places.
  std::vector<std::string> token_places;
  if ((bits & 4) != 0) token_places.push_back("phone.other.net:5060");
  if ((bits & 8) != 0) token_places.push_back("198.51.100.7:5060");
  std::string token;
  if (request.call_id() && request.from() && request.to()) {
    const std::string caller = sip::account_aor(request.from()->uri);
    const std::string callee = sip::account_aor(request.to()->uri);
    token = w.tokens->sign({security::DialogDirection::toward_callee,
                            *request.call_id(),
                            request.from()->tag(),
                            request.to()->tag(),
                            caller,
                            callee,
                            token_places,
                            {}},
                           kNow);
  }
  std::string with_token = text;
  if (use_tokens && !token.empty()) {
    // Our Record-Route with the token as the top Route, as a UA in the dialog would send it.
    const std::size_t line_end = with_token.find("\r\n");
    if (line_end != std::string::npos)
      with_token.insert(line_end + 2, "Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>\r\n");
  }
  auto final_request = sip::Message::parse(with_token);
  if (!final_request) return 0;
  auto route = sip::decide_route(*final_request, w.identity);
  if (!route) return 0;

  security::AccessControl access(
      w.settings, w.identity, &w.users, w.authenticator.get(), nullptr, w.dial_policy.get(),
      [] { return kNow; }, w.logger, w.tokens.get());
  const security::AccessDecision decision = access.admit(*final_request, flow, *route);
  const sip::Method method = final_request->method();
  const bool unauthenticated_pass = !decision.answer && decision.identity.empty() && !trusted;
  OSPREY_FUZZ_CHECK(!decision.trusted_source || trusted);
  if (method == sip::Method::ack) {
    if (!access.ack_allowed(*final_request, flow, *route) || trusted) return 0;
  } else if (!unauthenticated_pass || method == sip::Method::cancel) {
    return 0;
  }
  if (method == sip::Method::register_) {
    OSPREY_FUZZ_CHECK(!registrar::registers_for(final_request->request_uri(), kDomains));
    return 0;
  }
  if (!final_request->to() || !final_request->from()) return 0;  // the intake refuses these first
  // In-dialog with a token: only toward a place the token names.
  auto next_hop = sip::parse_uri(route->next_hop);
  const bool toward_token_place =
      next_hop && std::find(token_places.begin(), token_places.end(), security::dialog_place(*next_hop)) !=
                      token_places.end();
  if (use_tokens && !token.empty() && !final_request->to()->tag().empty() && toward_token_place) return 0;
  // Otherwise: inbound only, from a foreign domain, to one of our users.
  OSPREY_FUZZ_CHECK(w.settings.accept_inbound || method == sip::Method::ack);
  OSPREY_FUZZ_CHECK(reaches_only_our_users(*route, w.users));
  if (method != sip::Method::ack)
    OSPREY_FUZZ_CHECK(!served_host(final_request->from()->uri.host) || !final_request->from()->uri.is_sip());
  return 0;
}

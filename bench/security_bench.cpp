// The security costs on the hot path, in isolation (Google Benchmark, release build):
//  - BanTable::is_banned, run for every datagram before parsing: the banned-source drop path must
//    stay far below 5 µs (bench/banned_flood.py measures the whole path through the kernel);
//  - RateLimiter::admit, also per datagram;
//  - DigestAuthenticator::verify of a REGISTER's credentials and the challenges of a 401, the
//    extra work an authenticated REGISTER costs (bench/README.md: at most 2x unauthenticated).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "security/ban_table.hpp"
#include "security/digest_authenticator.hpp"
#include "security/digest_hash.hpp"
#include "security/nonce_counts.hpp"
#include "security/nonce_service.hpp"
#include "security/rate_limiter.hpp"
#include "sip/message.hpp"
#include "store/user_store.hpp"

namespace {

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using osprey::security::BanTable;

constexpr std::int64_t kNow = 1'800'000'000;

std::unique_ptr<BanTable> table_with_bans(int bans) {
  auto table = std::make_unique<BanTable>(osprey::security::BanPolicy{});
  for (int i = 0; i < bans; ++i) {
    table->ban({address_v4(0x0a000000u + static_cast<unsigned>(i)), kNow, kNow + 900, 1, "bench"});
  }
  return table;
}

void BM_IsBanned_Hit(benchmark::State& state) {
  auto table = table_with_bans(static_cast<int>(state.range(0)));
  const address banned = address_v4(0x0a000000u);
  for (auto _ : state) benchmark::DoNotOptimize(table->is_banned(banned, kNow));
}
BENCHMARK(BM_IsBanned_Hit)->Arg(1)->Arg(1000)->Arg(100000);

void BM_IsBanned_Miss(benchmark::State& state) {
  auto table = table_with_bans(static_cast<int>(state.range(0)));
  const address clean = address_v4(0xc0000201u);
  for (auto _ : state) benchmark::DoNotOptimize(table->is_banned(clean, kNow));
}
BENCHMARK(BM_IsBanned_Miss)->Arg(0)->Arg(1000)->Arg(100000);

void BM_RateLimiter_Admit(benchmark::State& state) {
  osprey::security::RateLimiter limiter(osprey::security::RateLimit{1e9, 1e9, {}});
  const address source = address_v4(0xc0000201u);
  auto now = std::chrono::steady_clock::now();
  for (auto _ : state) {
    now += std::chrono::microseconds(1);
    benchmark::DoNotOptimize(limiter.admit(source, now));
  }
}
BENCHMARK(BM_RateLimiter_Admit);

// One account, enough of a UserStore for verify().
class OneUser final : public osprey::store::UserStore {
 public:
  explicit OneUser(osprey::store::Account account) : account_(std::move(account)) {}
  std::optional<osprey::store::Account> find(std::string_view user, std::string_view) const override {
    if (user == account_.user) return account_;
    return std::nullopt;
  }
  bool has_aor(std::string_view aor) const override { return aor == account_.aor; }
  std::size_t size() const override { return 1; }
  tl::expected<bool, std::string> reload_if_changed() override { return false; }
  tl::expected<void, std::string> add(std::string_view, const osprey::store::Ha1Set&) override { return {}; }
  tl::expected<void, std::string> set_credentials(std::string_view, const osprey::store::Ha1Set&) override {
    return {};
  }
  tl::expected<void, std::string> remove(std::string_view) override { return {}; }
  tl::expected<void, std::string> add_many(
      std::span<const std::pair<std::string, osprey::store::Ha1Set>>) override {
    return {};
  }
  tl::expected<std::vector<osprey::store::Account>, std::string> list() override { return {}; }

 private:
  osprey::store::Account account_;
};

osprey::store::Account alice() {
  using osprey::sip::DigestAlgorithm;
  osprey::store::Account account{"sip:alice@example.com", "alice", "example.com", {}, 0};
  account.ha1.md5 = *osprey::security::digest_ha1(DigestAlgorithm::md5, "alice", "example.com", "secret");
  account.ha1.sha256 =
      *osprey::security::digest_ha1(DigestAlgorithm::sha256, "alice", "example.com", "secret");
  return account;
}

// `count` REGISTERs from `account` answering `nonce` with SHA-256, nc 1, 2, 3...: each one's
// count is new to a fresh nonce-count table. Built outside the timed loops.
std::vector<osprey::sip::Message> signed_registers(const osprey::store::Account& account,
                                                   const std::string& nonce, std::size_t count) {
  using osprey::sip::DigestAlgorithm;
  const std::string uri = "sip:example.com";
  const std::string ha2 = *osprey::security::digest_hex(DigestAlgorithm::sha256, {"REGISTER", uri});
  std::vector<osprey::sip::Message> messages;
  messages.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    char nc_text[9];
    std::snprintf(nc_text, sizeof nc_text, "%08x", static_cast<unsigned>(i + 1));
    const std::string response = *osprey::security::digest_hex(
        DigestAlgorithm::sha256, {account.ha1.sha256, nonce, nc_text, "0a4f113b", "auth", ha2});
    messages.push_back(*osprey::sip::Message::parse(
        "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" +
        std::to_string(i) +
        "\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\nCall-ID: b" +
        std::to_string(i) +
        "\r\nCSeq: 2 REGISTER\r\nAuthorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"" +
        nonce + "\", uri=\"" + uri + "\", response=\"" + response +
        "\", algorithm=SHA-256, cnonce=\"0a4f113b\", qop=auth, nc=" + nc_text +
        "\r\nContent-Length: 0\r\n\r\n"));
  }
  return messages;
}

void BM_DigestVerify_Register(benchmark::State& state) {
  const osprey::store::Account account = alice();
  OneUser users(account);
  osprey::security::NonceService nonces(osprey::security::NonceService::random_secret());
  osprey::security::NonceCounts counts;
  osprey::security::DigestAuthenticator authenticator(users, nonces, counts);
  // Fresh nc values for every iteration: each request is read from memory once.
  const std::vector<osprey::sip::Message> messages =
      signed_registers(account, nonces.issue("example.com", kNow), 200000);
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == messages.size()) {
      state.SkipWithError("ran out of prepared requests");
      break;
    }
    auto result =
        authenticator.verify(messages[next++], osprey::sip::HeaderId::authorization, "example.com", kNow);
    if (result.verdict != osprey::security::AuthVerdict::authenticated)
      state.SkipWithError("not authenticated");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_DigestVerify_Register)->Iterations(100000);

// The same verification with the request hot in cache, as in a worker that has just parsed it:
// 1,000 requests (about 1 MB) are verified in turn, and between laps, untimed, the nonce counts
// start afresh so that every count is new again. The cold variant above reads each request from
// memory once, which adds cache misses a server does not pay.
void BM_DigestVerify_Register_Warm(benchmark::State& state) {
  const osprey::store::Account account = alice();
  OneUser users(account);
  osprey::security::NonceService nonces(osprey::security::NonceService::random_secret());
  const std::vector<osprey::sip::Message> messages =
      signed_registers(account, nonces.issue("example.com", kNow), 1000);
  auto counts = std::make_unique<osprey::security::NonceCounts>();
  auto authenticator = std::make_unique<osprey::security::DigestAuthenticator>(users, nonces, *counts);
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == messages.size()) {
      state.PauseTiming();
      authenticator.reset();
      counts = std::make_unique<osprey::security::NonceCounts>();
      authenticator = std::make_unique<osprey::security::DigestAuthenticator>(users, nonces, *counts);
      next = 0;
      state.ResumeTiming();
    }
    auto result =
        authenticator->verify(messages[next++], osprey::sip::HeaderId::authorization, "example.com", kNow);
    if (result.verdict != osprey::security::AuthVerdict::authenticated)
      state.SkipWithError("not authenticated");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_DigestVerify_Register_Warm)->Iterations(200000);

void BM_Challenges(benchmark::State& state) {
  OneUser users({"sip:alice@example.com", "alice", "example.com", {}, 0});
  osprey::security::NonceService nonces(osprey::security::NonceService::random_secret());
  osprey::security::NonceCounts counts;
  osprey::security::DigestAuthenticator authenticator(users, nonces, counts);
  for (auto _ : state) benchmark::DoNotOptimize(authenticator.challenges("example.com", kNow, false));
}
BENCHMARK(BM_Challenges);

}  // namespace

BENCHMARK_MAIN();

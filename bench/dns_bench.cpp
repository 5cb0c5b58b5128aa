// The RFC 3263 resolver's cached path (Google Benchmark, release build): once a domain's
// NAPTR, SRV and A/AAAA answers are cached, finding a request's next hops must cost well under
// a microsecond per cache lookup, so DNS-routed traffic is as cheap as IP literals.
//  - DnsCache::find of one fresh answer, in a cache of 10000;
//  - resolve_rfc3263 for sip:example.com, every step answered from that cache: one NAPTR, one
//    SRV with two targets, their A and AAAA, and the hosts-file check (8 cache lookups, the RFC 2782 weighted
//    ordering and the hop list).
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "net/dns_cache.hpp"
#include "net/rfc3263_lookup.hpp"

namespace {

using osprey::net::DnsCache;
using osprey::net::DnsOutcome;
using osprey::net::DnsResult;
using osprey::net::DnsType;

DnsResult addresses(const char* address) {
  DnsResult result;
  result.outcome = DnsOutcome::records;
  result.addresses.push_back(boost::asio::ip::make_address(address));
  result.ttl = std::chrono::seconds(3600);
  return result;
}

// A cache of 10000 answers, example.com's RFC 3263 chain among them.
std::unique_ptr<DnsCache> filled_cache(DnsCache::Clock::time_point now) {
  auto cache = std::make_unique<DnsCache>(osprey::net::DnsCacheLimits{20000});
  for (int i = 0; i < 10000; ++i)
    cache->store("host" + std::to_string(i) + ".example.net", DnsType::a, addresses("192.0.2.1"), now);
  DnsResult naptr;
  naptr.outcome = DnsOutcome::records;
  naptr.ttl = std::chrono::seconds(3600);
  naptr.naptr = {{10, 10, "S", "SIP+D2T", "", "_sip._tcp.example.com"},
                 {20, 10, "S", "SIP+D2U", "", "_sip._udp.example.com"}};
  cache->store("example.com", DnsType::naptr, naptr, now);
  DnsResult srv;
  srv.outcome = DnsOutcome::records;
  srv.ttl = std::chrono::seconds(3600);
  srv.srv = {{1, 60, 5060, "a.example.com"}, {1, 40, 5060, "b.example.com"}};
  cache->store("_sip._tcp.example.com", DnsType::srv, srv, now);
  cache->store("a.example.com", DnsType::a, addresses("192.0.2.10"), now);
  cache->store("a.example.com", DnsType::aaaa, addresses("2001:db8::10"), now);
  cache->store("b.example.com", DnsType::a, addresses("192.0.2.11"), now);
  cache->store("b.example.com", DnsType::aaaa, addresses("2001:db8::11"), now);
  return cache;
}

void BM_DnsCacheHit(benchmark::State& state) {
  const auto now = DnsCache::Clock::now();
  auto cache = filled_cache(now);
  const std::string name = "a.example.com";
  for (auto _ : state) benchmark::DoNotOptimize(cache->find(name, DnsType::a, now));
}
BENCHMARK(BM_DnsCacheHit);

void BM_Rfc3263FromCache(benchmark::State& state) {
  const auto now = DnsCache::Clock::now();
  auto cache = filled_cache(now);
  const osprey::net::DnsLookup lookup = [&](const std::string& name, DnsType type,
                                            std::function<void(const DnsResult&)> done) {
    if (const DnsResult* found = cache->find(name, type, now)) {
      done(*found);
      return;
    }
    DnsResult nothing;
    nothing.outcome = DnsOutcome::no_data;
    done(nothing);
  };
  std::mt19937 random(1);
  const osprey::net::UniformPick pick = [&](std::uint32_t upper) {
    return std::uniform_int_distribution<std::uint32_t>(0, upper)(random);
  };
  osprey::net::UriTarget target;
  target.host = "example.com";
  std::size_t hops = 0;
  for (auto _ : state) {
    osprey::net::resolve_rfc3263(
        target, lookup, pick, {},
        [&](tl::expected<std::vector<osprey::net::ResolvedHop>, std::string> result) {
          hops += result ? result->size() : 0;
        });
  }
  if (hops != 4 * static_cast<std::size_t>(state.iterations())) state.SkipWithError("wrong hop count");
}
BENCHMARK(BM_Rfc3263FromCache);

}  // namespace

BENCHMARK_MAIN();

// RFC 3263 §4 against a real DNS server (dnsmasq): NAPTR, SRV and A/AAAA in the order the RFC
// gives, the cache (positive and negative, TTL expiry, its bound), and a server that never
// answers.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "dnsmasq_server.hpp"
#include "net/target_resolver.hpp"
#include "recording_listener.hpp"

namespace osprey::net {
namespace {

using Result = tl::expected<ResolvedTarget, std::string>;

const std::vector<std::string> kZone = {
    // svc: NAPTR prefers TCP (order 10) over UDP (order 20); TCP has two SRV targets.
    "naptr-record=svc.test.example,20,10,S,SIP+D2U,,_sip._udp.svc.test.example",
    "naptr-record=svc.test.example,10,10,S,SIP+D2T,,_sip._tcp.svc.test.example",
    "naptr-record=svc.test.example,30,10,S,SIP+D2S,,_sip._sctp.svc.test.example",
    "srv-host=_sip._sctp.svc.test.example,udp.test.example,5999,1,10",
    "naptr-record=svc.test.example,5,10,U,SIP+D2T,!^.*$!sip:x@y!,",
    "srv-host=_sip._tcp.svc.test.example,second.test.example,5080,2,10",
    "srv-host=_sip._tcp.svc.test.example,first.test.example,5070,1,10",
    "srv-host=_sip._udp.svc.test.example,udp.test.example,5090,1,10",
    "host-record=first.test.example,127.0.0.2",
    "host-record=second.test.example,127.0.0.3",
    "host-record=udp.test.example,127.0.0.4",
    "host-record=svc.test.example,127.0.0.9",
    // mixed: SIP over UDP first, SIPS over TLS second.
    "naptr-record=mixed.test.example,10,10,S,SIP+D2U,,_sip._udp.mixed.test.example",
    "naptr-record=mixed.test.example,20,10,S,SIPS+D2T,,_sips._tcp.mixed.test.example",
    "srv-host=_sip._udp.mixed.test.example,udp.test.example,5090,1,10",
    "srv-host=_sips._tcp.mixed.test.example,tls.test.example,5061,1,10",
    "host-record=tls.test.example,127.0.0.5",
    // weights: one priority, weights 80 and 20 (RFC 2782).
    "srv-host=_sip._udp.weights.test.example,heavy.test.example,5060,1,80",
    "srv-host=_sip._udp.weights.test.example,light.test.example,5060,1,20",
    "host-record=heavy.test.example,127.0.0.6",
    "host-record=light.test.example,127.0.0.7",
    // plain: no NAPTR, no SRV, an IPv4 and an IPv6 address.
    "host-record=plain.test.example,127.0.0.8,::1",
    // none: SRV target "." (RFC 2782: decidedly not available).
    "srv-host=_sip._udp.none.test.example",
    "host-record=none.test.example,127.0.0.10",
    // nodata: the name exists, with no record the resolver asks for.
    "txt-record=nodata.test.example,nothing",
};

class Rfc3263ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dns_.running()) << "dnsmasq did not start (scripts/bootstrap.sh installs dnsmasq-base): "
                                << dns_.log();
    settings_.servers = {{boost::asio::ip::make_address("127.0.0.1"), dns_.port()}};
    settings_.timeout = std::chrono::milliseconds(300);
    settings_.attempts = 1;
  }

  TargetResolver& resolver() {
    if (!resolver_) resolver_.emplace(io_context_, settings_);
    return *resolver_;
  }

  std::optional<Result> resolve(std::string_view text) {
    auto uri = sip::parse_uri(text);
    EXPECT_TRUE(uri) << text;
    std::optional<Result> result;
    resolver().resolve(*uri, [&](Result r) { result = std::move(r); });
    testing::run_until(
        io_context_, [&] { return result.has_value(); }, std::chrono::seconds(10));
    EXPECT_TRUE(result) << "no answer for " << text;
    return result;
  }

  ResolvedHop hop(Protocol protocol, const char* address, std::uint16_t port) {
    return {protocol, {boost::asio::ip::make_address(address), port}};
  }

  testing::DnsmasqServer dns_{kZone};
  DnsSettings settings_;
  boost::asio::io_context io_context_;
  std::optional<TargetResolver> resolver_;
};

TEST_F(Rfc3263ResolverTest, NaptrLeadsToSrvInPriorityOrderThenAddresses) {
  auto result = resolve("sip:bob@svc.test.example");
  ASSERT_TRUE(result && *result) << (result ? result->error() : "");
  // §4.1: the "U" record and the SCTP service are skipped; TCP (order 10) before UDP
  // (order 20); within TCP, the priority-1 target first (RFC 2782).
  EXPECT_EQ((*result)->hops, (std::vector<ResolvedHop>{hop(Protocol::tcp, "127.0.0.2", 5070),
                                                       hop(Protocol::tcp, "127.0.0.3", 5080),
                                                       hop(Protocol::udp, "127.0.0.4", 5090)}));
  EXPECT_EQ((*result)->server_name, "svc.test.example");  // RFC 5922 §4: the URI's domain
}

TEST_F(Rfc3263ResolverTest, WeightsShareTheFirstTries) {
  std::map<std::string, int> first;
  for (int i = 0; i < 1000; ++i) {
    auto result = resolve("sip:weights.test.example;transport=udp");
    ASSERT_TRUE(result && *result && !(*result)->hops.empty());
    ASSERT_EQ((*result)->hops.size(), 2u);
    ++first[(*result)->hops[0].endpoint.address.to_string()];
  }
  // Weight 80 of 100 (RFC 2782: a pick in [0, 100]): about 800 of 1000, the standard deviation
  // is 13, so 650..950 cannot fail by chance; an unweighted order would give about 500.
  EXPECT_GT(first["127.0.0.6"], 650);
  EXPECT_LT(first["127.0.0.6"], 950);
  EXPECT_EQ(first["127.0.0.6"] + first["127.0.0.7"], 1000);
}

TEST_F(Rfc3263ResolverTest, SipsTakesOnlySipsServices) {
  auto secure = resolve("sips:mixed.test.example");
  ASSERT_TRUE(secure && *secure) << (secure ? secure->error() : "");
  EXPECT_EQ((*secure)->hops, (std::vector<ResolvedHop>{hop(Protocol::tls, "127.0.0.5", 5061)}));
  // A sip: URI keeps both, in NAPTR order (§4.1: SIPS records are kept for SIP URIs).
  auto plain = resolve("sip:mixed.test.example");
  ASSERT_TRUE(plain && *plain);
  EXPECT_EQ((*plain)->hops, (std::vector<ResolvedHop>{hop(Protocol::udp, "127.0.0.4", 5090),
                                                      hop(Protocol::tls, "127.0.0.5", 5061)}));
}

TEST_F(Rfc3263ResolverTest, ExplicitTransportSkipsNaptr) {
  auto result = resolve("sip:svc.test.example;transport=udp");
  ASSERT_TRUE(result && *result) << (result ? result->error() : "");
  EXPECT_EQ((*result)->hops, (std::vector<ResolvedHop>{hop(Protocol::udp, "127.0.0.4", 5090)}));
  // §4.2: a transport without SRV records falls back to A/AAAA with the default port.
  auto fallback = resolve("sip:plain.test.example;transport=tcp");
  ASSERT_TRUE(fallback && *fallback);
  ASSERT_FALSE((*fallback)->hops.empty());
  EXPECT_EQ((*fallback)->hops[0].protocol, Protocol::tcp);
  EXPECT_EQ((*fallback)->hops[0].endpoint.port, 5060);
}

TEST_F(Rfc3263ResolverTest, ExplicitPortSkipsSrv) {
  auto result = resolve("sip:svc.test.example:5099");
  ASSERT_TRUE(result && *result) << (result ? result->error() : "");
  EXPECT_EQ((*result)->hops, (std::vector<ResolvedHop>{hop(Protocol::udp, "127.0.0.9", 5099)}));
}

TEST_F(Rfc3263ResolverTest, WithoutNaptrOrSrvTheAddressesOnTheDefaultPort) {
  auto result = resolve("sip:plain.test.example");
  ASSERT_TRUE(result && *result) << (result ? result->error() : "");
  // Both families, each on the default port of the scheme's transport.
  std::vector<ResolvedHop> hops = (*result)->hops;
  std::sort(hops.begin(), hops.end(), [](const ResolvedHop& a, const ResolvedHop& b) {
    return a.endpoint.address < b.endpoint.address;
  });
  EXPECT_EQ(hops, (std::vector<ResolvedHop>{hop(Protocol::udp, "127.0.0.8", 5060),
                                            hop(Protocol::udp, "::1", 5060)}));
  auto secure = resolve("sips:plain.test.example");
  ASSERT_TRUE(secure && *secure);
  for (const ResolvedHop& each : (*secure)->hops) {
    EXPECT_EQ(each.protocol, Protocol::tls);
    EXPECT_EQ(each.endpoint.port, 5061);
  }
}

TEST_F(Rfc3263ResolverTest, SrvTargetDotMeansNoService) {
  auto result = resolve("sip:none.test.example;transport=udp");
  ASSERT_TRUE(result);
  // No fallback to the name's A record: the domain said the service is not there.
  EXPECT_FALSE(*result) << to_string((*result)->hops.front().endpoint);
}

TEST_F(Rfc3263ResolverTest, MissingNamesAreErrorsAndCachedAsSuch) {
  auto missing = resolve("sip:nosuch.test.example");
  ASSERT_TRUE(missing);
  ASSERT_FALSE(*missing);
  EXPECT_NE(missing->error().find("no such domain"), std::string::npos) << missing->error();
  auto empty = resolve("sip:nodata.test.example");
  ASSERT_TRUE(empty);
  ASSERT_FALSE(*empty);
  const std::string nodata_reason = empty->error();
  // With the server gone, the same answers come from the cache, not "no answer".
  dns_.stop();
  auto missing_again = resolve("sip:nosuch.test.example");
  ASSERT_TRUE(missing_again && !*missing_again);
  EXPECT_EQ(missing_again->error(), missing->error());
  auto empty_again = resolve("sip:nodata.test.example");
  ASSERT_TRUE(empty_again && !*empty_again);
  EXPECT_EQ(empty_again->error(), nodata_reason);
}

TEST_F(Rfc3263ResolverTest, PositiveAnswersAreCachedForTheirTtl) {
  auto before = resolve("sip:plain.test.example:5060");
  ASSERT_TRUE(before && *before);
  ASSERT_TRUE(dns_.restart({"host-record=plain.test.example,127.0.0.77"}));
  auto cached = resolve("sip:plain.test.example:5060");
  ASSERT_TRUE(cached && *cached);
  EXPECT_EQ((*cached)->hops, (*before)->hops);  // local-ttl=60: still the first answer
}

TEST_F(Rfc3263ResolverTest, AnAnswerExpiresWithItsTtl) {
  ASSERT_TRUE(dns_.restart({"host-record=short.test.example,127.0.0.11"}, 1));
  auto before = resolve("sip:short.test.example:5060");
  ASSERT_TRUE(before && *before) << (before ? before->error() : "");
  EXPECT_EQ((*before)->hops, (std::vector<ResolvedHop>{hop(Protocol::udp, "127.0.0.11", 5060)}));
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(dns_.restart({"host-record=short.test.example,127.0.0.12"}, 1));
  std::this_thread::sleep_until(asked + std::chrono::milliseconds(2200));
  auto after = resolve("sip:short.test.example:5060");
  ASSERT_TRUE(after && *after) << (after ? after->error() : "");
  EXPECT_EQ((*after)->hops, (std::vector<ResolvedHop>{hop(Protocol::udp, "127.0.0.12", 5060)}));
}

TEST_F(Rfc3263ResolverTest, TheCacheBoundEvictsTheLeastRecentlyUsed) {
  settings_.cache_entries = 3;  // one name's hosts-file check, A and AAAA
  auto first = resolve("sip:first.test.example:5060");
  auto second = resolve("sip:second.test.example:5060");
  ASSERT_TRUE(first && *first && second && *second);
  dns_.stop();
  auto second_again = resolve("sip:second.test.example:5060");
  ASSERT_TRUE(second_again);
  EXPECT_TRUE(*second_again);  // still cached
  auto first_again = resolve("sip:first.test.example:5060");
  ASSERT_TRUE(first_again);
  EXPECT_FALSE(*first_again);  // evicted, and the server is gone
}

// A DNS server that takes queries and never answers.
class SilentServerTest : public ::testing::Test {
 protected:
  SilentServerTest() {
    silent_.open(boost::asio::ip::udp::v4());
    silent_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    settings_.servers = {{silent_.local_endpoint().address(), silent_.local_endpoint().port()}};
    settings_.timeout = std::chrono::milliseconds(200);
    settings_.attempts = 2;
  }
  boost::asio::io_context io_context_;
  boost::asio::ip::udp::socket silent_{io_context_};
  DnsSettings settings_;
};

TEST_F(SilentServerTest, TheLookupFailsWithinTheTimeout) {
  TargetResolver resolver(io_context_, settings_);
  std::optional<Result> result;
  const auto start = std::chrono::steady_clock::now();
  resolver.resolve(*sip::parse_uri("sip:svc.test.example"), [&](Result r) { result = std::move(r); });
  // 200 ms, then 400 ms for the second attempt (c-ares doubles it): well under 3 s.
  ASSERT_TRUE(testing::run_until(
      io_context_, [&] { return result.has_value(); }, std::chrono::seconds(3)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(*result);
  EXPECT_NE(result->error().find("no answer"), std::string::npos) << result->error();
}

// A name of the hosts file other than localhost, or empty.
std::string hosts_file_name() {
  std::ifstream hosts("/etc/hosts");
  std::string line;
  while (std::getline(hosts, line)) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string address;
    std::string name;
    fields >> address;
    while (fields >> name) {
      if (name.find("localhost") == std::string::npos && name.find('.') == std::string::npos) return name;
    }
  }
  return {};
}

TEST_F(SilentServerTest, LocalNamesNeedNoDns) {
  // The server never answers: only names resolved without DNS can succeed. RFC 6761 §6.3 for
  // localhost; the hosts file for its names, as getaddrinfo reads it (no NAPTR/SRV for them).
  TargetResolver resolver(io_context_, settings_);
  std::vector<std::string> uris = {"sip:localhost", "sips:alice@localhost"};
  if (const std::string name = hosts_file_name(); !name.empty()) uris.push_back("sip:" + name);
  for (const std::string& text : uris) {
    std::optional<Result> result;
    resolver.resolve(*sip::parse_uri(text), [&](Result r) { result = std::move(r); });
    ASSERT_TRUE(testing::run_until(
        io_context_, [&] { return result.has_value(); }, std::chrono::seconds(3)));
    ASSERT_TRUE(*result) << text << ": " << result->error();
    ASSERT_FALSE((*result)->hops.empty());
    const bool secure = text.starts_with("sips:");
    for (const ResolvedHop& each : (*result)->hops) {
      EXPECT_EQ(each.protocol, secure ? Protocol::tls : Protocol::udp) << text;
      EXPECT_EQ(each.endpoint.port, secure ? 5061 : 5060) << text;
    }
  }
}

TEST_F(SilentServerTest, DestroyingTheResolverWithLookupsInFlightCallsNothing) {
  bool called = false;
  {
    TargetResolver resolver(io_context_, settings_);
    resolver.resolve(*sip::parse_uri("sip:svc.test.example"), [&](Result) { called = true; });
    resolver.resolve(*sip::parse_uri("sip:other.test.example:5060"), [&](Result) { called = true; });
    io_context_.poll();
  }
  testing::run_for(io_context_, std::chrono::milliseconds(800));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace osprey::net

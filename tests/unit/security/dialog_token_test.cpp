#include "security/dialog_token.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sip/uri.hpp"

namespace osprey::security {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kLifetime = 600;

DialogToken::Secret secret(std::uint8_t fill) {
  DialogToken::Secret value{};
  value.fill(fill);
  return value;
}

const std::vector<std::string> kHosts = {"198.51.100.7", "pc33.atlanta.com", "192.0.2.4"};

DialogRequest from_caller(std::string_view next_hop = "192.0.2.4") {
  return {"a84b4c76e66710@pc33.atlanta.com", "1928301774", "a6c85cf", next_hop};
}

TEST(DialogToken, AdmitsItsDialogTowardItsHostsFromEitherSide) {
  const DialogToken tokens(secret(7), kLifetime);
  const std::string token = tokens.sign("a84b4c76e66710@pc33.atlanta.com", "1928301774", kHosts, kNow);
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_TRUE(tokens.admits(token, from_caller(), kNow));
  // The callee's requests: the caller's tag is their To tag; they go back to the caller.
  const DialogRequest from_callee{"a84b4c76e66710@pc33.atlanta.com", "a6c85cf", "1928301774",
                                  "pc33.atlanta.com"};
  EXPECT_TRUE(tokens.admits(token, from_callee, kNow + 10));
}

TEST(DialogToken, RefusesAnotherDialogAnotherHostAnotherSecretOrATamperedToken) {
  const DialogToken tokens(secret(7), kLifetime);
  const std::string token = tokens.sign("a84b4c76e66710@pc33.atlanta.com", "1928301774", kHosts, kNow);
  DialogRequest other_call = from_caller();
  other_call.call_id = "another-call";
  EXPECT_FALSE(tokens.admits(token, other_call, kNow));
  DialogRequest other_tags = from_caller();
  other_tags.from_tag = "x";
  other_tags.to_tag = "y";
  EXPECT_FALSE(tokens.admits(token, other_tags, kNow));
  EXPECT_FALSE(tokens.admits(token, from_caller("premium.example.net"), kNow));
  EXPECT_FALSE(tokens.admits(token, from_caller(""), kNow));  // tel: has no host
  EXPECT_FALSE(DialogToken(secret(8), kLifetime).admits(token, from_caller(), kNow));
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(tokens.admits(tampered, from_caller(), kNow)) << i;
  }
  EXPECT_FALSE(tokens.admits("", from_caller(), kNow));
  EXPECT_FALSE(tokens.admits(token + "x", from_caller(), kNow));
  EXPECT_FALSE(tokens.admits(token.substr(0, token.size() - 1), from_caller(), kNow));
  EXPECT_FALSE(tokens.admits(token + "%00", from_caller(), kNow));
}

TEST(DialogToken, ExpiresALifetimeAfterItsLastUse) {
  const DialogToken tokens(secret(7), kLifetime);
  const std::string token = tokens.sign("a84b4c76e66710@pc33.atlanta.com", "1928301774", kHosts, kNow);
  EXPECT_TRUE(tokens.admits(token, from_caller(), kNow + kLifetime - 1));
  EXPECT_TRUE(tokens.admits(token, from_caller(), kNow + 2 * kLifetime - 2));  // renewed by the use before
  EXPECT_FALSE(tokens.admits(token, from_caller(), kNow + 3 * kLifetime));
  // An unused token simply expires.
  const std::string idle = tokens.sign("idle-call", "1", kHosts, kNow);
  DialogRequest request = from_caller();
  request.call_id = "idle-call";
  request.from_tag = "1";
  EXPECT_FALSE(tokens.admits(idle, request, kNow + kLifetime));
}

TEST(DialogPlace, HostAndPortInOneSpelling) {
  const auto place = [](const char* text) {
    auto uri = sip::parse_uri(text);
    EXPECT_TRUE(uri) << text;
    return uri ? dialog_place(*uri) : std::string("?");
  };
  EXPECT_EQ(place("sip:bob@EXAMPLE.com.;lr"), "example.com:5060");
  EXPECT_EQ(place("sip:bob@example.com:5060"), "example.com:5060");
  EXPECT_EQ(place("sips:bob@example.com"), "example.com:5061");
  EXPECT_EQ(place("sip:bob@example.com;transport=TLS"), "example.com:5061");
  EXPECT_EQ(place("sip:bob@[::ffff:127.0.0.1]:5070"), "127.0.0.1:5070");
  EXPECT_EQ(place("sip:bob@127.0.0.01:5070"), "127.0.0.1:5070");
  EXPECT_NE(place("sip:bob@127.0.0.1:5070"), place("sip:victim@127.0.0.1:5071"));
  EXPECT_EQ(place("tel:+15551234"), "");
  // Where the request is sent: maddr wins over the host (RFC 3261 §19.1.1).
  EXPECT_EQ(place("sip:bob@127.0.0.1:5070;maddr=203.0.113.9"), "203.0.113.9:5070");
}

TEST(DialogToken, BindsAtMostItsHostLimit) {
  const DialogToken tokens(secret(7), kLifetime);
  std::vector<std::string> hosts;
  for (int i = 0; i < 10; ++i) hosts.push_back("host" + std::to_string(i) + ".example.com");
  const std::string token = tokens.sign("call", "tag", hosts, kNow);
  const auto request = [](const std::string& host) { return DialogRequest{"call", "tag", "", host}; };
  EXPECT_TRUE(tokens.admits(token, request("host0.example.com"), kNow));
  EXPECT_TRUE(tokens.admits(token, request("host5.example.com"), kNow));
  EXPECT_FALSE(tokens.admits(token, request("host6.example.com"), kNow));
}

}  // namespace
}  // namespace osprey::security

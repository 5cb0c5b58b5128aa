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

const std::vector<std::string> kCallerPlaces = {"198.51.100.7:5060", "pc33.atlanta.com:5060"};
const std::vector<std::string> kCalleePlaces = {"192.0.2.4:5060"};
constexpr std::string_view kCallId = "a84b4c76e66710@pc33.atlanta.com";
constexpr std::string_view kAlice = "sip:alice@atlanta.com";
constexpr std::string_view kBob = "sip:bob@biloxi.com";

// The token of the callee's requests (in the request's Record-Route) and of the caller's (in
// the responses'), for the RFC 3261 §24.2 call: alice's tag 1928301774, bob's a6c85cf.
std::string toward_caller(const DialogToken& tokens, std::int64_t now = kNow) {
  return tokens.sign(
      {DialogDirection::toward_caller, kCallId, "1928301774", {}, kAlice, kBob, kCallerPlaces, {}}, now);
}
std::string toward_callee(const DialogToken& tokens, std::int64_t now = kNow) {
  return tokens.sign(
      {DialogDirection::toward_callee, kCallId, "1928301774", "a6c85cf", kAlice, kBob, kCalleePlaces, {}},
      now);
}
DialogRequest from_alice(std::string_view next_hop = "192.0.2.4:5060") {
  return {kCallId, "1928301774", "a6c85cf", kAlice, kBob, next_hop};
}
DialogRequest from_bob(std::string_view next_hop = "pc33.atlanta.com:5060") {
  return {kCallId, "a6c85cf", "1928301774", kBob, kAlice, next_hop};
}

TEST(DialogToken, EachSideReachesTheOthersPlacesWithItsOwnToken) {
  const DialogToken tokens(secret(7), kLifetime);
  const std::string to_caller = toward_caller(tokens);
  const std::string to_callee = toward_callee(tokens);
  EXPECT_EQ(to_callee.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_TRUE(tokens.admits(to_callee, from_alice(), kNow));
  EXPECT_TRUE(tokens.admits(to_caller, from_bob(), kNow));
  EXPECT_TRUE(tokens.admits(to_caller, from_bob("198.51.100.7:5060"), kNow));
  // A side's token does not work for the other side, nor toward its own places: the caller
  // cannot name places (its Contact, its Record-Route) for its own requests.
  EXPECT_FALSE(tokens.admits(to_caller, from_alice(), kNow));
  EXPECT_FALSE(tokens.admits(to_caller, from_alice("pc33.atlanta.com:5060"), kNow));
  EXPECT_FALSE(tokens.admits(to_callee, from_bob(), kNow));
  EXPECT_FALSE(tokens.admits(to_callee, from_bob("192.0.2.4:5060"), kNow));
}

TEST(DialogToken, RefusesAnotherDialogAnotherPlaceAnotherSecretOrATamperedToken) {
  const DialogToken tokens(secret(7), kLifetime);
  const std::string token = toward_callee(tokens);
  DialogRequest other_call = from_alice();
  other_call.call_id = "another-call";
  EXPECT_FALSE(tokens.admits(token, other_call, kNow));
  DialogRequest other_callee_tag = from_alice();
  other_callee_tag.to_tag = "forged";
  EXPECT_FALSE(tokens.admits(token, other_callee_tag, kNow));
  DialogRequest as_carol = from_alice();  // speaking as someone else inside the dialog
  as_carol.from_aor = "sip:carol@atlanta.com";
  EXPECT_FALSE(tokens.admits(token, as_carol, kNow));
  EXPECT_FALSE(tokens.admits(token, from_alice("premium.example.net:5060"), kNow));
  EXPECT_FALSE(tokens.admits(token, from_alice("192.0.2.4:5070"), kNow));  // another port of the host
  EXPECT_FALSE(tokens.admits(token, from_alice(""), kNow));                // tel: has no place
  EXPECT_FALSE(DialogToken(secret(8), kLifetime).admits(token, from_alice(), kNow));
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(tokens.admits(tampered, from_alice(), kNow)) << i;
  }
  EXPECT_FALSE(tokens.admits("", from_alice(), kNow));
  EXPECT_FALSE(tokens.admits(token + "x", from_alice(), kNow));
  EXPECT_FALSE(tokens.admits(token.substr(0, token.size() - 1), from_alice(), kNow));
  EXPECT_FALSE(tokens.admits(token + "%00", from_alice(), kNow));
}

TEST(DialogToken, ExpiresALifetimeAfterItsLastUse) {
  const DialogToken tokens(secret(7), kLifetime);
  const std::string token = toward_callee(tokens);
  EXPECT_TRUE(tokens.admits(token, from_alice(), kNow + kLifetime - 1));
  EXPECT_TRUE(tokens.admits(token, from_alice(), kNow + 2 * kLifetime - 2));  // renewed by the use before
  EXPECT_FALSE(tokens.admits(token, from_alice(), kNow + 3 * kLifetime));
  // An unused token simply expires.
  EXPECT_FALSE(tokens.admits(toward_caller(tokens), from_bob(), kNow + kLifetime));
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

TEST(DialogToken, BindsAtMostItsPlaceLimit) {
  const DialogToken tokens(secret(7), kLifetime);
  std::vector<std::string> places;
  for (int i = 0; i < 10; ++i) places.push_back("host" + std::to_string(i) + ".example.com:5060");
  const std::string token =
      tokens.sign({DialogDirection::toward_callee, "call", "tag", "callee", kAlice, kBob, places, {}}, kNow);
  const auto request = [](const std::string& place) {
    return DialogRequest{"call", "tag", "callee", kAlice, kBob, place};
  };
  EXPECT_TRUE(tokens.admits(token, request("host0.example.com:5060"), kNow));
  EXPECT_TRUE(tokens.admits(token, request("host7.example.com:5060"), kNow));
  EXPECT_FALSE(tokens.admits(token, request("host8.example.com:5060"), kNow));
}

DialogFlow flow(FlowProtocol protocol, std::string_view address, std::uint16_t port) {
  return {protocol, boost::asio::ip::make_address(address), port};
}

TEST(DialogToken, CarriesTheOtherSidesFlowForEveryProtocolAndFamily) {
  const DialogToken tokens(secret(7), kLifetime);
  for (const DialogFlow& bound :
       {flow(FlowProtocol::udp, "198.51.100.7", 5060), flow(FlowProtocol::tcp, "127.0.0.1", 41198),
        flow(FlowProtocol::tls, "2001:db8::7", 65535), flow(FlowProtocol::tcp, "::ffff:192.0.2.1", 1),
        flow(FlowProtocol::ws, "192.0.2.8", 51000), flow(FlowProtocol::wss, "2001:db8::8", 443)}) {
    DialogBinding binding{
        DialogDirection::toward_caller, kCallId, "1928301774", {}, kAlice, kBob, kCallerPlaces, {}};
    binding.flow = bound;
    const std::string token = tokens.sign(binding, kNow);
    // Compact: 7 bytes for an IPv4 flow, 19 for IPv6, on top of the token of old.
    EXPECT_LE(token.size(), toward_caller(tokens).size() + 26) << token;
    std::optional<DialogFlow> seen;
    EXPECT_TRUE(tokens.admits(token, from_bob(), kNow, &seen)) << token;
    ASSERT_TRUE(seen.has_value()) << token;
    EXPECT_EQ(*seen, bound) << token;
    // The flow changes nothing else: the places and the direction still bind.
    EXPECT_FALSE(tokens.admits(token, from_bob("192.0.2.99:5060"), kNow));
    EXPECT_FALSE(tokens.admits(token, from_alice(), kNow));
  }
}

TEST(DialogToken, AFlowCannotBeChangedOrAddedWithoutTheSecret) {
  const DialogToken tokens(secret(7), kLifetime);
  DialogBinding binding{
      DialogDirection::toward_callee, kCallId, "1928301774", "a6c85cf", kAlice, kBob, kCalleePlaces, {}};
  binding.flow = flow(FlowProtocol::tcp, "192.0.2.4", 41198);
  const std::string token = tokens.sign(binding, kNow);
  // Every single-character change (the flow's bytes among them) is refused.
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    std::optional<DialogFlow> seen;
    EXPECT_FALSE(tokens.admits(tampered, from_alice(), kNow, &seen)) << i;
    EXPECT_FALSE(seen.has_value()) << i;
  }
  // Signed by another secret (an attacker's own osprey): no flow of it is believed.
  const std::string foreign = DialogToken(secret(8), kLifetime).sign(binding, kNow);
  EXPECT_FALSE(tokens.admits(foreign, from_alice(), kNow));
  // The flow of one dialog does not come with another's request.
  DialogRequest other_call = from_alice();
  other_call.call_id = "another-call";
  EXPECT_FALSE(tokens.admits(token, other_call, kNow));
}

// base64url without padding, as the token is written (RFC 4648 §5).
std::string decoded(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string bytes;
  std::uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    bits = (bits << 6) | static_cast<std::uint32_t>(kAlphabet.find(c));
    held += 6;
    if (held >= 8) {
      held -= 8;
      bytes.push_back(static_cast<char>((bits >> held) & 0xff));
    }
  }
  return bytes;
}

// RFC 3323: the token reaches the other side of the dialog, which must not learn where this
// side is (its NAT address, its connection's port): only osprey reads the flow.
TEST(DialogToken, TheFlowsAddressAndPortAreNotReadableInTheToken) {
  const DialogToken tokens(secret(7), kLifetime);
  for (const DialogFlow& bound :
       {flow(FlowProtocol::tcp, "203.0.113.8", 41198), flow(FlowProtocol::udp, "2001:db8::7", 5060)}) {
    DialogBinding binding{
        DialogDirection::toward_caller, kCallId, "1928301774", {}, kAlice, kBob, kCallerPlaces, {}};
    binding.flow = bound;
    const std::string bytes = decoded(tokens.sign(binding, kNow));
    std::string address;
    if (bound.address.is_v4()) {
      for (unsigned char b : bound.address.to_v4().to_bytes()) address.push_back(static_cast<char>(b));
    } else {
      for (unsigned char b : bound.address.to_v6().to_bytes()) address.push_back(static_cast<char>(b));
    }
    const std::string port{static_cast<char>(bound.port >> 8), static_cast<char>(bound.port & 0xff)};
    EXPECT_EQ(bytes.find(address), std::string::npos);
    EXPECT_EQ(bytes.find(address + port), std::string::npos);
  }
}

TEST(DialogToken, ATokenWithoutAFlowStillVerifies) {
  // Issued before flows were bound: this exact token (secret 7, the caller's, at kNow) as the
  // format of old wrote it. It admits as before and names no flow (the Request-URI is used).
  const DialogToken tokens(secret(7), kLifetime);
  const std::string old_token = "ZVPxAACxOVjThvp5C4D4hjrXVu7saPoGOg";
  EXPECT_EQ(toward_caller(tokens), old_token);
  std::optional<DialogFlow> seen = flow(FlowProtocol::udp, "192.0.2.1", 1);
  EXPECT_TRUE(tokens.admits(old_token, from_bob(), kNow, &seen));
  EXPECT_FALSE(seen.has_value());
}

// RFC 5626 §5.2: the flow token of the Path osprey adds to a REGISTER it forwards.
TEST(PathFlowToken, RoundTripsIpv4AndIpv6Flows) {
  const DialogToken tokens(secret(1), 3600);
  const DialogFlow v4{FlowProtocol::udp, boost::asio::ip::make_address("198.51.100.7"), 34567};
  const DialogFlow v6{FlowProtocol::tls, boost::asio::ip::make_address("2001:db8::7"), 40001};
  EXPECT_EQ(tokens.verify_flow(tokens.sign_flow(v4)), v4);
  EXPECT_EQ(tokens.verify_flow(tokens.sign_flow(v6)), v6);
  // Another secret (another osprey, or a restart with a new secret file) signed something else.
  EXPECT_FALSE(DialogToken(secret(2), 3600).verify_flow(tokens.sign_flow(v4)));
}

TEST(PathFlowToken, AnyTamperingOrForgeryIsRefused) {
  const DialogToken tokens(secret(1), 3600);
  const DialogFlow flow{FlowProtocol::tcp, boost::asio::ip::make_address("192.0.2.4"), 40001};
  const std::string token = tokens.sign_flow(flow);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string changed = token;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(tokens.verify_flow(changed)) << i;
  }
  EXPECT_FALSE(tokens.verify_flow(token.substr(0, token.size() - 1)));
  EXPECT_FALSE(tokens.verify_flow(token + "A"));
  EXPECT_FALSE(tokens.verify_flow(""));
  EXPECT_FALSE(tokens.verify_flow("not base64url!"));
  // A dialog token is no flow token: the MACs are labelled apart.
  const std::string places[] = {dialog_place("192.0.2.4", 5060)};
  const std::string dialog_token = tokens.sign(
      {DialogDirection::toward_caller, "call", "tag", {}, "sip:a@x", "sip:b@x", places, flow}, 1000);
  EXPECT_FALSE(tokens.verify_flow(dialog_token));
}

}  // namespace
}  // namespace osprey::security

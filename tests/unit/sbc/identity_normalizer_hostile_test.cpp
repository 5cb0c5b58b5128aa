// Random hostile values in every header identity normalisation reads: whatever arrives, what
// leaves parses again, and every identity header osprey wrote parses with its own parser (nothing
// passes through unchecked, nothing breaks the message).

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "identity_test_messages.hpp"
#include "sbc/identity_normalizer.hpp"
#include "sip/diversion_headers.hpp"
#include "sip/identity_headers.hpp"

namespace osprey::sbc {
namespace {

std::string random_value(std::mt19937& random) {
  static constexpr std::string_view kPieces[] = {"<",
                                                 ">",
                                                 "\"",
                                                 "\\",
                                                 ";",
                                                 ",",
                                                 "=",
                                                 "?",
                                                 "@",
                                                 ":",
                                                 "sip:",
                                                 "tel:+1",
                                                 "sips:",
                                                 "10.0.0.5",
                                                 "example.org",
                                                 "index=1",
                                                 ".1",
                                                 "cause=302",
                                                 "reason=",
                                                 "party=calling",
                                                 "privacy=full",
                                                 "id",
                                                 "history",
                                                 "header",
                                                 "%3B",
                                                 "Reason=SIP",
                                                 " ",
                                                 "\t",
                                                 "alice",
                                                 "+15550100",
                                                 "user=phone",
                                                 "&",
                                                 "[::1]",
                                                 ":5060",
                                                 "x-ext",
                                                 "0",
                                                 "999999999999"};
  std::uniform_int_distribution<std::size_t> piece(0, std::size(kPieces) - 1);
  std::uniform_int_distribution<int> length(1, 24);
  std::string out;
  for (int i = length(random); i > 0; --i) out += kPieces[piece(random)];
  return out;
}

TEST(IdentityNormalizerHostileTest, WhatLeavesAlwaysParses) {
  std::mt19937 random(20261207);
  const char* headers[] = {"P-Asserted-Identity", "Remote-Party-ID", "Privacy",
                           "Diversion",           "History-Info",    "From"};
  HostRewrite hosts{[](std::string_view host) { return host.starts_with("10."); }, "198.51.100.1"};
  IdentityNormalizer normalizer(hosts);
  int tried = 0;
  std::size_t written = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string extra;
    std::string from = "<sip:alice@example.org>;tag=a1";
    for (const char* name : headers) {
      if (random() % 2 == 0) continue;
      if (std::string_view(name) == "From") {
        from = random_value(random) + ";tag=a1";
      } else {
        extra += std::string(name) + ": " + random_value(random) + "\r\n";
      }
    }
    std::string text =
        "INVITE sip:+15550100@osprey.example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-h\r\nMax-Forwards: 70\r\nFrom: " +
        from + "\r\nTo: <sip:+15550100@osprey.example.com>\r\nCall-ID: h@10.0.0.5\r\nCSeq: 1 INVITE\r\n" +
        extra + "Content-Length: 0\r\n\r\n";
    auto inbound = sip::Message::parse(text);
    if (!inbound) continue;
    ++tried;
    IdentityPolicy policy;
    policy.read_from = {IdentityHeader::remote_party_id, IdentityHeader::p_asserted_identity,
                        IdentityHeader::from};
    policy.write_from = (round & 1) != 0;
    policy.trusted = (round & 2) != 0;
    policy.diversion = static_cast<IdentityPolicy::Diversion>(round % 3);
    sip::Message outbound = testing::outbound_invite();
    normalizer.apply(policy, *inbound, outbound, (round & 4) != 0);
    auto wire = sip::Message::parse(outbound.serialize());
    ASSERT_TRUE(wire.has_value()) << text << "\n---\n" << outbound.serialize();
    EXPECT_TRUE(wire->from().has_value()) << outbound.serialize();
    EXPECT_TRUE(sip::asserted_identities(*wire).has_value()) << outbound.serialize();
    EXPECT_TRUE(sip::privacy(*wire).has_value()) << outbound.serialize();
    EXPECT_TRUE(sip::diversions(*wire).has_value()) << outbound.serialize();
    EXPECT_TRUE(sip::history_info(*wire).has_value()) << outbound.serialize();
    EXPECT_EQ(outbound.serialize().find("10.0.0.5"), std::string::npos) << outbound.serialize();
    written += wire->count(sip::HeaderId::p_asserted_identity) + wire->count(sip::HeaderId::diversion) +
               wire->count(sip::HeaderId::history_info);
  }
  EXPECT_GT(tried, 500);
  EXPECT_GT(written, 300u);  // the inputs reach the writing paths, not only the refusals
}

}  // namespace
}  // namespace osprey::sbc

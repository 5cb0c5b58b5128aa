#include "sbc/identity_normalizer.hpp"

#include <gtest/gtest.h>

#include "identity_test_messages.hpp"
#include "sbc/identity_uri.hpp"

namespace osprey::sbc {
namespace {

using testing::inbound_invite;
using testing::on_the_wire;
using testing::outbound_invite;
using testing::values_of;

// 10.0.0.0/8 is the inside network; osprey is 198.51.100.1 toward the trunks.
HostRewrite inside_hosts() {
  return HostRewrite{[](std::string_view host) { return host.starts_with("10."); }, "198.51.100.1"};
}

IdentityPolicy policy(bool trusted) {
  IdentityPolicy p;
  p.trusted = trusted;
  return p;
}

sip::Message normalised(const IdentityPolicy& p, const sip::Message& inbound, bool toward_trunk,
                        NormalizedIdentity* result = nullptr) {
  sip::Message outbound = outbound_invite();
  IdentityNormalizer normalizer(inside_hosts());
  NormalizedIdentity r = normalizer.apply(p, inbound, outbound, toward_trunk);
  if (result != nullptr) *result = r;
  return on_the_wire(outbound);
}

// A carrier that reads the caller from P-Asserted-Identity: our user's identity (asserted by
// the proxy) goes out in PAI, From keeps osprey's own.
TEST(IdentityNormalizerTest, WritesTheAssertedIdentityIntoPaiTowardATrunk) {
  auto inbound =
      inbound_invite("P-Asserted-Identity: \"Alice Smith\" <sip:+15550111@osprey.example.com>\r\n");
  NormalizedIdentity result;
  auto out = normalised(policy(false), inbound, true, &result);
  EXPECT_EQ(values_of(out, "P-Asserted-Identity"),
            std::vector<std::string>{"\"Alice Smith\" <sip:+15550111@osprey.example.com>"});
  EXPECT_EQ(out.first_value(sip::HeaderId::from), "<sip:alice@198.51.100.1>;tag=b2b-tag-1");
  EXPECT_EQ(result.uri, "sip:+15550111@osprey.example.com");
  EXPECT_EQ(result.source, IdentityHeader::p_asserted_identity);
}

// A PBX that reads only From: PAI -> From, the display name with it, osprey's new tag kept.
TEST(IdentityNormalizerTest, CopiesPaiIntoFromKeepingTheNewTag) {
  IdentityPolicy p = policy(true);
  p.write_from = true;
  p.write_pai = false;
  auto inbound =
      inbound_invite("P-Asserted-Identity: \"Front Desk\" <sip:+15550199@osprey.example.com;user=phone>\r\n");
  auto out = normalised(p, inbound, true);
  EXPECT_EQ(out.first_value(sip::HeaderId::from),
            "\"Front Desk\" <sip:+15550199@osprey.example.com;user=phone>;tag=b2b-tag-1");
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
}

// A tel: identity becomes sip:NUMBER@osprey's host;user=phone in From (RFC 3261 §19.1.6), and
// stays tel: in PAI.
TEST(IdentityNormalizerTest, TelIdentityIntoFromAsSipUserPhone) {
  IdentityPolicy p = policy(true);
  p.write_from = true;
  auto inbound = inbound_invite("P-Asserted-Identity: <tel:+1-555-0123>\r\n");
  auto out = normalised(p, inbound, true);
  EXPECT_EQ(out.first_value(sip::HeaderId::from), "<sip:+15550123@198.51.100.1;user=phone>;tag=b2b-tag-1");
  EXPECT_EQ(values_of(out, "P-Asserted-Identity"), std::vector<std::string>{"<tel:+1-555-0123>"});
}

// read_from order: From first when the policy says so.
TEST(IdentityNormalizerTest, ReadsInThePolicysOrder) {
  IdentityPolicy p = policy(true);
  p.read_from = {IdentityHeader::from, IdentityHeader::p_asserted_identity};
  auto inbound = inbound_invite("P-Asserted-Identity: <sip:+15550111@osprey.example.com>\r\n",
                                "<sip:bob@example.org>;tag=a1");
  auto out = normalised(p, inbound, true);
  EXPECT_EQ(values_of(out, "P-Asserted-Identity"), std::vector<std::string>{"<sip:bob@example.org>"});
}

// Remote-Party-ID (draft-ietf-sip-privacy-04) read when nothing else is named.
TEST(IdentityNormalizerTest, ReadsRemotePartyIdFromATrustedTrunk) {
  IdentityPolicy p = policy(true);
  p.read_from = {IdentityHeader::remote_party_id};
  p.write_from = true;
  auto inbound = inbound_invite(
      "Remote-Party-ID: <sip:+15550999@pbx.example.org>;party=called, \"Sales\" "
      "<sip:+15550123@pbx.example.org;user=phone>;party=calling;screen=yes;privacy=off\r\n");
  auto out = normalised(p, inbound, false);
  EXPECT_EQ(out.first_value(sip::HeaderId::from),
            "\"Sales\" <sip:+15550123@pbx.example.org;user=phone>;tag=b2b-tag-1");
  // Remote-Party-ID itself never passes.
  EXPECT_TRUE(values_of(out, "Remote-Party-ID").empty());
}

// RFC 3325 §5: PAI (and RPID) from an untrusted trunk is not believed: it is neither copied
// nor used as the identity; From is the identity then, and osprey does not assert it either.
TEST(IdentityNormalizerTest, PaiFromAnUntrustedTrunkIsDropped) {
  IdentityPolicy p = policy(false);
  p.write_from = true;
  p.read_from = {IdentityHeader::p_asserted_identity, IdentityHeader::remote_party_id, IdentityHeader::from};
  auto inbound = inbound_invite(
      "P-Asserted-Identity: <sip:ceo@bank.example>\r\n"
      "Remote-Party-ID: <sip:ceo@bank.example>;party=calling\r\n",
      "<sip:+15550100@carrier.example.net>;tag=c1");
  auto out = normalised(p, inbound, false);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  EXPECT_EQ(out.first_value(sip::HeaderId::from), "<sip:+15550100@carrier.example.net>;tag=b2b-tag-1");
  EXPECT_EQ(out.serialize().find("ceo@bank"), std::string::npos);
}

TEST(IdentityNormalizerTest, PaiFromATrustedTrunkStands) {
  auto inbound = inbound_invite("P-Asserted-Identity: <sip:+15550177@carrier.example.net>\r\n",
                                "<sip:anonymous@anonymous.invalid>;tag=c1");
  auto out = normalised(policy(true), inbound, false);
  EXPECT_EQ(values_of(out, "P-Asserted-Identity"),
            std::vector<std::string>{"<sip:+15550177@carrier.example.net>"});
}

// RFC 3323 / RFC 3325 §7: Privacy: id toward an untrusted trunk: no PAI, From anonymous (with
// osprey's tag), Privacy passed on.
TEST(IdentityNormalizerTest, PrivacyIdTowardAnUntrustedTrunkHidesTheIdentity) {
  auto inbound = inbound_invite(
      "P-Asserted-Identity: \"Alice Smith\" <sip:+15550111@osprey.example.com>\r\n"
      "Privacy: id\r\n");
  NormalizedIdentity result;
  auto out = normalised(policy(false), inbound, true, &result);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  EXPECT_EQ(out.first_value(sip::HeaderId::from),
            "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=b2b-tag-1");
  EXPECT_EQ(out.first_value(sip::HeaderId::privacy), "id");
  EXPECT_TRUE(result.anonymous);
  EXPECT_FALSE(result.uri.has_value());
  EXPECT_EQ(out.serialize().find("15550111"), std::string::npos);
  EXPECT_EQ(out.serialize().find("Alice"), std::string::npos);
}

TEST(IdentityNormalizerTest, PrivacyIdTowardATrustedTrunkKeepsPaiAndPassesPrivacy) {
  auto inbound = inbound_invite(
      "P-Asserted-Identity: <sip:+15550111@osprey.example.com>\r\n"
      "Privacy: id;critical\r\n");
  auto out = normalised(policy(true), inbound, true);
  EXPECT_EQ(values_of(out, "P-Asserted-Identity"),
            std::vector<std::string>{"<sip:+15550111@osprey.example.com>"});
  EXPECT_EQ(out.first_value(sip::HeaderId::privacy), "id;critical");
  EXPECT_EQ(out.first_value(sip::HeaderId::from), "<sip:alice@198.51.100.1>;tag=b2b-tag-1");
}

// Our users' phones are outside the trust domain: a trusted carrier's caller with Privacy: id
// reaches them anonymous.
TEST(IdentityNormalizerTest, PrivacyIdTowardOurUsersHidesTheIdentity) {
  auto inbound = inbound_invite(
      "P-Asserted-Identity: <sip:+15550177@carrier.example.net>\r\n"
      "Privacy: id\r\n");
  auto out = normalised(policy(true), inbound, false);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  EXPECT_EQ(out.first_value(sip::HeaderId::from),
            "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=b2b-tag-1");
}

// A Privacy header that does not parse is read as id;header, like the proxy does.
TEST(IdentityNormalizerTest, UnreadablePrivacyIsTakenAsId) {
  auto inbound = inbound_invite(
      "P-Asserted-Identity: <sip:+15550111@osprey.example.com>\r\n"
      "Privacy: id;;\"x\r\n");
  auto out = normalised(policy(false), inbound, true);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  EXPECT_EQ(out.first_value(sip::HeaderId::privacy), "id;header");
}

// A Privacy list far longer than any real one: read (as id when it cannot be), never copied as
// written.
TEST(IdentityNormalizerTest, HugePrivacyListIsBounded) {
  std::string values = "id";
  for (int i = 0; i < 300; ++i) values += ";x-value" + std::to_string(i) + ";id";
  auto inbound = inbound_invite(
      "P-Asserted-Identity: <sip:+15550111@osprey.example.com>\r\nPrivacy: " + values + "\r\n");
  auto out = normalised(policy(false), inbound, true);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  auto privacy = out.first_value(sip::HeaderId::privacy);
  EXPECT_EQ(privacy, "id");
}

// RPID's own privacy=full asks the same as Privacy: id.
TEST(IdentityNormalizerTest, RemotePartyIdPrivacyFullHidesTheIdentity) {
  IdentityPolicy p = policy(false);
  p.read_from = {IdentityHeader::remote_party_id};
  auto inbound = inbound_invite("Remote-Party-ID: <sip:+15550111@osprey.example.com>;privacy=full\r\n");
  auto out = normalised(p, inbound, true);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  EXPECT_EQ(out.first_value(sip::HeaderId::from),
            "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=b2b-tag-1");
}

// Topology hiding: an identity naming an inside host leaves with osprey's host; the URI is
// rebuilt, so parameters and URI headers that could carry inside addresses do not pass.
TEST(IdentityNormalizerTest, IdentityOnAnInsideHostIsRewrittenAndRebuilt) {
  IdentityPolicy p = policy(false);
  p.read_from = {IdentityHeader::from};
  p.write_from = true;
  auto inbound =
      inbound_invite("", "\"Alice\" <sip:alice@10.0.0.5:5062;transport=tcp;maddr=10.9.9.9>;tag=a1");
  auto out = normalised(p, inbound, true);
  EXPECT_EQ(out.first_value(sip::HeaderId::from), "\"Alice\" <sip:alice@198.51.100.1>;tag=b2b-tag-1");
  EXPECT_EQ(values_of(out, "P-Asserted-Identity"),
            std::vector<std::string>{"\"Alice\" <sip:alice@198.51.100.1>"});
  EXPECT_EQ(out.serialize().find("10.9.9.9"), std::string::npos);
  EXPECT_EQ(out.serialize().find("10.0.0.5"), std::string::npos);
}

// The B2BUA may have written From itself (an edit: it lives in the message's edit arena); the
// normaliser's own edits grow that arena, and the tag it keeps must not be read from the old one
// (ASan stops a dangling view here).
TEST(IdentityNormalizerTest, KeepsTheTagOfAFromTheB2buaEdited) {
  IdentityPolicy p = policy(true);
  p.write_from = true;
  auto inbound = inbound_invite("P-Asserted-Identity: \"" + std::string(60, 'n') + "\" <sip:+15550111@" +
                                std::string(50, 'h') + "." + std::string(50, 'h') + ".example.com>\r\n");
  sip::Message outbound = outbound_invite();
  outbound.replace_header(sip::HeaderId::from, "<sip:alice@198.51.100.1>;tag=arena-tag-77");
  IdentityNormalizer(inside_hosts()).apply(p, inbound, outbound, true);
  auto out = on_the_wire(outbound);
  auto from = out.first_value(sip::HeaderId::from);
  ASSERT_TRUE(from.has_value());
  EXPECT_TRUE(from->ends_with(".example.com>;tag=arena-tag-77")) << *from;
}

// Identity headers the B2BUA copied by mistake are replaced, never duplicated or passed.
TEST(IdentityNormalizerTest, ReplacesIdentityHeadersAlreadyOnTheOutboundLeg) {
  auto inbound = inbound_invite("P-Asserted-Identity: <sip:+15550111@osprey.example.com>\r\n");
  sip::Message outbound = outbound_invite();
  outbound.add_header("P-Asserted-Identity", "<sip:leak@10.0.0.7>");
  outbound.add_header("P-Preferred-Identity", "<sip:leak@10.0.0.7>");
  outbound.add_header("Remote-Party-ID", "<sip:leak@10.0.0.7>");
  IdentityNormalizer(inside_hosts()).apply(policy(false), inbound, outbound, true);
  auto out = on_the_wire(outbound);
  EXPECT_EQ(values_of(out, "P-Asserted-Identity"),
            std::vector<std::string>{"<sip:+15550111@osprey.example.com>"});
  EXPECT_EQ(out.serialize().find("leak"), std::string::npos);
}

// Hostile values: a display name that tries to close the quotes and add a header, a huge
// one, a malformed PAI, a non-SIP scheme; none crashes and none passes as written.
TEST(IdentityNormalizerTest, HostileIdentitiesAreRebuiltOrRefused) {
  IdentityPolicy p = policy(true);
  p.write_from = true;
  {
    auto inbound = inbound_invite("P-Asserted-Identity: \"Bob \\\"Boss\\\" \\\\\" <sip:bob@example.org>\r\n");
    auto out = normalised(p, inbound, true);
    EXPECT_EQ(out.first_value(sip::HeaderId::from),
              "\"Bob \\\"Boss\\\" \\\\\" <sip:bob@example.org>;tag=b2b-tag-1");
  }
  {
    std::string huge_name(3000, 'x');
    auto inbound = inbound_invite("P-Asserted-Identity: \"" + huge_name + "\" <sip:bob@example.org>\r\n");
    auto out = normalised(p, inbound, true);
    EXPECT_EQ(out.first_value(sip::HeaderId::from),
              "\"" + std::string(kMaxDisplayNameLength, 'x') + "\" <sip:bob@example.org>;tag=b2b-tag-1");
  }
  {
    std::string huge_user(5000, '1');
    auto inbound = inbound_invite("P-Asserted-Identity: <sip:" + huge_user + "@example.org>\r\n",
                                  "<sip:alice@example.org>;tag=a1");
    auto out = normalised(p, inbound, true);
    // Too long to carry: the next source (From) is the identity.
    EXPECT_EQ(out.first_value(sip::HeaderId::from), "<sip:alice@example.org>;tag=b2b-tag-1");
    EXPECT_EQ(out.serialize().find(huge_user), std::string::npos);
  }
  for (std::string_view bad :
       {"P-Asserted-Identity: <sip:bob@example.org\r\n", "P-Asserted-Identity: <http://example.org/x>\r\n",
        "P-Asserted-Identity: <sip:example.org>\r\n"}) {
    auto inbound = inbound_invite(bad, "<sip:alice@example.org>;tag=a1");
    auto out = normalised(p, inbound, true);
    EXPECT_EQ(values_of(out, "P-Asserted-Identity"), std::vector<std::string>{"<sip:alice@example.org>"})
        << bad;
  }
}

TEST(IdentityNormalizerTest, ManyIdentityLinesAreBounded) {
  std::string lines;
  for (int i = 0; i < 200; ++i)
    lines += "Remote-Party-ID: <sip:x" + std::to_string(i) + "@example.org>;party=called\r\n";
  lines += "Remote-Party-ID: <sip:late@example.org>;party=calling\r\n";
  IdentityPolicy p = policy(true);
  p.read_from = {IdentityHeader::remote_party_id};
  auto out = normalised(p, inbound_invite(lines), true);
  // Only the first few elements are looked at: the calling party at the end is not found.
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
}

// Privacy: history toward an untrusted trunk: the diversion history is not sent (RFC 7044
// §10.1.2); toward a trusted one it is.
TEST(IdentityNormalizerTest, PrivacyHistoryRemovesTheDiversionHistoryTowardUntrusted) {
  auto inbound = inbound_invite(
      "Diversion: <sip:+15550100@osprey.example.com>;reason=unconditional\r\n"
      "Privacy: history\r\n");
  EXPECT_EQ(normalised(policy(false), inbound, true).count(sip::HeaderId::diversion), 0u);
  EXPECT_EQ(normalised(policy(true), inbound, true).count(sip::HeaderId::diversion), 1u);
}

// The trunk's diversion setting is applied toward the trunk; toward our users they are kept.
TEST(IdentityNormalizerTest, ConvertsDiversionTowardTheTrunkOnly) {
  IdentityPolicy p = policy(false);
  p.diversion = IdentityPolicy::Diversion::history_info;
  auto inbound = inbound_invite("Diversion: <sip:+15550100@osprey.example.com>;reason=user-busy\r\n");
  auto toward_trunk = normalised(p, inbound, true);
  EXPECT_EQ(toward_trunk.count(sip::HeaderId::diversion), 0u);
  EXPECT_EQ(values_of(toward_trunk, "History-Info"),
            (std::vector<std::string>{"<sip:+15550100@osprey.example.com>;index=1",
                                      "<sip:+15550100@osprey.example.com;cause=486>;index=1.1;mp=1"}));
  auto toward_user = normalised(p, inbound, false);
  EXPECT_EQ(toward_user.count(sip::HeaderId::diversion), 1u);
  EXPECT_EQ(toward_user.count(sip::HeaderId::history_info), 0u);
}

}  // namespace
}  // namespace osprey::sbc

#include "security/asserted_identity.hpp"

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sip/identity_headers.hpp"

namespace osprey::security {
namespace {

// An INVITE from alice with the extra header lines a test adds (whole lines without CRLF).
sip::Message invite(const std::vector<std::string>& lines,
                    std::string from = "\"Alice Liddell\" <sip:alice@example.com>;tag=9fxced76sl") {
  std::string text = "INVITE sip:bob@example.net SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK74bf9\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: " + from + "\r\n";
  text += "To: <sip:bob@example.net>\r\n";
  text += "Call-ID: 3848276298220188511@192.0.2.4\r\n";
  text += "CSeq: 1 INVITE\r\n";
  text += "Contact: <sip:alice@192.0.2.4>\r\n";
  for (const std::string& line : lines) text += line + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  auto message = sip::Message::parse(std::move(text));
  if (!message) {
    ADD_FAILURE() << message.error().reason;
    std::abort();  // every test message is meant to parse
  }
  return std::move(*message);
}

// The request as the next hop receives it.
sip::Message forwarded(const sip::Message& request) {
  auto message = sip::Message::parse(request.serialize());
  if (!message) {
    ADD_FAILURE() << message.error().reason;
    std::abort();
  }
  return std::move(*message);
}

std::vector<std::string> asserted_texts(const sip::Message& request) {
  std::vector<std::string> texts;
  auto identities = sip::asserted_identities(request);
  EXPECT_TRUE(identities) << identities.error().reason;
  if (identities) {
    for (const sip::NameAddr& identity : *identities) texts.emplace_back(identity.text);
  }
  return texts;
}

const std::vector<std::string> kAliceIdentities = {"sip:alice@example.com", "sip:sales@example.com"};

TEST(RemoveUntrustedIdentity, RemovesEveryAssertedIdentity) {
  sip::Message request =
      invite({"P-Asserted-Identity: <sip:ceo@example.com>", "P-Asserted-Identity: <tel:+12015550100>"});
  EXPECT_EQ(remove_untrusted_identity(request, false), 2u);
  const sip::Message out = forwarded(request);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  EXPECT_EQ(out.count(sip::HeaderId::from), 1u);
}

TEST(RemoveUntrustedIdentity, RemovesRemotePartyIdAndAnUnearnedPreferredIdentity) {
  const std::vector<std::string> lines = {"Remote-Party-ID: <sip:ceo@example.com>;party=calling",
                                          "P-Preferred-Identity: <sip:ceo@example.com>",
                                          "remote-party-id: <sip:cfo@example.com>;party=calling"};
  sip::Message anonymous = invite(lines);
  EXPECT_EQ(remove_untrusted_identity(anonymous, false), 3u);
  const sip::Message out = forwarded(anonymous);
  EXPECT_FALSE(out.first_value("Remote-Party-ID").has_value());
  EXPECT_EQ(out.count(sip::HeaderId::p_preferred_identity), 0u);
  // An authenticated sender's P-Preferred-Identity is left for assert_identity to judge.
  sip::Message authenticated = invite(lines);
  EXPECT_EQ(remove_untrusted_identity(authenticated, true), 2u);
  EXPECT_EQ(forwarded(authenticated).count(sip::HeaderId::p_preferred_identity), 1u);
}

TEST(AssertIdentity, AssertsTheAccountWithFromsDisplayName) {
  sip::Message request = invite({});
  EXPECT_EQ(assert_identity(request, "sip:alice@example.com", kAliceIdentities), "sip:alice@example.com");
  EXPECT_EQ(asserted_texts(forwarded(request)),
            std::vector<std::string>{"\"Alice Liddell\" <sip:alice@example.com>"});
}

TEST(AssertIdentity, ReplacesAForgedAssertedIdentity) {
  sip::Message request = invite({"P-Asserted-Identity: \"CEO\" <sip:ceo@example.com>, <tel:+12015550100>"},
                                "<sip:ceo@example.com>;tag=1");
  assert_identity(request, "sip:alice@example.com", kAliceIdentities);
  // From names someone else: no display-name is taken from it.
  EXPECT_EQ(asserted_texts(forwarded(request)), std::vector<std::string>{"<sip:alice@example.com>"});
}

TEST(AssertIdentity, HonoursAPreferredIdentityTheAccountMayUse) {
  sip::Message request = invite({"P-Preferred-Identity: \"Sales\" <sip:sales@EXAMPLE.com;transport=tcp>"});
  EXPECT_EQ(assert_identity(request, "sip:alice@example.com", kAliceIdentities), "sip:sales@example.com");
  const sip::Message out = forwarded(request);
  EXPECT_EQ(asserted_texts(out), std::vector<std::string>{"\"Sales\" <sip:sales@example.com>"});
  EXPECT_EQ(out.count(sip::HeaderId::p_preferred_identity), 0u);
}

TEST(AssertIdentity, IgnoresAPreferredIdentityTheAccountMayNotUse) {
  sip::Message request = invite({"P-Preferred-Identity: <sip:ceo@example.com>, <tel:+12015550100>"});
  EXPECT_EQ(assert_identity(request, "sip:alice@example.com", kAliceIdentities), "sip:alice@example.com");
  const sip::Message out = forwarded(request);
  EXPECT_EQ(asserted_texts(out), std::vector<std::string>{"\"Alice Liddell\" <sip:alice@example.com>"});
  EXPECT_EQ(out.count(sip::HeaderId::p_preferred_identity), 0u);
}

TEST(AssertIdentity, IgnoresAPreferredIdentityThatDoesNotParse) {
  sip::Message request = invite({"P-Preferred-Identity: <sip:sales@example.com"});
  EXPECT_EQ(assert_identity(request, "sip:alice@example.com", kAliceIdentities), "sip:alice@example.com");
  EXPECT_EQ(forwarded(request).count(sip::HeaderId::p_preferred_identity), 0u);
}

TEST(AssertIdentity, EscapesTheUserPartAgain) {
  sip::Message request = invite({}, "<sip:j%20doe@example.com>;tag=1");
  const std::vector<std::string> allowed = {"sip:j doe@example.com"};
  assert_identity(request, "sip:j doe@example.com", allowed);
  EXPECT_EQ(asserted_texts(forwarded(request)), std::vector<std::string>{"<sip:j%20doe@example.com>"});
}

const std::vector<std::string> kRevealing = {
    "Subject: lunch?",
    "Call-Info: <http://www.example.com/alice/photo.jpg>;purpose=icon",
    "Organization: Example Inc.",
    "User-Agent: Softphone/1.0",
    "Reply-To: <sip:alice@example.com>",
    "In-Reply-To: 70710@saturn.example.com",
    "P-Asserted-Identity: \"Alice Liddell\" <sip:alice@example.com>",
};

std::vector<std::string> with(std::vector<std::string> lines, std::string line) {
  lines.push_back(std::move(line));
  return lines;
}

TEST(ApplyPrivacy, IdRemovesTheAssertedIdentityOnly) {
  sip::Message request = invite(with(kRevealing, "Privacy: id"));
  const PrivacyApplied applied = apply_privacy(request);
  EXPECT_TRUE(applied.removed_identity);
  EXPECT_EQ(applied.removed_headers, 0u);
  const sip::Message out = forwarded(request);
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 0u);
  EXPECT_EQ(out.count(sip::HeaderId::user_agent), 1u);
}

TEST(ApplyPrivacy, HeaderRemovesTheRevealingHeaders) {
  sip::Message request = invite(with(kRevealing, "Privacy: header"));
  const PrivacyApplied applied = apply_privacy(request);
  EXPECT_FALSE(applied.removed_identity);
  EXPECT_EQ(applied.removed_headers, 6u);
  const sip::Message out = forwarded(request);
  for (sip::HeaderId id : {sip::HeaderId::subject, sip::HeaderId::call_info, sip::HeaderId::organization,
                           sip::HeaderId::user_agent, sip::HeaderId::reply_to, sip::HeaderId::in_reply_to}) {
    EXPECT_EQ(out.count(id), 0u) << sip::canonical_name(id);
  }
  EXPECT_EQ(out.count(sip::HeaderId::p_asserted_identity), 1u);
  EXPECT_EQ(out.count(sip::HeaderId::contact), 1u);  // needs a B2BUA to anonymise: left alone
}

TEST(ApplyPrivacy, IdAndHeaderTogether) {
  sip::Message request = invite(with(kRevealing, "Privacy: header;id"));
  const PrivacyApplied applied = apply_privacy(request);
  EXPECT_TRUE(applied.removed_identity);
  EXPECT_EQ(applied.removed_headers, 6u);
  EXPECT_FALSE(applied.critical_unmet);
}

TEST(ApplyPrivacy, NoneOrNoPrivacyChangesNothing) {
  for (const auto& lines : {with(kRevealing, "Privacy: none"), kRevealing}) {
    sip::Message request = invite(lines);
    const PrivacyApplied applied = apply_privacy(request);
    EXPECT_FALSE(applied.removed_identity);
    EXPECT_EQ(applied.removed_headers, 0u);
    EXPECT_FALSE(request.edited());
  }
}

TEST(ApplyPrivacy, CriticalUserPrivacyCannotBeGiven) {
  sip::Message request = invite(with(kRevealing, "Privacy: user;id;critical"));
  const PrivacyApplied applied = apply_privacy(request);
  EXPECT_TRUE(applied.critical_unmet);
  EXPECT_TRUE(applied.removed_identity);
}

TEST(ApplyPrivacy, UnparsablePrivacyHidesAsMuchAsItCan) {
  sip::Message request = invite(with(kRevealing, "Privacy: id;;"));
  const PrivacyApplied applied = apply_privacy(request);
  EXPECT_TRUE(applied.removed_identity);
  EXPECT_EQ(applied.removed_headers, 6u);
}

}  // namespace
}  // namespace osprey::security

#include "sip/aor.hpp"

#include <gtest/gtest.h>

namespace osprey::sip {
namespace {

// The URI `text` names (text must outlive it); the test fails when it does not parse.
Uri parsed(std::string_view text) {
  auto uri = parse_uri(text);
  EXPECT_TRUE(uri) << text;
  return uri ? *uri : Uri{};
}

std::string aor_of(std::string_view text) { return canonical_aor(parsed(text)); }

TEST(CanonicalAor, LowerCasesHostKeepsUserCase) {
  EXPECT_EQ(aor_of("sip:Alice@EXAMPLE.com"), "sip:Alice@example.com");
}

TEST(CanonicalAor, DropsParametersPortAndHeaders) {
  // RFC 3261 §10.3 step 5: all URI parameters are removed, including the user-param.
  EXPECT_EQ(aor_of("sip:alice@example.com:5070;transport=tcp;user=phone?Subject=x"), "sip:alice@example.com");
  EXPECT_EQ(aor_of("sip:+15551234567;npdi@example.com;user=phone"), "sip:+15551234567;npdi@example.com");
}

TEST(CanonicalAor, UnescapesTheUser) {
  // §10.3 step 5: escaped characters are converted to unescaped form.
  EXPECT_EQ(aor_of("sip:%61lice@example.com"), "sip:alice@example.com");
  EXPECT_EQ(aor_of("sip:%61lice@example.com"), aor_of("sip:alice@example.com"));
}

// RFC 3261 §19.1.4: "A SIP and SIPS URI are never equivalent": two AORs, two binding sets.
TEST(CanonicalAor, SipsAndSipAreTwoAors) {
  EXPECT_EQ(aor_of("sips:alice@example.com"), "sips:alice@example.com");
  EXPECT_EQ(aor_of("SIPS:Alice@EXAMPLE.com:5061;transport=tcp"), "sips:Alice@example.com");
  EXPECT_EQ(aor_of("sips:%61lice@example.com"), "sips:alice@example.com");
  EXPECT_NE(aor_of("sips:alice@example.com"), aor_of("sip:alice@example.com"));
  // The sip: key is written as before the scheme was kept: stored bindings load unchanged.
  EXPECT_EQ(aor_of("SIP:alice@example.com"), "sip:alice@example.com");
}

std::string account_of(std::string_view text) { return account_aor(parsed(text)); }

// Both AORs of a user belong to one account, named with sip: whichever scheme was written.
TEST(AccountAor, OneAccountForBothSchemes) {
  EXPECT_EQ(account_of("sips:alice@example.com"), "sip:alice@example.com");
  EXPECT_EQ(account_of("sip:alice@example.com"), "sip:alice@example.com");
  EXPECT_EQ(account_of("SIPS:%61lice@EXAMPLE.com.:5061;user=ip"), "sip:alice@example.com");
  EXPECT_NE(account_of("sips:bob@example.com"), account_of("sip:alice@example.com"));
  EXPECT_EQ(account_of("tel:+1-555-1234"), "tel:+1-555-1234");
}

TEST(CanonicalAor, WithoutUserAndIpLiterals) {
  EXPECT_EQ(aor_of("sip:Example.COM"), "sip:example.com");
  EXPECT_EQ(aor_of("sip:bob@[2001:DB8::1]:5060"), "sip:bob@[2001:db8::1]");
}

TEST(CanonicalAor, OtherSchemesAsWritten) { EXPECT_EQ(aor_of("tel:+1-555-1234"), "tel:+1-555-1234"); }

TEST(ServedDomain, CaseInsensitiveHostNames) {
  const std::vector<std::string> domains{"example.com", "192.0.2.10", "[2001:db8::10]"};
  for (const char* host : {"example.com", "EXAMPLE.Com"}) EXPECT_TRUE(served_domain(host, domains)) << host;
  for (const char* host : {"example.org", "sub.example.com", "example.com.evil"})
    EXPECT_FALSE(served_domain(host, domains)) << host;
}

TEST(ServedDomain, EverySpellingOfAnIpLiteral) {
  const std::vector<std::string> domains{"192.0.2.10", "[2001:db8::10]"};
  for (const char* host :
       {"192.0.2.10", "[2001:DB8::10]", "[2001:db8:0::10]", "192.0.2.010", "[::ffff:192.0.2.10]"})
    EXPECT_TRUE(served_domain(host, domains)) << host;
  for (const char* host : {"192.0.2.1", "192.0.2.100"}) EXPECT_FALSE(served_domain(host, domains)) << host;
}

TEST(CanonicalAor, OneAorForEverySpellingOfTheDomain) {
  for (const char* spelling : {"sip:alice@LOCALHOST.", "sip:alice@localhost:5060", "SIP:alice@Localhost"})
    EXPECT_EQ(aor_of(spelling), "sip:alice@localhost") << spelling;
  for (const char* spelling : {"sips:alice@LOCALHOST.", "sips:alice@localhost:5061", "sips:alice@Localhost"})
    EXPECT_EQ(aor_of(spelling), "sips:alice@localhost") << spelling;
  for (const char* spelling :
       {"sip:alice@127.0.0.01", "sip:alice@[::ffff:127.0.0.1]", "sip:alice@127.000.0.1:9"})
    EXPECT_EQ(aor_of(spelling), "sip:alice@127.0.0.1") << spelling;
}

TEST(ServedDomain, EmptyListServesNothing) { EXPECT_FALSE(served_domain("example.com", {})); }

}  // namespace
}  // namespace osprey::sip

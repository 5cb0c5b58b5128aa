#include "registrar/aor.hpp"

#include <gtest/gtest.h>

namespace osprey::registrar {
namespace {

TEST(RegistersFor, AServedDomainOnAnyPortAndInAnySpelling) {
  const std::vector<std::string> domains{"example.com", "127.0.0.1"};
  const auto registers = [&](const char* text) {
    auto uri = sip::parse_uri(text);
    EXPECT_TRUE(uri) << text;
    return uri && registers_for(*uri, domains);
  };
  EXPECT_TRUE(registers("sip:example.com"));
  EXPECT_TRUE(registers("sip:example.com:9999"));
  EXPECT_TRUE(registers("sips:127.0.0.1:9"));
  EXPECT_TRUE(registers("sip:EXAMPLE.COM."));
  EXPECT_TRUE(registers("sip:127.0.0.01:1"));
  EXPECT_FALSE(registers("sip:example.org"));
  EXPECT_FALSE(registers("tel:+15551234"));
}

TEST(AorValidForRequestUri, TheSameHostInAnySpellingAndAnyServedAorForAnAddress) {
  const std::vector<std::string> domains{"example.com", "example.net", "127.0.0.1"};
  const auto valid = [&](const char* aor, const char* request_uri) {
    auto to = sip::parse_uri(aor);
    auto target = sip::parse_uri(request_uri);
    EXPECT_TRUE(to && target) << aor << " " << request_uri;
    return to && target && aor_valid_for_request_uri(*to, *target, domains);
  };
  EXPECT_TRUE(valid("sip:alice@example.com", "sip:example.com"));
  EXPECT_TRUE(valid("sip:alice@Example.COM", "sip:example.com:5060"));
  EXPECT_TRUE(valid("sip:alice@example.com.", "sip:EXAMPLE.com"));
  EXPECT_TRUE(valid("sip:alice@127.0.0.01", "sip:127.0.0.1"));
  // A Request-URI naming the server by address: any served domain's AOR (§10.3 step 5).
  EXPECT_TRUE(valid("sip:alice@example.net", "sip:127.0.0.1"));
  EXPECT_FALSE(valid("sip:alice@example.net", "sip:example.com"));
  // The same spelling is not enough: the domain must be served.
  EXPECT_FALSE(valid("sip:alice@example.org", "sip:example.org"));
  EXPECT_FALSE(valid("sip:alice@example.org", "sip:example.com"));
}

}  // namespace
}  // namespace osprey::registrar

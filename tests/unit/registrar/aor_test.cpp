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

}  // namespace
}  // namespace osprey::registrar

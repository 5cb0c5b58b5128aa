// The check-config warning for a trunk whose sources take in this host's own addresses.
#include "app/trunk_source_warnings.hpp"

#include <gtest/gtest.h>

#include "app/config.hpp"

namespace osprey::app {
namespace {

Config parse(const std::string& text) {
  auto config =
      parse_config("domains = [\"example.com\"]\n" + text, "osprey.toml", {}, ConfigFiles::unchecked);
  EXPECT_TRUE(config.has_value()) << (config ? "" : to_string(config.error()));
  return config ? std::move(*config) : Config{};
}

TEST(TrunkSourceWarnings, NoneForACarrierElsewhere) {
  const Config config = parse(R"([[trunk]]
name = "carrier"
peer = "sip:192.0.2.10"
[[trunk]]
name = "other"
peer = "sip:sip.carrier.example"
sources = ["203.0.113.0/24"]
)");
  EXPECT_TRUE(trunk_source_warnings(config).empty());
}

TEST(TrunkSourceWarnings, LoopbackInTheSourcesOrThePeerLiteral) {
  const Config config = parse(R"([[trunk]]
name = "lab"
peer = "sip:127.0.0.1:5080"
[[trunk]]
name = "wide"
peer = "sip:sip.carrier.example"
sources = ["::/0"]
[trunk.inbound_auth]
username = "carrier"
password = "s3cret"
)");
  const auto warnings = trunk_source_warnings(config);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("trunk \"lab\": its sources include 127.0.0.1"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("no digest asked"), std::string::npos) << warnings[0];
  // ::/0 takes in ::1 and, as IPv4-mapped addresses are the IPv4 ones, 127.0.0.1 too.
  EXPECT_NE(warnings[1].find("trunk \"wide\": its sources include 127.0.0.1"), std::string::npos)
      << warnings[1];
  EXPECT_NE(warnings[2].find("include ::1"), std::string::npos) << warnings[2];
  EXPECT_NE(warnings[2].find("still need its digest"), std::string::npos) << warnings[2];
}

TEST(TrunkSourceWarnings, AListeningAddressInTheSources) {
  const Config config = parse(R"([[listen]]
transport = "udp"
address = "198.51.100.7"
[[listen]]
transport = "tcp"
address = "0.0.0.0"
[[trunk]]
name = "carrier"
peer = "sip:sip.carrier.example"
sources = ["198.51.100.0/24"]
)");
  const auto warnings = trunk_source_warnings(config);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("include 198.51.100.7"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace osprey::app

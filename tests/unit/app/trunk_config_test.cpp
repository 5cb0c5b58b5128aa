// SBC mode's configuration: [[trunk]] sections and [[dialplan.route]] entries.
#include "app/trunk_config.hpp"

#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/server_settings_from_config.hpp"

namespace osprey::app {
namespace {

tl::expected<Config, ConfigError> parse(const std::string& text) {
  return parse_config("domains = [\"example.com\"]\n" + text, "osprey.toml", {}, ConfigFiles::unchecked);
}

std::string error_for(const std::string& text) {
  const auto config = parse(text);
  return config ? "(loaded without error)" : to_string(config.error());
}

constexpr const char* kCarrier = R"([[trunk]]
name = "carrier"
peer = "sip:sip.carrier.example"
transport = "tcp"
sources = ["203.0.113.0/24"]
calls_per_second = 10
max_calls = 100
max_call_duration = 7200
[trunk.auth]
username = "acme"
password = "s3cret"
realm = "carrier.example"
[trunk.register]
aor = "sip:+442079460000@sip.carrier.example"
expires = 600
[trunk.identity]
read_from = ["pai", "from"]
write_from = true
write_pai = false
trusted = true
diversion = "history-info"
[trunk.session_timers]
session_expires = 600
min_se = 120

[[trunk]]
name = "backup"
peer = "sip:192.0.2.10:5080"

[dialplan]
[[dialplan.route]]
prefix = "+44"
strip = 1
prepend = "0044"
trunks = ["carrier", "backup"]
[[dialplan.route]]
domain = "PSTN.example.com"
trunks = ["backup"]
)";

TEST(TrunkConfig, ReadsEveryKeyOfATrunkAndItsRoutes) {
  const auto config = parse(kCarrier);
  ASSERT_TRUE(config) << to_string(config.error());
  ASSERT_EQ(config->trunks.size(), 2u);
  const sbc::Trunk& carrier = config->trunks[0];
  EXPECT_EQ(carrier.name, "carrier");
  EXPECT_EQ(carrier.peer, "sip:sip.carrier.example;transport=tcp");
  EXPECT_TRUE(carrier.sources.contains(boost::asio::ip::make_address("203.0.113.9")));
  EXPECT_FALSE(carrier.sources.contains(boost::asio::ip::make_address("192.0.2.10")));
  EXPECT_EQ(carrier.limits.calls_per_second, 10.0);
  EXPECT_EQ(carrier.limits.max_calls, 100u);
  EXPECT_EQ(carrier.limits.max_call_duration, 7200u);
  EXPECT_EQ(config->trunks[1].limits.max_call_duration, 14400u);  // the default: 4 hours
  ASSERT_TRUE(carrier.credentials);
  EXPECT_EQ(carrier.credentials->username, "acme");
  EXPECT_EQ(carrier.credentials->realm, "carrier.example");
  EXPECT_FALSE(carrier.inbound_credentials);
  EXPECT_TRUE(carrier.registration.enabled);
  EXPECT_EQ(carrier.registration.expires, 600u);
  EXPECT_TRUE(carrier.identity.write_from);
  EXPECT_FALSE(carrier.identity.write_pai);
  EXPECT_TRUE(carrier.identity.trusted);
  EXPECT_EQ(carrier.identity.diversion, sbc::IdentityPolicy::Diversion::history_info);
  EXPECT_EQ(carrier.session_timers.session_expires, 600u);
  EXPECT_EQ(carrier.session_timers.min_se, 120u);
  // No sources: the peer's own IP literal is where its calls may come from.
  const sbc::Trunk& backup = config->trunks[1];
  EXPECT_TRUE(backup.sources.contains(boost::asio::ip::make_address("192.0.2.10")));
  EXPECT_FALSE(backup.registration.enabled);
  ASSERT_EQ(config->dialplan.routes.size(), 2u);
  EXPECT_EQ(config->dialplan.routes[0].prefix, "+44");
  EXPECT_EQ(config->dialplan.routes[0].strip, 1u);
  EXPECT_EQ(config->dialplan.routes[0].prepend, "0044");
  EXPECT_EQ(config->dialplan.routes[0].trunks, (std::vector<std::string>{"carrier", "backup"}));
  EXPECT_EQ(config->dialplan.routes[1].domain, "pstn.example.com");
  const server::ServerSettings settings = server_settings_from(*config);
  EXPECT_EQ(settings.sbc.trunks.size(), 2u);
  EXPECT_EQ(settings.sbc.routes.size(), 2u);
}

TEST(TrunkConfig, NoTrunkIsNoSbc) {
  const auto config = parse("");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_TRUE(config->trunks.empty());
  EXPECT_TRUE(config->dialplan.routes.empty());
}

TEST(TrunkConfig, ADomainPeerWithoutSourcesTakesNoCalls) {
  const auto config = parse("[[trunk]]\nname = \"c\"\npeer = \"sip:sip.carrier.example\"\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_TRUE(config->trunks[0].sources.empty());
}

TEST(TrunkConfig, ErrorsNameTheLineAndKey) {
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\n"),
            "osprey.toml:2: key 'trunk[0].peer': is required: the trunk's sip: URI");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\npeer = \"tel:+123\"\n"),
            "osprey.toml:4: key 'trunk[0].peer': 'tel:+123' is not a sip: or sips: URI like "
            "\"sip:sip.carrier.example\"");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c d\"\npeer = \"sip:a.example\"\n"),
            "osprey.toml:3: key 'trunk[0].name': 'c d': letters, digits, '-', '_', '.' only");
  EXPECT_EQ(
      error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example;transport=udp\"\ntransport = \"tcp\"\n"),
      "osprey.toml:5: key 'trunk[0].transport': 'tcp' contradicts the peer URI's transport=udp");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example\"\nsources = [\"10.0.0.1/8\"]\n"),
            "osprey.toml:5: key 'trunk[0].sources': 10.0.0.1/8: host bits set (did you mean 10.0.0.0/8?)");
  EXPECT_EQ(
      error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example\"\n[trunk.register]\nexpires = 600\n"),
      "osprey.toml:5: key 'trunk[0].register': needs [trunk[0].auth]: the credentials osprey registers with");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example\"\n[trunk.auth]\nusername = \"u\"\n"),
            "osprey.toml:5: key 'trunk[0].auth.password': is required");
  EXPECT_EQ(
      error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example\"\n[trunk.session_timers]\nmin_se = 300\n"
                "session_expires = 200\n"),
      "osprey.toml:7: key 'trunk[0].session_timers.session_expires': must be at least min_se (300)");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example\"\nmax_call_duration = 604801\n"),
            "osprey.toml:5: key 'trunk[0].max_call_duration': must be an integer between 0 and 604800");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example\"\nmax_call = 3\n"),
            "osprey.toml:5: key 'trunk[0].max_call': unknown key (did you mean 'max_calls'?)");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\npeer = \"sip:a.example\"\n[[trunk]]\nname = \"c\"\npeer = "
                      "\"sip:b.example\"\n"),
            "osprey.toml:5: key 'trunk[1].name': 'c' names another trunk already");
  EXPECT_EQ(error_for("[[trunk]]\nname = \"c\"\npeer = "
                      "\"sip:a.example\"\n[dialplan]\n[[dialplan.route]]\nprefix = \"+1\"\n"
                      "trunks = [\"d\"]\n"),
            "osprey.toml:6: key 'dialplan.route[0].trunks': 'd' is no [[trunk]] of this file");
  EXPECT_EQ(
      error_for("[dialplan]\n[[dialplan.route]]\nprefix = \"+1x\"\ntrunks = []\n"),
      "osprey.toml:4: key 'dialplan.route[0].prefix': '+1x' is not a number prefix (digits, '+' first)");
  EXPECT_EQ(
      error_for("[dialplan]\n[[dialplan.route]]\nprefix = \"*98\"\ntrunks = []\n"),
      "osprey.toml:4: key 'dialplan.route[0].prefix': '*98' is not a number prefix (digits, '+' first)");
}

}  // namespace
}  // namespace osprey::app

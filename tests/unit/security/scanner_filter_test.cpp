#include "security/scanner_filter.hpp"

#include <string>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

std::string register_with(std::string_view user_agent_lines) {
  return std::string(
             "REGISTER sip:example.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK776asdhds\r\n"
             "Max-Forwards: 70\r\n"
             "To: <sip:100@example.com>\r\n"
             "From: <sip:100@example.com>;tag=1928301774\r\n"
             "Call-ID: a84b4c76e66710\r\n"
             "CSeq: 1 REGISTER\r\n") +
         std::string(user_agent_lines) + "Content-Length: 0\r\n\r\n";
}

bool message_is_scanner(const ScannerFilter& filter, std::string_view user_agent_lines) {
  auto message = sip::Message::parse(register_with(user_agent_lines));
  EXPECT_TRUE(message);
  return message && filter.is_scanner(*message);
}

TEST(ScannerFilter, DefaultPatternsCatchTheKnownTools) {
  const ScannerFilter filter(ScannerFilter::default_patterns());
  for (const char* agent :
       {"friendly-scanner", "sipvicious", "sipcli/v1.8", "VaxSIPUserAgent/3.1", "sip-scan", "SIPScan 1.0",
        "SIVuS", "iWar", "sundayddr", "pplsip", "siparmyknife 11232011"}) {
    EXPECT_TRUE(filter.is_scanner(agent)) << agent;
  }
}

TEST(ScannerFilter, MatchesCaseInsensitivelyAnywhereInTheValue) {
  const ScannerFilter filter(ScannerFilter::default_patterns());
  EXPECT_TRUE(filter.is_scanner("FRIENDLY-SCANNER"));
  EXPECT_TRUE(filter.is_scanner("Friendly-Scanner"));
  EXPECT_TRUE(filter.is_scanner("Mozilla/5.0 friendly-scanner/0.3.3 (x)"));
  EXPECT_TRUE(filter.is_scanner("vaxsipuseragent"));
}

TEST(ScannerFilter, LegitimateUserAgentsPass) {
  const ScannerFilter filter(ScannerFilter::default_patterns());
  for (const char* agent :
       {"sipsak 0.9.8.1", "Linphone/5.2.0 (belle-sip/5.2.0)", "Zoiper rv2.10.19.9", "SIPp/Linux", "SIPp",
        "Ozeki VoIP SIP SDK v10", "MySIPClient 1.0", "Asterisk PBX 20.5.0", "friendly scanner", ""}) {
    EXPECT_FALSE(filter.is_scanner(agent)) << agent;
  }
}

TEST(ScannerFilter, CustomPatternsAreLowercasedAndEmptyOnesIgnored) {
  const ScannerFilter filter({"EvilTool", ""});
  EXPECT_TRUE(filter.is_scanner("eviltool 2.0"));
  EXPECT_TRUE(filter.is_scanner("EVILTOOL"));
  EXPECT_FALSE(filter.is_scanner("friendly-scanner"));  // only the patterns given
  EXPECT_FALSE(filter.is_scanner("Linphone"));          // the empty pattern matches nothing
  const ScannerFilter none(std::vector<std::string>{});
  EXPECT_FALSE(none.is_scanner("friendly-scanner"));
}

TEST(ScannerFilter, ReadsTheUserAgentHeaderOfAMessage) {
  const ScannerFilter filter(ScannerFilter::default_patterns());
  EXPECT_TRUE(message_is_scanner(filter, "User-Agent: friendly-scanner\r\n"));
  EXPECT_TRUE(message_is_scanner(filter, "user-agent: VaxSIPUserAgent/3.1\r\n"));
  EXPECT_FALSE(message_is_scanner(filter, "User-Agent: Linphone/5.2.0\r\n"));
  EXPECT_FALSE(message_is_scanner(filter, ""));
  // A second User-Agent line is read too.
  EXPECT_TRUE(message_is_scanner(filter, "User-Agent: Zoiper\r\nUser-Agent: sipcli/v1.8\r\n"));
  // The tool name elsewhere in the message is not a User-Agent.
  EXPECT_FALSE(message_is_scanner(filter, "Subject: friendly-scanner\r\n"));
}

}  // namespace
}  // namespace osprey::security

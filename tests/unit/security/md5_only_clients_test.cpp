#include "security/md5_only_clients.hpp"

#include <string>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

TEST(Md5OnlyClients, DefaultsNameBaresipAndLibre) {
  const Md5OnlyClients clients(Md5OnlyClients::default_prefixes());
  EXPECT_TRUE(clients.matches("baresip v3.10.1 (x86_64/linux)"));
  EXPECT_TRUE(clients.matches("libre v3.10.0"));
}

TEST(Md5OnlyClients, MatchesThePrefixCaseInsensitively) {
  const Md5OnlyClients clients({"BareSIP"});
  EXPECT_TRUE(clients.matches("baresip"));
  EXPECT_TRUE(clients.matches("BARESIP v2.0"));
  // A prefix, not a substring: a product that merely mentions the name is not taken for it.
  EXPECT_FALSE(clients.matches("MyPhone (like baresip)"));
  EXPECT_FALSE(clients.matches("baresi"));
  EXPECT_FALSE(clients.matches(""));
}

TEST(Md5OnlyClients, OtherClientsDoNotMatch) {
  const Md5OnlyClients clients(Md5OnlyClients::default_prefixes());
  EXPECT_FALSE(clients.matches("Linphone/5.2.0 (belle-sip/5.2.0)"));
  EXPECT_FALSE(clients.matches("Jami Daemon 15.0.0 (linux)"));
  EXPECT_FALSE(clients.matches("MicroSIP/3.21.3"));
}

TEST(Md5OnlyClients, EmptyPrefixesAreIgnoredRatherThanMatchingEveryone) {
  const Md5OnlyClients clients({"", "baresip"});
  EXPECT_FALSE(clients.matches("Linphone"));
  EXPECT_TRUE(Md5OnlyClients({""}).empty());
}

sip::Message parse(const std::string& text) {
  auto message = sip::Message::parse(text);
  EXPECT_TRUE(message);
  return std::move(*message);
}

std::string register_with(const std::string& extra_lines) {
  return "REGISTER sip:example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:alice@example.com>\r\n"
         "From: <sip:alice@example.com>;tag=456248\r\n"
         "Call-ID: 843817637684230@998sdasdh09\r\n"
         "CSeq: 1826 REGISTER\r\n" +
         extra_lines + "Content-Length: 0\r\n\r\n";
}

TEST(Md5OnlyClients, ReadsTheRequestsUserAgent) {
  const Md5OnlyClients clients(Md5OnlyClients::default_prefixes());
  EXPECT_TRUE(clients.matches(parse(register_with("User-Agent: baresip v3.10.1 (x86_64/linux)\r\n"))));
  EXPECT_FALSE(clients.matches(parse(register_with("User-Agent: Linphone/5.2.0\r\n"))));
  EXPECT_FALSE(clients.matches(parse(register_with(""))));
  // Server (a response's product) is not a User-Agent.
  EXPECT_FALSE(clients.matches(parse(register_with("Server: baresip\r\n"))));
}

}  // namespace
}  // namespace osprey::security

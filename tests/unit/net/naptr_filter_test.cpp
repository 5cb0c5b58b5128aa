// RFC 3263 §4.1: which NAPTR records a SIP client uses, and in what order.
#include "net/naptr_filter.hpp"

#include <gtest/gtest.h>

namespace osprey::net {
namespace {

NaptrRecord naptr(std::uint16_t order, std::uint16_t preference, std::string flags, std::string service,
                  std::string replacement, std::string regexp = "") {
  return {order, preference, std::move(flags), std::move(service), std::move(regexp), std::move(replacement)};
}

TEST(NaptrFilter, OrderThenPreference) {
  const auto choices = usable_naptr_choices(
      {naptr(20, 1, "S", "SIP+D2U", "_sip._udp.x"), naptr(10, 9, "s", "sip+d2t", "_sip._tcp.x"),
       naptr(10, 5, "S", "SIPS+D2T", "_sips._tcp.x")},
      false, 10);
  EXPECT_EQ(choices, (std::vector<NaptrChoice>{{Protocol::tls, "_sips._tcp.x"},
                                               {Protocol::tcp, "_sip._tcp.x"},
                                               {Protocol::udp, "_sip._udp.x"}}));
}

TEST(NaptrFilter, SipsUriKeepsOnlySipsServices) {
  const auto choices = usable_naptr_choices(
      {naptr(10, 1, "S", "SIP+D2U", "_sip._udp.x"), naptr(20, 1, "S", "SIPS+D2T", "_sips._tcp.x")}, true, 10);
  EXPECT_EQ(choices, (std::vector<NaptrChoice>{{Protocol::tls, "_sips._tcp.x"}}));
}

TEST(NaptrFilter, SkipsWhatOspreyCannotFollow) {
  const auto choices = usable_naptr_choices(
      {
          naptr(1, 1, "U", "SIP+D2T", "", "!^.*$!sip:a@b!"),  // a URI rewrite, not SIP's "S"
          naptr(2, 1, "S", "SIP+D2S", "_sip._sctp.x"),        // SCTP
          naptr(4, 1, "S", "E2U+sip", "_sip._udp.x"),         // ENUM, not SIP's resolution service
          naptr(5, 1, "S", "SIP+D2T", "bad name!.x"),         // not a host name
          naptr(6, 1, "A", "SIP+D2T", "host.x"),              // "A" flag: SIP uses only "S"
          naptr(7, 1, "S", "SIP+D2U", "_sip._udp.x"),
      },
      false, 10);
  EXPECT_EQ(choices, (std::vector<NaptrChoice>{{Protocol::udp, "_sip._udp.x"}}));
}

TEST(NaptrFilter, WebSocketServices) {
  // RFC 7118: SIP+D2W is WS, SIPS+D2W is WSS, and only the latter serves a sips: URI.
  const std::vector<NaptrRecord> records = {naptr(10, 1, "S", "SIP+D2W", "_sip._ws.x"),
                                            naptr(20, 1, "S", "SIPS+D2W", "_sips._ws.x")};
  EXPECT_EQ(usable_naptr_choices(records, false, 10),
            (std::vector<NaptrChoice>{{Protocol::ws, "_sip._ws.x"}, {Protocol::wss, "_sips._ws.x"}}));
  EXPECT_EQ(usable_naptr_choices(records, true, 10),
            (std::vector<NaptrChoice>{{Protocol::wss, "_sips._ws.x"}}));
}

TEST(NaptrFilter, BoundedAndWithoutDuplicates) {
  std::vector<NaptrRecord> records;
  for (std::uint16_t i = 0; i < 50; ++i) records.push_back(naptr(i, 1, "S", "SIP+D2U", "_sip._udp.x"));
  records.push_back(naptr(60, 1, "S", "SIP+D2T", "_sip._tcp.x"));
  EXPECT_EQ(usable_naptr_choices(records, false, 10).size(), 2u);
  EXPECT_EQ(usable_naptr_choices(records, false, 1).size(), 1u);
}

}  // namespace
}  // namespace osprey::net

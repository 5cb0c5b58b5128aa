// response_flow and stamp_received (RFC 3261 §18.2.1, §18.2.2, RFC 3581 §4).

#include <gtest/gtest.h>

#include <string>

#include "sip/builder.hpp"
#include "txn/transaction_table.hpp"
#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

using testing::parse;

net::Endpoint endpoint(std::string_view address, std::uint16_t port) {
  return {boost::asio::ip::make_address(std::string(address)), port};
}

net::Flow udp_from(std::string_view address, std::uint16_t port) {
  return {net::Protocol::udp, endpoint(address, port), endpoint("192.0.2.10", 5060), 0};
}

sip::Message with_via(std::string_view via) {
  return parse(
      "OPTIONS sip:bob@example.com SIP/2.0\r\n"
      "Via: " +
      std::string(via) +
      "\r\n"
      "Via: SIP/2.0/UDP second.example.com;branch=z9hG4bKsecond\r\n"
      "To: <sip:bob@example.com>\r\n"
      "From: <sip:alice@example.com>;tag=a1\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n");
}

// The Via lines of the message as it goes on the wire.
std::vector<std::string> via_lines(const sip::Message& message) {
  auto reparsed = parse(message.serialize());
  std::vector<std::string> lines;
  reparsed.for_each_element(sip::HeaderId::via, [&](std::string_view element) {
    lines.emplace_back(element);
    return true;
  });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// response_flow

TEST(ResponseFlow, UdpWithRportGoesToTheSourceAddressAndPort) {
  auto flow = response_flow(with_via("SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1;rport"),
                            udp_from("198.51.100.7", 40000));
  EXPECT_EQ(flow.protocol, net::Protocol::udp);
  EXPECT_EQ(flow.remote, endpoint("198.51.100.7", 40000));
  EXPECT_EQ(flow.local, endpoint("192.0.2.10", 5060));  // from the socket it came to
}

TEST(ResponseFlow, UdpWithoutRportGoesToTheSourceAddressAndSentByPort) {
  auto flow =
      response_flow(with_via("SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1"), udp_from("198.51.100.7", 40000));
  EXPECT_EQ(flow.remote, endpoint("198.51.100.7", 5062));
}

TEST(ResponseFlow, UdpWithoutSentByPortUses5060) {
  auto flow = response_flow(with_via("SIP/2.0/UDP client.example.com;branch=z9hG4bK1"),
                            udp_from("198.51.100.7", 40000));
  EXPECT_EQ(flow.remote, endpoint("198.51.100.7", 5060));
}

TEST(ResponseFlow, StreamsUseTheSameConnection) {
  net::Flow arrival{net::Protocol::tcp, endpoint("198.51.100.7", 40001), endpoint("192.0.2.10", 5060), 42};
  auto flow = response_flow(with_via("SIP/2.0/TCP client.example.com:5070;branch=z9hG4bK1"), arrival);
  EXPECT_EQ(flow.protocol, net::Protocol::tcp);
  EXPECT_EQ(flow.connection, 42u);
  EXPECT_EQ(flow.remote, arrival.remote);
}

TEST(ResponseFlow, IPv6Source) {
  auto flow =
      response_flow(with_via("SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bK1"),
                    {net::Protocol::udp, endpoint("2001:db8::7", 40000), endpoint("2001:db8::10", 5060), 0});
  EXPECT_EQ(flow.remote, endpoint("2001:db8::7", 5062));
}

// ---------------------------------------------------------------------------------------------
// stamp_received

TEST(StampReceived, HostnameSentByGetsReceived) {
  sip::Message request = with_via("SIP/2.0/UDP client.example.com:5062;branch=z9hG4bK1");
  EXPECT_TRUE(stamp_received(request, udp_from("198.51.100.7", 40000)));
  EXPECT_EQ(
      via_lines(request),
      (std::vector<std::string>{"SIP/2.0/UDP client.example.com:5062;branch=z9hG4bK1;received=198.51.100.7",
                                "SIP/2.0/UDP second.example.com;branch=z9hG4bKsecond"}));
}

TEST(StampReceived, SameAddressNeedsNothing) {
  sip::Message request = with_via("SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK1");
  EXPECT_FALSE(stamp_received(request, udp_from("198.51.100.7", 40000)));
  EXPECT_FALSE(request.edited());
}

TEST(StampReceived, OtherAddressGetsReceived) {
  sip::Message request = with_via("SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1");
  EXPECT_TRUE(stamp_received(request, udp_from("198.51.100.7", 40000)));
  EXPECT_EQ(via_lines(request)[0], "SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1;received=198.51.100.7");
}

TEST(StampReceived, BareRportIsFilledAndReceivedAddedEvenForTheSameAddress) {
  // RFC 3581 §4: received MUST be added when rport is filled in.
  sip::Message request = with_via("SIP/2.0/UDP 198.51.100.7:5062;rport;branch=z9hG4bK1");
  EXPECT_TRUE(stamp_received(request, udp_from("198.51.100.7", 40000)));
  EXPECT_EQ(via_lines(request)[0],
            "SIP/2.0/UDP 198.51.100.7:5062;rport=40000;branch=z9hG4bK1;received=198.51.100.7");
  auto reparsed = parse(request.serialize());
  EXPECT_EQ(reparsed.top_via()->rport, "40000");
  EXPECT_EQ(reparsed.top_via()->received, "198.51.100.7");
}

TEST(StampReceived, ClientWrittenReceivedIsReplaced) {
  sip::Message request = with_via("SIP/2.0/UDP 10.0.0.2;received=203.0.113.99;branch=z9hG4bK1");
  EXPECT_TRUE(stamp_received(request, udp_from("198.51.100.7", 40000)));
  EXPECT_EQ(via_lines(request)[0], "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1;received=198.51.100.7");
}

TEST(StampReceived, IPv6InBracketsEqualToTheSourceNeedsNothing) {
  net::Flow from{net::Protocol::udp, endpoint("2001:db8::7", 40000), endpoint("2001:db8::10", 5060), 0};
  sip::Message same = with_via("SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bK1");
  EXPECT_FALSE(stamp_received(same, from));
  // Written differently, the same address.
  sip::Message spelled = with_via("SIP/2.0/UDP [2001:DB8:0:0::7]:5062;branch=z9hG4bK1");
  EXPECT_FALSE(stamp_received(spelled, from));
  // Another address: received without brackets (§20.42 grammar).
  sip::Message other = with_via("SIP/2.0/UDP [2001:db8::99]:5062;branch=z9hG4bK1");
  EXPECT_TRUE(stamp_received(other, from));
  EXPECT_EQ(via_lines(other)[0], "SIP/2.0/UDP [2001:db8::99]:5062;branch=z9hG4bK1;received=2001:db8::7");
}

TEST(StampReceived, V4MappedSourceComparesAsIPv4) {
  sip::Message request = with_via("SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK1");
  EXPECT_FALSE(stamp_received(request, udp_from("::ffff:198.51.100.7", 40000)));
  sip::Message hostname = with_via("SIP/2.0/UDP client.example.com;branch=z9hG4bK1");
  EXPECT_TRUE(stamp_received(hostname, udp_from("::ffff:198.51.100.7", 40000)));
  EXPECT_EQ(via_lines(hostname)[0], "SIP/2.0/UDP client.example.com;branch=z9hG4bK1;received=198.51.100.7");
}

TEST(StampReceived, OnlyTheFirstElementOfASharedLineChanges) {
  sip::Message request = parse(
      "OPTIONS sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bK1, SIP/2.0/UDP mid.example.com;branch=z9hG4bK2\r\n"
      "Via: SIP/2.0/UDP last.example.com;branch=z9hG4bK3\r\n"
      "To: <sip:bob@example.com>\r\n"
      "From: <sip:alice@example.com>;tag=a1\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n");
  EXPECT_TRUE(stamp_received(request, udp_from("198.51.100.7", 40000)));
  EXPECT_EQ(via_lines(request), (std::vector<std::string>{
                                    "SIP/2.0/UDP client.example.com;branch=z9hG4bK1;received=198.51.100.7",
                                    "SIP/2.0/UDP mid.example.com;branch=z9hG4bK2",
                                    "SIP/2.0/UDP last.example.com;branch=z9hG4bK3",
                                }));
}

TEST(StampReceived, ResponseToCopiesTheStampedVia) {
  // §18.2.1: the response carries received/rport, so MessageBuilder::response_to must read the
  // edited Via, not the one parsed on receipt.
  sip::Message request = with_via("SIP/2.0/UDP 10.0.0.2:5062;rport;branch=z9hG4bK1");
  ASSERT_TRUE(stamp_received(request, udp_from("198.51.100.7", 40000)));
  auto response = sip::MessageBuilder::response_to(request, 200, {}, "t").build();
  ASSERT_TRUE(response);
  ASSERT_TRUE(response->top_via());
  EXPECT_EQ(response->top_via()->received, "198.51.100.7");
  EXPECT_EQ(response->top_via()->rport, "40000");
  EXPECT_EQ(response->count(sip::HeaderId::via), 2u);
}

TEST(StampReceived, NoViaNoChange) {
  sip::Message request = parse(
      "OPTIONS sip:bob@example.com SIP/2.0\r\n"
      "To: <sip:bob@example.com>\r\n"
      "From: <sip:alice@example.com>;tag=a1\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n");
  EXPECT_FALSE(stamp_received(request, udp_from("198.51.100.7", 40000)));
}

}  // namespace
}  // namespace osprey::txn

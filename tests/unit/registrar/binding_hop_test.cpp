#include "registrar/binding_hop.hpp"

#include <gtest/gtest.h>

namespace osprey::registrar {
namespace {

store::Binding binding(const std::string& contact, const std::string& source) {
  store::Binding b;
  b.contact = contact;
  b.source = source;
  return b;
}

using Hops = std::vector<std::string>;

TEST(BindingHop, ReadsSources) {
  auto udp = read_source("udp:192.0.2.1:5060");
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->transport, "udp");
  EXPECT_EQ(udp->host, "192.0.2.1");
  EXPECT_EQ(udp->port, 5060);
  EXPECT_FALSE(udp->stream());
  auto tls = read_source("tls:[2001:db8::1]:5061");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->stream());
  EXPECT_EQ(source_uri(*tls), "sip:[2001:db8::1]:5061;transport=tls");
  EXPECT_FALSE(read_source(""));
  EXPECT_FALSE(read_source("sctp:192.0.2.1:5060"));
  EXPECT_FALSE(read_source("udp:example.com:5060"));
  EXPECT_FALSE(read_source("udp:192.0.2.1:99999"));
  EXPECT_FALSE(read_source("udp:192.0.2.1:0"));
}

TEST(BindingHop, UdpContactIsTheTarget) {
  // §16.6 step 7: a Contact on another public (or loopback) address than the sender is a
  // third-party registration, or a UA that sends from another port: the Contact is the target.
  EXPECT_EQ(binding_next_hops(binding("sip:a@192.0.2.9:5070", "udp:192.0.2.1:5060"), false),
            Hops{"sip:a@192.0.2.9:5070"});
  EXPECT_EQ(binding_next_hops(binding("sip:a@127.0.0.1:5070", "udp:127.0.0.1:40000"), false),
            Hops{"sip:a@127.0.0.1:5070"});
  // Private, but where it came from: no NAT in between (only the address counts).
  EXPECT_EQ(binding_next_hops(binding("sip:a@192.168.1.5:5062", "udp:192.168.1.5:5060"), false),
            Hops{"sip:a@192.168.1.5:5062"});
  // A host name is not judged: the Contact as the UA wrote it.
  EXPECT_EQ(binding_next_hops(binding("sip:a@phone.example.com", "udp:192.0.2.1:5060"), false),
            Hops{"sip:a@phone.example.com"});
}

TEST(BindingHop, UdpBehindNatGoesToTheSource) {
  EXPECT_EQ(binding_next_hops(binding("sip:a@192.168.1.5:5060", "udp:198.51.100.7:34567"), false),
            Hops{"sip:198.51.100.7:34567;transport=udp"});
  EXPECT_EQ(binding_next_hops(binding("sip:a@10.1.1.1;transport=udp", "udp:127.0.0.1:5999"), false),
            Hops{"sip:127.0.0.1:5999;transport=udp"});
  EXPECT_EQ(binding_next_hops(binding("sip:a@[fd00::5]:5060", "udp:[2001:db8::7]:5060"), false),
            Hops{"sip:[2001:db8::7]:5060;transport=udp"});
  // maddr is where a request to the URI would go: it is what is judged.
  EXPECT_EQ(binding_next_hops(binding("sip:a@192.0.2.9;maddr=10.0.0.1", "udp:192.0.2.1:5060"), false),
            Hops{"sip:192.0.2.1:5060;transport=udp"});
}

TEST(BindingHop, StreamUsesItsOpenConnectionThenTheContact) {
  const auto b = binding("sip:a@127.0.0.1:5070;transport=tcp", "tcp:127.0.0.1:41234");
  EXPECT_EQ(binding_next_hops(b, true),
            (Hops{"sip:127.0.0.1:41234;transport=tcp", "sip:a@127.0.0.1:5070;transport=tcp"}));
  // The connection is gone: its ephemeral port reaches nobody; the Contact does.
  EXPECT_EQ(binding_next_hops(b, false), Hops{"sip:a@127.0.0.1:5070;transport=tcp"});
}

// Only the connection the REGISTER came on is the binding's own flow (RFC 5626 §5.3), which
// alone may carry requests over a connection the UA opened (RFC 5923 §5, txn::Target::peer_flow).
TEST(BindingHop, OnlyTheRegisteringConnectionIsTheBindingsOwnFlow) {
  const auto tcp = binding("sip:a@127.0.0.1:5070;transport=tcp", "tcp:127.0.0.1:41234");
  EXPECT_TRUE(first_hop_is_own_flow(tcp, true));
  EXPECT_FALSE(first_hop_is_own_flow(tcp, false));  // closed: the first hop is the Contact
  EXPECT_TRUE(first_hop_is_own_flow(binding("sips:a@127.0.0.1:5071", "tls:127.0.0.1:41235"), true));
  // Registered over UDP, with a Contact naming some TCP connection's address and port: never.
  const auto udp = binding("sip:mallory@127.0.0.1:46444;transport=tcp", "udp:127.0.0.1:5999");
  EXPECT_FALSE(first_hop_is_own_flow(udp, true));
  auto behind_path = tcp;
  behind_path.path = {"<sip:edge.example.net:5070;lr>"};
  EXPECT_FALSE(first_hop_is_own_flow(behind_path, true));
  EXPECT_FALSE(first_hop_is_own_flow(binding("sip:a@127.0.0.1:46444;transport=tcp", ""), true));
}

TEST(BindingHop, PathWinsAndUnreadableSourceFallsBackToTheContact) {
  auto b = binding("sip:a@10.0.0.1", "udp:192.0.2.1:5060");
  b.path = {"<sip:edge.example.net:5070;lr>", "<sip:192.0.2.7;lr>"};
  EXPECT_EQ(binding_next_hops(b, false), Hops{"sip:edge.example.net:5070;lr"});
  EXPECT_EQ(binding_next_hops(binding("sip:a@10.0.0.1:5080", ""), false), Hops{"sip:a@10.0.0.1:5080"});
}

TEST(BindingHop, NatTestComparesCanonicalAddresses) {
  const auto source = read_source("udp:10.0.0.1:5060");
  ASSERT_TRUE(source);
  EXPECT_FALSE(contact_behind_nat("sip:a@[::ffff:10.0.0.1]", *source));
  EXPECT_TRUE(contact_behind_nat("sip:a@10.0.0.2", *source));
  EXPECT_FALSE(contact_behind_nat("not a uri", *source));
}

}  // namespace
}  // namespace osprey::registrar

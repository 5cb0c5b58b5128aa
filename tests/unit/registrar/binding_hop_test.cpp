#include "registrar/binding_hop.hpp"

#include <gtest/gtest.h>

#include "store/binding_source_text.hpp"

namespace osprey::registrar {
namespace {

store::Binding binding(const std::string& contact, const std::string& source) {
  store::Binding b;
  b.contact = contact;
  b.source = store::parse_source_text(source);
  return b;
}

using Hops = std::vector<std::string>;

// The hops of `binding` when its own connection is open (`open`) or not.
Hops binding_next_hops(const store::Binding& binding, bool open) {
  return binding_hops(binding, [open](const store::BindingSource&) { return open; }).uris;
}
bool first_hop_is_own_flow(const store::Binding& binding, bool open) {
  return binding_hops(binding, [open](const store::BindingSource&) { return open; }).first_is_own_flow;
}

TEST(BindingHop, SourceAsAUri) {
  EXPECT_EQ(source_uri(*store::parse_source_text("tls:[2001:db8::1]:5061")),
            "sip:[2001:db8::1]:5061;transport=tls");
  EXPECT_EQ(source_uri(*store::parse_source_text("udp:192.0.2.1:5060")), "sip:192.0.2.1:5060;transport=udp");
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

// RFC 7118 §5: a WebSocket UA's Contact names a made-up .invalid host; only its connection
// reaches it, and once that is gone nothing does (no hop: the proxy leaves the binding out).
TEST(BindingHop, WebSocketBindingHasOnlyItsConnection) {
  const auto ws = binding("sip:a@df7jal23ls0d.invalid;transport=ws", "ws:192.0.2.7:51000");
  EXPECT_EQ(binding_next_hops(ws, true), Hops{"sip:192.0.2.7:51000;transport=ws"});
  EXPECT_TRUE(first_hop_is_own_flow(ws, true));
  EXPECT_EQ(binding_next_hops(ws, false), Hops{});
  EXPECT_FALSE(first_hop_is_own_flow(ws, false));
  // Even a Contact with a reachable-looking address is not tried over WSS once it closed.
  const auto wss = binding("sip:a@192.0.2.7:5061;transport=tls", "wss:192.0.2.7:51001");
  EXPECT_EQ(binding_next_hops(wss, true), Hops{"sip:192.0.2.7:51001;transport=wss"});
  EXPECT_EQ(binding_next_hops(wss, false), Hops{});
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

// The predicate is asked about the binding's own source, connection id included.
TEST(BindingHop, AsksAboutTheRegisteringConnection) {
  auto b = binding("sip:a@127.0.0.1:5070;transport=tcp", "tcp:127.0.0.1:41234");
  b.source->connection = 42;
  std::vector<store::BindingSource> asked;
  const auto hops = binding_hops(b, [&](const store::BindingSource& source) {
    asked.push_back(source);
    return source.connection == 42;
  });
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], *b.source);
  EXPECT_TRUE(hops.first_is_own_flow);
  // Without a way to ask, no connection counts as open.
  EXPECT_EQ(binding_hops(b, {}).uris, Hops{"sip:a@127.0.0.1:5070;transport=tcp"});
}

TEST(BindingHop, PathWinsAndUnreadableSourceFallsBackToTheContact) {
  auto b = binding("sip:a@10.0.0.1", "udp:192.0.2.1:5060");
  b.path = {"<sip:edge.example.net:5070;lr>", "<sip:192.0.2.7;lr>"};
  EXPECT_EQ(binding_next_hops(b, false), Hops{"sip:edge.example.net:5070;lr"});
  EXPECT_EQ(binding_next_hops(binding("sip:a@10.0.0.1:5080", ""), false), Hops{"sip:a@10.0.0.1:5080"});
}

TEST(BindingHop, NatTestComparesCanonicalAddresses) {
  const auto source = store::parse_source_text("udp:10.0.0.1:5060");
  ASSERT_TRUE(source);
  EXPECT_FALSE(contact_behind_nat("sip:a@[::ffff:10.0.0.1]", *source));
  EXPECT_TRUE(contact_behind_nat("sip:a@10.0.0.2", *source));
  EXPECT_FALSE(contact_behind_nat("not a uri", *source));
}

// RFC 5626 §5.3: an outbound binding goes over its flow and nothing else, whatever the stream
// transport; once the connection is gone the flow has failed (the proxy answers 430).
TEST(BindingHop, AnOutboundBindingIsItsFlowOnly) {
  for (const char* source :
       {"tcp:127.0.0.1:41234", "tls:127.0.0.1:41235", "ws:192.0.2.7:51000", "wss:192.0.2.7:51001"}) {
    auto b = binding("sip:a@127.0.0.1:5070;transport=tcp", source);
    b.outbound = true;
    const auto open = binding_hops(b, [](const store::BindingSource&) { return true; });
    EXPECT_EQ(open.uris, Hops{source_uri(*b.source)}) << source;  // never the Contact after it
    EXPECT_TRUE(open.first_is_own_flow) << source;
    EXPECT_FALSE(open.flow_failed) << source;
    const auto closed = binding_hops(b, [](const store::BindingSource&) { return false; });
    EXPECT_TRUE(closed.flow_failed) << source;
    EXPECT_FALSE(closed.first_is_own_flow) << source;
  }
  // Over UDP the source the REGISTER came from, even with a public Contact of its own.
  auto udp = binding("sip:a@198.51.100.50:5060", "udp:192.0.2.20:34567");
  udp.outbound = true;
  EXPECT_EQ(binding_next_hops(udp, false), Hops{"sip:192.0.2.20:34567;transport=udp"});
  EXPECT_FALSE(binding_hops(udp, {}).flow_failed);
  // Behind an edge proxy (Path), the Path leads to the flow.
  auto behind_path = binding("sip:a@127.0.0.1:5070;transport=tcp", "tcp:127.0.0.1:41234");
  behind_path.outbound = true;
  behind_path.path = {"<sip:edge.example.net:5070;lr;ob>"};
  EXPECT_EQ(binding_next_hops(behind_path, false), Hops{"sip:edge.example.net:5070;lr;ob"});
  EXPECT_FALSE(binding_hops(behind_path, {}).flow_failed);
}

}  // namespace
}  // namespace osprey::registrar

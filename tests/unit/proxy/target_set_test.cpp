#include "proxy/target_set.hpp"

#include <gtest/gtest.h>

#include "store/binding_source_text.hpp"

namespace osprey::proxy {
namespace {

store::Binding binding(const std::string& contact, std::uint16_t q, const std::string& source) {
  store::Binding b;
  b.contact = contact;
  b.q = q;
  b.source = store::parse_source_text(source);
  return b;
}

TEST(TargetGroups, EqualQInParallelGroupsByDescendingQ) {
  const auto groups = target_groups({binding("sip:a@10.0.0.1", 500, "udp:192.0.2.1:5060"),
                                     binding("sip:b@10.0.0.2", 1000, "udp:192.0.2.2:5060"),
                                     binding("sip:c@10.0.0.3", 500, "udp:192.0.2.3:5060")});
  ASSERT_EQ(groups.size(), 2u);
  ASSERT_EQ(groups[0].size(), 1u);
  EXPECT_EQ(groups[0][0].request_uri, "sip:b@10.0.0.2");
  ASSERT_EQ(groups[1].size(), 2u);
  EXPECT_EQ(groups[1][0].request_uri, "sip:a@10.0.0.1");
  EXPECT_EQ(groups[1][1].request_uri, "sip:c@10.0.0.3");
  ASSERT_TRUE(groups[1][1].destination);
  EXPECT_EQ(net::to_string(groups[1][1].destination->destination), "192.0.2.3:5060");
}

TEST(TargetGroups, PathGoesFirstAndBecomesRoute) {
  auto b = binding("sip:a@10.0.0.1", 1000, "udp:192.0.2.1:5060");
  b.path = {"<sip:edge.example.net:5070;lr>", "<sip:192.0.2.7;lr>"};
  const auto groups = target_groups({b});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(groups[0][0].destination);
  EXPECT_EQ(groups[0][0].next_hop, "sip:edge.example.net:5070;lr");
  EXPECT_EQ(groups[0][0].routes, b.path);
  EXPECT_FALSE(groups[0][0].binding_address);  // a Path may be osprey itself (a spiral)
}

TEST(TargetGroups, UnreadableSourceFallsBackToTheContact) {
  const auto groups = target_groups({binding("sip:a@10.0.0.1:5080", 1000, "")});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0][0].next_hop, "sip:a@10.0.0.1:5080");
  ASSERT_TRUE(groups[0][0].destination);  // an IP literal: no lookup
  EXPECT_EQ(net::to_string(groups[0][0].destination->destination), "10.0.0.1:5080");
  EXPECT_TRUE(groups[0][0].binding_address);
  EXPECT_FALSE(groups[0][0].routed_to_gateway);
}

TEST(TargetGroups, StreamBindingUsesItsOpenConnectionWithTheContactAfterIt) {
  const auto b = binding("sip:a@192.0.2.50:5090;transport=tcp", 1000, "tcp:192.0.2.1:40001");
  const auto open = target_groups({b}, [](const store::BindingSource& source) {
    return store::source_text(source) == "tcp:192.0.2.1:40001";
  });
  ASSERT_TRUE(open[0][0].destination);
  EXPECT_EQ(open[0][0].destination->protocol, net::Protocol::tcp);
  EXPECT_EQ(net::to_string(open[0][0].destination->destination), "192.0.2.1:40001");
  EXPECT_TRUE(open[0][0].destination->peer_flow);  // its own connection (RFC 5626 §5.3)
  EXPECT_EQ(open[0][0].fallback_hops, std::vector<std::string>{"sip:a@192.0.2.50:5090;transport=tcp"});
  const auto closed = target_groups({b}, [](const store::BindingSource&) { return false; });
  ASSERT_TRUE(closed[0][0].destination);
  EXPECT_EQ(net::to_string(closed[0][0].destination->destination), "192.0.2.50:5090");
  EXPECT_FALSE(closed[0][0].destination->peer_flow);  // a Contact: only osprey's own connections
  EXPECT_TRUE(closed[0][0].fallback_hops.empty());
}

// RFC 7118 §5: a WebSocket binding goes over its connection alone; once that is gone it has no
// target at all (its Contact's .invalid host reaches nobody), while the user's other bindings
// still do.
TEST(TargetGroups, WebSocketBindingOnlyWhileItsConnectionIsOpen) {
  const auto ws = binding("sip:a@df7jal23ls0d.invalid;transport=ws", 1000, "ws:192.0.2.1:40001");
  const auto udp = binding("sip:a@192.0.2.60:5060", 1000, "udp:192.0.2.60:5060");
  const auto open = target_groups({ws, udp}, [](const store::BindingSource& source) {
    return store::source_text(source) == "ws:192.0.2.1:40001";
  });
  ASSERT_EQ(open.size(), 1u);
  ASSERT_EQ(open[0].size(), 2u);
  ASSERT_TRUE(open[0][0].destination);
  EXPECT_EQ(open[0][0].destination->protocol, net::Protocol::ws);
  EXPECT_EQ(net::to_string(open[0][0].destination->destination), "192.0.2.1:40001");
  EXPECT_TRUE(open[0][0].destination->peer_flow);
  EXPECT_TRUE(open[0][0].fallback_hops.empty());
  EXPECT_EQ(open[0][0].request_uri, "sip:a@df7jal23ls0d.invalid;transport=ws");
  const auto closed = target_groups({ws, udp}, [](const store::BindingSource&) { return false; });
  ASSERT_EQ(closed.size(), 1u);
  ASSERT_EQ(closed[0].size(), 1u);
  EXPECT_EQ(closed[0][0].request_uri, "sip:a@192.0.2.60:5060");
  EXPECT_TRUE(target_groups({ws}, [](const store::BindingSource&) { return false; }).empty());
}

// RFC 5923 §5, §11: a Contact naming another binding's open connection (its address and
// ephemeral port) is only text: the target may not go over that connection.
TEST(TargetGroups, AContactNamingAnotherBindingsConnectionIsNotAPeerFlow) {
  const auto bob = binding("sip:bob@192.0.2.50:5090;transport=tcp", 1000, "tcp:192.0.2.1:46444");
  const auto mallory = binding("sip:mallory@192.0.2.1:46444;transport=tcp", 1000, "udp:192.0.2.9:5060");
  const auto open = [](const store::BindingSource& source) {
    return store::source_text(source) == "tcp:192.0.2.1:46444";
  };
  const auto groups = target_groups({mallory}, open);
  ASSERT_TRUE(groups[0][0].destination);
  EXPECT_EQ(groups[0][0].destination->protocol, net::Protocol::tcp);
  EXPECT_EQ(net::to_string(groups[0][0].destination->destination), "192.0.2.1:46444");
  EXPECT_FALSE(groups[0][0].destination->peer_flow);
  // The same for one registered over TCP: its own connection first, the Contact after it.
  auto over_tcp = mallory;
  over_tcp.source = store::parse_source_text("tcp:192.0.2.9:40000");
  const auto both = target_groups({over_tcp}, [](const store::BindingSource&) { return true; });
  ASSERT_TRUE(both[0][0].destination);
  EXPECT_EQ(net::to_string(both[0][0].destination->destination), "192.0.2.9:40000");
  EXPECT_TRUE(both[0][0].destination->peer_flow);
  EXPECT_EQ(both[0][0].fallback_hops, std::vector<std::string>{mallory.contact});
  // Bob's own binding still reaches his connection.
  const auto bobs = target_groups({bob}, open);
  ASSERT_TRUE(bobs[0][0].destination);
  EXPECT_TRUE(bobs[0][0].destination->peer_flow);
}

TEST(TargetGroups, HostNameContactIsResolvedLater) {
  const auto groups = target_groups({binding("sip:a@phone.example.com", 1000, "udp:192.0.2.1:5060")});
  EXPECT_FALSE(groups[0][0].destination);
  EXPECT_EQ(groups[0][0].next_hop, "sip:a@phone.example.com");
}

}  // namespace
}  // namespace osprey::proxy

#include "store/packed_aor.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store_test_support.hpp"

namespace osprey::store {
namespace {

using testing::make_binding;

void expect_same(const Binding& a, const Binding& b) {
  EXPECT_EQ(a.aor, b.aor);
  EXPECT_EQ(a.contact, b.contact);
  EXPECT_EQ(a.q, b.q);
  EXPECT_EQ(a.expires_at, b.expires_at);
  EXPECT_EQ(a.call_id, b.call_id);
  EXPECT_EQ(a.cseq, b.cseq);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.user_agent, b.user_agent);
  EXPECT_EQ(a.instance, b.instance);
  EXPECT_EQ(a.reg_id, b.reg_id);
  EXPECT_EQ(a.outbound, b.outbound);
}

TEST(PackedAor, RoundTripsEveryFieldInOrder) {
  const std::string aor = "sip:alice@example.com";
  Binding first = make_binding(aor, "sip:alice@192.0.2.10:5060;transport=udp", 2000, 4294967295u);
  first.q = 500;
  first.path = {"<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr>"};
  Binding second = make_binding(aor, "sip:alice@[2001:db8::1]:5061;transport=tls", 1500, 7);
  second.q = 0;
  // Longer than 127 and than 16383 bytes: lengths of two and three varint bytes.
  second.user_agent.assign(300, 'u');
  second.call_id.assign(20000, 'c');
  second.source.reset();
  // Over TLS and IPv6, with the connection's id (its worker's number in the top bits).
  first.source = BindingSource{net::Protocol::tls,
                               {boost::asio::ip::make_address("2001:db8::7"), 40001},
                               (std::uint64_t{3} << 48) + 5};
  first.instance = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
  first.reg_id = 2147483647;  // the highest reg-id: a varint of five bytes
  first.outbound = true;      // RFC 5626 §6: bound to its flow, kept beside the reg-id
  second.instance = "urn:uuid:00000000-0000-1000-8000-00a0c91e6bf6";
  second.reg_id = 1;
  Binding negative = make_binding(aor, "sip:x", -5);

  const PackedAor packed = PackedAor::encode(aor, std::vector<Binding>{first, second, negative});
  EXPECT_EQ(packed.aor(), aor);
  EXPECT_EQ(packed.size(), 3u);
  EXPECT_EQ(packed.earliest_expiry(), -5);
  const auto live = packed.live(-10);
  ASSERT_EQ(live.size(), 3u);
  expect_same(live[0], first);
  expect_same(live[1], second);
  expect_same(live[2], negative);
}

TEST(PackedAor, LiveSkipsBindingsExpiredAtNow) {
  const std::string aor = "sip:bob@example.com";
  const PackedAor packed = PackedAor::encode(
      aor, std::vector<Binding>{make_binding(aor, "sip:a", 100), make_binding(aor, "sip:b", 200),
                                make_binding(aor, "sip:c", 300)});
  EXPECT_EQ(packed.live_count(99), 3u);
  EXPECT_EQ(packed.live_count(100), 2u);  // expires_at == now: expired (zero seconds left)
  EXPECT_EQ(testing::contacts_of(packed.live(200)), std::vector<std::string>{"sip:c"});
  EXPECT_EQ(packed.live_count(300), 0u);
  EXPECT_TRUE(packed.live(300).empty());
}

TEST(PackedAor, IsOneSmallBlock) {
  const std::string aor = "sip:carol@example.com";
  Binding binding = make_binding(aor, "sip:carol@198.51.100.7:5060", 1000);
  const PackedAor packed = PackedAor::encode(aor, std::span<const Binding>(&binding, 1));
  const std::size_t text =
      aor.size() + binding.contact.size() + binding.call_id.size() + binding.user_agent.size();
  // The expiry wheel's two pointers, a 16-byte header, 14 fixed bytes per binding, one length
  // byte per short string (the empty instance included), the reg-id, the durable lead (0: no
  // write ahead of the expiry) and the path count, and the UDP source over IPv4 in 8 bytes
  // (kind, address, port, connection 0), 11 fewer than its text "udp:192.0.2.1:5060" with its length.
  EXPECT_EQ(packed.heap_bytes(), 2 * sizeof(void*) + 16 + 14 + 8 + text + 8);
}

TEST(PackedAor, VisitReadsEveryBindingInPlaceExpiredOnesIncluded) {
  const std::string aor = "sip:dave@example.com";
  Binding routed = make_binding(aor, "sip:dave@192.0.2.20", 50, 9);
  routed.q = 250;
  routed.path = {"<sip:edge.example.net;lr>", "<sip:core.example.net;lr>"};
  Binding plain = make_binding(aor, "sip:dave@192.0.2.21", 5000, 10);
  const PackedAor packed = PackedAor::encode(aor, std::vector<Binding>{routed, plain});

  std::vector<Binding> seen;
  packed.visit([&](const PackedBinding& binding) {
    Binding& out = seen.emplace_back();
    out.aor = aor;
    out.contact = binding.contact;
    out.q = binding.q;
    out.expires_at = binding.expires_at;
    out.call_id = binding.call_id;
    out.cseq = binding.cseq;
    out.path.assign(binding.path.begin(), binding.path.end());
    out.source = binding.source;
    out.user_agent = binding.user_agent;
  });
  ASSERT_EQ(seen.size(), 2u);
  expect_same(seen[0], routed);  // expired at any `now` past 50, yet visited
  expect_same(seen[1], plain);   // the Path of the first must not leak into the second
}

TEST(PackedAor, AShareReadsTheSameBlockAndOutlivesTheStoresHandle) {
  const std::string aor = "sip:erin@example.com";
  Binding binding = make_binding(aor, "sip:erin@192.0.2.30", 700);
  auto original = std::make_unique<PackedAor>(PackedAor::encode(aor, std::span<const Binding>(&binding, 1)));
  // As if threaded into a wheel slot: the store's handle unlinks it when dropped; the share never
  // touches the link.
  char* head = nullptr;
  original->wheel_link()->pprev = &head;
  head = reinterpret_cast<char*>(original->wheel_link());

  SharedPackedAor shared = original->share();
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared.aor(), aor);
  EXPECT_EQ(shared.size(), 1u);
  original.reset();  // the store replaced or dropped its set: unlinked, not freed (ASan would say)
  EXPECT_EQ(head, nullptr);
  EXPECT_EQ(shared.aor(), aor);
  std::vector<std::string> contacts;
  shared.visit([&](const PackedBinding& b) { contacts.emplace_back(b.contact); });
  EXPECT_EQ(contacts, std::vector<std::string>{"sip:erin@192.0.2.30"});
  // Freed with the last owner (LeakSanitizer checks it is).
}

TEST(PackedAor, AnEmptySetKeepsItsAor) {
  // What a journal is handed when an AOR loses its last binding.
  const PackedAor gone = PackedAor::encode("sip:frank@example.com", std::vector<Binding>{});
  EXPECT_EQ(gone.aor(), "sip:frank@example.com");
  EXPECT_EQ(gone.size(), 0u);
  EXPECT_TRUE(gone.live(0).empty());
  int visited = 0;
  gone.visit([&](const PackedBinding&) { ++visited; });
  EXPECT_EQ(visited, 0);
  EXPECT_EQ(gone.share().aor(), "sip:frank@example.com");
}

}  // namespace
}  // namespace osprey::store

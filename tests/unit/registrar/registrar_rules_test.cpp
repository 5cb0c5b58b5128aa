#include "registrar/registrar_rules.hpp"

#include <gtest/gtest.h>

#include "store/binding_source_text.hpp"

namespace osprey::registrar {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kAor = "sip:alice@example.com";
constexpr std::string_view kCallId = "call-1@pc33";

RegisterRequest request(std::uint32_t cseq, std::vector<RequestedContact> contacts,
                        std::string_view call_id = kCallId) {
  RegisterRequest r;
  r.aor = std::string(kAor);
  r.call_id = std::string(call_id);
  r.cseq = cseq;
  r.contacts = std::move(contacts);
  r.source = *store::parse_source_text("udp:192.0.2.4:5060");
  r.user_agent = "softphone/1.0";
  return r;
}

RegisterRequest star(std::uint32_t cseq, std::string_view call_id = kCallId) {
  RegisterRequest r = request(cseq, {}, call_id);
  r.star = true;
  return r;
}

store::Binding binding(std::string contact, std::int64_t expires_at, std::string_view call_id = kCallId,
                       std::uint32_t cseq = 1, std::uint16_t q = 1000) {
  store::Binding b;
  b.aor = std::string(kAor);
  b.contact = std::move(contact);
  b.expires_at = expires_at;
  b.call_id = std::string(call_id);
  b.cseq = cseq;
  b.q = q;
  return b;
}

const store::Binding* find(const std::vector<store::Binding>& set, std::string_view contact) {
  for (const store::Binding& b : set)
    if (b.contact == contact) return &b;
  return nullptr;
}

TEST(Decide, AddsABinding) {
  auto r = request(1, {{"sip:alice@192.0.2.4", 700, 3600}});
  r.path = {"<sip:p1.example.net;lr>", "<sip:p2.example.net;lr>"};
  Decision d = decide(r, {}, kNow, {});
  EXPECT_EQ(d.status(), 200);
  ASSERT_TRUE(d.new_set);
  ASSERT_EQ(d.new_set->size(), 1u);
  const store::Binding& b = d.new_set->front();
  EXPECT_EQ(b.aor, kAor);
  EXPECT_EQ(b.contact, "sip:alice@192.0.2.4");
  EXPECT_EQ(b.q, 700);
  EXPECT_EQ(b.expires_at, kNow + 3600);
  EXPECT_EQ(b.call_id, kCallId);
  EXPECT_EQ(b.cseq, 1u);
  EXPECT_EQ(b.path, r.path);  // RFC 3327: stored in order
  EXPECT_EQ(b.source, store::parse_source_text("udp:192.0.2.4:5060"));
  EXPECT_EQ(b.user_agent, "softphone/1.0");
  ASSERT_EQ(d.bindings().size(), 1u);
  EXPECT_EQ(d.bindings()[0].contact, b.contact);
}

TEST(Decide, RefreshWithSameCallIdAndHigherCSeq) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, kCallId, 5)};
  Decision d = decide(request(6, {{"sip:alice@192.0.2.4", 500, 1800}}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().expires_at, kNow + 1800);
  EXPECT_EQ(d.new_set->front().cseq, 6u);
  EXPECT_EQ(d.new_set->front().q, 500);
}

TEST(Decide, SameCallIdWithoutHigherCSeqIsRefused) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, kCallId, 5)};
  for (std::uint32_t cseq : {5u, 4u}) {
    Decision d = decide(request(cseq, {{"sip:alice@192.0.2.4", 1000, 3600}}), current, kNow, {});
    EXPECT_EQ(d.status(), 500);
    ASSERT_TRUE(d.refusal);
    EXPECT_EQ(d.refusal->reason, "Out of order CSeq");
    EXPECT_FALSE(d.new_set);
    EXPECT_TRUE(d.bindings().empty());
  }
  // A removal out of order fails too.
  EXPECT_EQ(decide(request(5, {{"sip:alice@192.0.2.4", 1000, 0}}), current, kNow, {}).status(), 500);
}

TEST(Decide, OutOfOrderAbortsTheWholeRequest) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, kCallId, 5)};
  Decision d = decide(request(5, {{"sip:alice@192.0.2.99", 1000, 3600}, {"sip:alice@192.0.2.4", 1000, 3600}}),
                      current, kNow, {});
  EXPECT_EQ(d.status(), 500);
  EXPECT_FALSE(d.new_set);
}

TEST(Decide, DifferentCallIdReplacesWhateverTheCSeq) {
  // §10.3 step 7: another Call-ID (a restarted UA) updates the binding regardless of CSeq.
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, "old-call", 900)};
  Decision d = decide(request(1, {{"sip:alice@192.0.2.4", 1000, 3600}}, "new-call"), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().call_id, "new-call");
  EXPECT_EQ(d.new_set->front().cseq, 1u);
  EXPECT_EQ(d.new_set->front().expires_at, kNow + 3600);
  // ... and removes it when the interval is 0.
  Decision removal = decide(request(1, {{"sip:alice@192.0.2.4", 1000, 0}}, "new-call"), current, kNow, {});
  ASSERT_TRUE(removal.new_set);
  EXPECT_TRUE(removal.new_set->empty());
}

TEST(Decide, MatchesContactsByUriEquivalence) {
  // §19.1.4: host case-insensitive; the stored text is replaced by the new one.
  std::vector<store::Binding> current{
      binding("sip:alice@PC33.example.com;transport=udp", kNow + 100, kCallId, 1)};
  Decision d =
      decide(request(2, {{"sip:alice@pc33.example.com;transport=UDP", 1000, 600}}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().contact, "sip:alice@pc33.example.com;transport=UDP");
  // Different user part: a second binding.
  Decision other =
      decide(request(2, {{"sip:Alice@pc33.example.com;transport=udp", 1000, 600}}), current, kNow, {});
  ASSERT_TRUE(other.new_set);
  EXPECT_EQ(other.new_set->size(), 2u);
}

TEST(Decide, ExpiresZeroRemovesOnlyThatBinding) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, kCallId, 1),
                                      binding("sip:alice@192.0.2.5", kNow + 100, "other", 1)};
  Decision d = decide(request(2, {{"sip:alice@192.0.2.4", 1000, 0}}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().contact, "sip:alice@192.0.2.5");
  EXPECT_EQ(d.bindings().size(), 1u);
}

TEST(Decide, RemovingAnUnknownContactChangesNothing) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.5", kNow + 100)};
  Decision d = decide(request(2, {{"sip:alice@192.0.2.4", 1000, 0}}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().contact, "sip:alice@192.0.2.5");
}

TEST(Decide, StarRemovesAll) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, kCallId, 1),
                                      binding("sip:alice@192.0.2.5", kNow + 100, "other", 50)};
  Decision d = decide(star(2), current, kNow, {});
  EXPECT_EQ(d.status(), 200);
  ASSERT_TRUE(d.new_set);
  EXPECT_TRUE(d.new_set->empty());
  EXPECT_TRUE(d.bindings().empty());
}

TEST(Decide, StarOutOfOrderIsRefused) {
  // §10.3 step 6: a binding with the same Call-ID and a CSeq not lower than the request's aborts.
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, "other", 1),
                                      binding("sip:alice@192.0.2.5", kNow + 100, kCallId, 7)};
  Decision d = decide(star(7), current, kNow, {});
  EXPECT_EQ(d.status(), 500);
  EXPECT_FALSE(d.new_set);
}

TEST(Decide, QValuesKept) {
  Decision d = decide(
      request(
          1, {{"sip:a@192.0.2.4", 100, 3600}, {"sip:b@192.0.2.4", 1000, 3600}, {"sip:c@192.0.2.4", 0, 3600}}),
      {}, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 3u);
  EXPECT_EQ(find(*d.new_set, "sip:a@192.0.2.4")->q, 100);
  EXPECT_EQ(find(*d.new_set, "sip:b@192.0.2.4")->q, 1000);
  EXPECT_EQ(find(*d.new_set, "sip:c@192.0.2.4")->q, 0);
}

TEST(Decide, TooManyContactsIsRefused) {
  RegistrarLimits limits;
  limits.max_contacts_per_aor = 2;
  std::vector<store::Binding> current{binding("sip:a@192.0.2.4", kNow + 100, "x", 1),
                                      binding("sip:b@192.0.2.4", kNow + 100, "y", 1)};
  Decision d = decide(request(1, {{"sip:c@192.0.2.4", 1000, 3600}}), current, kNow, limits);
  EXPECT_EQ(d.status(), 403);
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(d.refusal->reason, "Too many registrations");
  EXPECT_FALSE(d.new_set);
  // Three at once into an empty AOR: refused too.
  EXPECT_EQ(decide(request(1, {{"sip:a@192.0.2.4", 1000, 60},
                               {"sip:b@192.0.2.4", 1000, 60},
                               {"sip:c@192.0.2.4", 1000, 60}}),
                   {}, kNow, limits)
                .status(),
            403);
}

TEST(Decide, AtTheLimitRefreshesAndSwapsStillPass) {
  RegistrarLimits limits;
  limits.max_contacts_per_aor = 2;
  std::vector<store::Binding> current{binding("sip:a@192.0.2.4", kNow + 100, kCallId, 1),
                                      binding("sip:b@192.0.2.4", kNow + 100, "y", 1)};
  EXPECT_EQ(decide(request(2, {{"sip:a@192.0.2.4", 1000, 3600}}), current, kNow, limits).status(), 200);
  // Removing one and adding one in the same request stays within the limit.
  Decision swap = decide(request(2, {{"sip:a@192.0.2.4", 1000, 0}, {"sip:c@192.0.2.4", 1000, 60}}), current,
                         kNow, limits);
  EXPECT_EQ(swap.status(), 200);
  // Above the limit already (it was lowered): a refresh is not refused.
  limits.max_contacts_per_aor = 1;
  EXPECT_EQ(decide(request(2, {{"sip:a@192.0.2.4", 1000, 3600}}), current, kNow, limits).status(), 200);
}

TEST(Decide, ExpiredBindingsAreNotCounted) {
  RegistrarLimits limits;
  limits.max_contacts_per_aor = 1;
  std::vector<store::Binding> current{binding("sip:old@192.0.2.4", kNow, "x", 1),  // expires exactly now
                                      binding("sip:older@192.0.2.4", kNow - 10, "y", 1)};
  Decision d = decide(request(1, {{"sip:new@192.0.2.4", 1000, 60}}), current, kNow, limits);
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().contact, "sip:new@192.0.2.4");
}

TEST(Decide, ExpiredBindingDoesNotEnforceCSeqOrder) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow - 1, kCallId, 9)};
  Decision d = decide(request(3, {{"sip:alice@192.0.2.4", 1000, 60}}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  EXPECT_EQ(d.new_set->front().cseq, 3u);
}

TEST(Decide, QueryListsLiveBindingsWithoutUpdate) {
  std::vector<store::Binding> current{binding("sip:a@192.0.2.4", kNow + 100),
                                      binding("sip:b@192.0.2.4", kNow - 1)};
  Decision d = decide(request(9, {}), current, kNow, {});
  EXPECT_EQ(d.status(), 200);
  EXPECT_FALSE(d.new_set);
  ASSERT_EQ(d.bindings().size(), 1u);
  EXPECT_EQ(d.bindings()[0].contact, "sip:a@192.0.2.4");
}

TEST(Decide, LaterContactOfOneRequestWins) {
  std::vector<store::Binding> current{binding("sip:alice@192.0.2.4", kNow + 100, kCallId, 1)};
  Decision d = decide(request(2, {{"sip:alice@192.0.2.4", 1000, 600}, {"sip:alice@192.0.2.4", 300, 60}}),
                      current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().expires_at, kNow + 60);
  EXPECT_EQ(d.new_set->front().q, 300);
  // Added then removed in one request: nothing stays.
  Decision gone =
      decide(request(2, {{"sip:new@192.0.2.4", 1000, 600}, {"sip:new@192.0.2.4", 1000, 0}}), {}, kNow, {});
  ASSERT_TRUE(gone.new_set);
  EXPECT_TRUE(gone.new_set->empty());
}

TEST(Decide, TheExactTextOfABindingMatchesEvenWhereEquivalenceWouldNot) {
  // A repeated parameter makes a URI not §19.1.4-equivalent even to itself; the same text is
  // still the same binding: refreshed, not added a second time.
  const std::string odd = "sip:alice@192.0.2.4;p=1;p=2";
  const std::vector<store::Binding> current{binding(odd, kNow + 100, kCallId, 1)};
  Decision d = decide(request(2, {{odd, 1000, 600}}), current, kNow, RegistrarLimits{});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().expires_at, kNow + 600);
  EXPECT_EQ(d.new_set->front().cseq, 2u);
}

TEST(Decide, KeepsOtherBindingsAndOrder) {
  std::vector<store::Binding> current{binding("sip:a@192.0.2.4", kNow + 100, "x", 1),
                                      binding("sip:b@192.0.2.4", kNow + 200, "y", 1)};
  Decision d = decide(request(1, {{"sip:c@192.0.2.4", 1000, 60}}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 3u);
  EXPECT_EQ((*d.new_set)[0].contact, "sip:a@192.0.2.4");
  EXPECT_EQ((*d.new_set)[0].expires_at, kNow + 100);
  EXPECT_EQ((*d.new_set)[1].contact, "sip:b@192.0.2.4");
  EXPECT_EQ((*d.new_set)[2].contact, "sip:c@192.0.2.4");
}

}  // namespace
}  // namespace osprey::registrar

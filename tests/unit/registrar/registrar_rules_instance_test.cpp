// decide() with "+sip.instance" Contacts (RFC 5626 §6, RFC 5627): the binding of a device is
// found by its instance-id (and reg-id), not its Contact URI, which a UA over TCP/TLS changes with
// every new connection.

#include <gtest/gtest.h>

#include "store/binding_source_text.hpp"

#include "registrar/registrar_rules.hpp"

namespace osprey::registrar {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kAor = "sip:alice@example.com";
constexpr std::string_view kCallId = "call-1@pc33";
constexpr std::string_view kPhone = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
constexpr std::string_view kLaptop = "urn:uuid:00000000-0000-1000-8000-00a0c91e6bf6";

RequestedContact contact(std::string uri, std::string_view instance = {}, std::uint32_t reg_id = 0,
                         std::uint32_t expires = 600) {
  return {std::move(uri), 1000, expires, std::string(instance), reg_id};
}

RegisterRequest request(std::uint32_t cseq, std::vector<RequestedContact> contacts,
                        std::string_view call_id = kCallId) {
  RegisterRequest r;
  r.aor = std::string(kAor);
  r.call_id = std::string(call_id);
  r.cseq = cseq;
  r.contacts = std::move(contacts);
  r.source = *store::parse_source_text("tcp:192.0.2.4:40002");
  return r;
}

store::Binding binding(std::string uri, std::string_view instance = {}, std::uint32_t reg_id = 0,
                       std::uint32_t cseq = 1) {
  store::Binding b;
  b.aor = std::string(kAor);
  b.contact = std::move(uri);
  b.expires_at = kNow + 100;
  b.call_id = std::string(kCallId);
  b.cseq = cseq;
  b.source = store::parse_source_text("tcp:192.0.2.4:40001");
  b.instance = std::string(instance);
  b.reg_id = reg_id;
  return b;
}

TEST(DecideInstance, SameInstanceWithANewUriReplacesTheBinding) {
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp", kPhone)};
  Decision d =
      decide(request(2, {contact("sip:alice@192.0.2.4:40002;transport=tcp", kPhone)}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  const store::Binding& b = d.new_set->front();
  EXPECT_EQ(b.contact, "sip:alice@192.0.2.4:40002;transport=tcp");
  EXPECT_EQ(b.instance, kPhone);
  EXPECT_EQ(b.source,
            store::parse_source_text("tcp:192.0.2.4:40002"));  // requests now go over the new connection
  EXPECT_EQ(b.cseq, 2u);
}

TEST(DecideInstance, ADifferentInstanceAddsABinding) {
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp", kPhone)};
  Decision d =
      decide(request(2, {contact("sip:alice@192.0.2.9:50001;transport=tcp", kLaptop)}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 2u);
  EXPECT_EQ((*d.new_set)[0].instance, kPhone);
  EXPECT_EQ((*d.new_set)[1].instance, kLaptop);
}

TEST(DecideInstance, ADifferentInstanceAtTheSameUriIsAnotherDevice) {
  // Two devices behind two NATs may well use the same private address and port.
  const std::vector<store::Binding> current{binding("sip:alice@10.0.0.2:5060", kPhone)};
  Decision d = decide(request(2, {contact("sip:alice@10.0.0.2:5060", kLaptop)}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  EXPECT_EQ(d.new_set->size(), 2u);
}

TEST(DecideInstance, SameInstanceWithAnotherRegIdAddsABinding) {
  // RFC 5626 §6: one binding per flow of the device, keyed by instance-id and reg-id.
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp", kPhone, 1)};
  Decision d =
      decide(request(2, {contact("sip:alice@192.0.2.4:40001;transport=tcp", kPhone, 2)}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 2u);
  EXPECT_EQ((*d.new_set)[0].reg_id, 1u);
  EXPECT_EQ((*d.new_set)[1].reg_id, 2u);
}

TEST(DecideInstance, SameInstanceAndRegIdReplaces) {
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp", kPhone, 1),
                                            binding("sip:alice@192.0.2.4:40003;transport=tcp", kPhone, 2)};
  Decision d =
      decide(request(2, {contact("sip:alice@192.0.2.4:40009;transport=tcp", kPhone, 2)}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 2u);
  EXPECT_EQ((*d.new_set)[0].contact, "sip:alice@192.0.2.4:40001;transport=tcp");
  EXPECT_EQ((*d.new_set)[1].contact, "sip:alice@192.0.2.4:40009;transport=tcp");
}

TEST(DecideInstance, ExpiresZeroWithTheInstanceRemovesItsBindingWhateverTheUri) {
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp", kPhone),
                                            binding("sip:alice@192.0.2.9:5060", kLaptop)};
  Decision d = decide(request(2, {contact("sip:alice@192.0.2.4:40002;transport=tcp", kPhone, 0, 0)}), current,
                      kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().instance, kLaptop);
}

TEST(DecideInstance, AContactWithoutInstanceIsMatchedByUriAsInRfc3261) {
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp")};
  Decision d = decide(request(2, {contact("sip:alice@192.0.2.4:40002;transport=tcp")}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  EXPECT_EQ(d.new_set->size(), 2u);  // §10.3 step 7: another URI is another binding
}

TEST(DecideInstance, ABindingWithoutInstanceTakesTheInstanceOfItsUrisNextRefresh) {
  // What a binding stored before instances were kept, or by the UA before it sent one, becomes.
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp")};
  Decision d =
      decide(request(2, {contact("sip:alice@192.0.2.4:40001;transport=tcp", kPhone)}), current, kNow, {});
  ASSERT_TRUE(d.new_set) << d.status();
  ASSERT_EQ(d.new_set->size(), 1u);
  EXPECT_EQ(d.new_set->front().instance, kPhone);
}

TEST(DecideInstance, TheCSeqRuleStillHolds) {
  // §10.3 step 7: same Call-ID, CSeq not higher: refused, instance or not.
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001;transport=tcp", kPhone, 0, 5)};
  Decision d =
      decide(request(5, {contact("sip:alice@192.0.2.4:40002;transport=tcp", kPhone)}), current, kNow, {});
  EXPECT_EQ(d.status(), 500);
  EXPECT_FALSE(d.new_set);
}

TEST(DecideInstance, ReRegistrationsFromNewPortsNeverReachTheLimit) {
  RegistrarLimits limits;
  limits.max_contacts_per_aor = 10;
  std::vector<store::Binding> current;
  for (std::uint32_t cseq = 1; cseq <= 12; ++cseq) {
    const std::string uri = "sip:alice@192.0.2.4:" + std::to_string(40000 + cseq) + ";transport=tcp";
    Decision d = decide(request(cseq, {contact(uri, kPhone)}), current, kNow, limits);
    ASSERT_TRUE(d.new_set) << "re-REGISTER " << cseq << ": " << d.status();
    ASSERT_EQ(d.new_set->size(), 1u);
    current = *d.new_set;
  }
}

TEST(DecideInstance, NewInstancesStillCountAgainstTheLimit) {
  RegistrarLimits limits;
  limits.max_contacts_per_aor = 2;
  const std::vector<store::Binding> current{binding("sip:alice@192.0.2.4:40001", kPhone),
                                            binding("sip:alice@192.0.2.9:40001", kLaptop)};
  // A replacement at the limit passes...
  Decision replace =
      decide(request(2, {contact("sip:alice@192.0.2.4:40002", kPhone)}), current, kNow, limits);
  EXPECT_EQ(replace.status(), 200);
  // ...a third device does not, and neither does one that replaces and adds in one request.
  constexpr std::string_view kTablet = "urn:uuid:11111111-0000-1000-8000-00a0c91e6bf6";
  Decision add = decide(request(2, {contact("sip:alice@192.0.2.7:40001", kTablet)}), current, kNow, limits);
  EXPECT_EQ(add.status(), 403);
  Decision both = decide(
      request(2, {contact("sip:alice@192.0.2.4:40002", kPhone), contact("sip:alice@192.0.2.7:1", kTablet)}),
      current, kNow, limits);
  EXPECT_EQ(both.status(), 403);
}

}  // namespace
}  // namespace osprey::registrar

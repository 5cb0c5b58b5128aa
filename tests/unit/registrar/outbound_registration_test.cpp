// RFC 5626 §6: the registrar side of outbound, through the registrar's three steps
// (read_register, decide, ok_response): when a reg-id binds a Contact to the flow its REGISTER
// came on, what the 200 says (Require: outbound, Flow-Timer), and which binding a new flow
// replaces.

#include <gtest/gtest.h>

#include "register_messages.hpp"
#include "registrar/registrar_rules.hpp"

namespace osprey::registrar {
namespace {

using testing::kDomains;
using testing::RegisterText;
using testing::source_of_text;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kInstance = "\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"";

store::BindingSource over_tcp(net::ConnectionId connection, std::uint16_t port = 40001) {
  store::BindingSource source = source_of_text("tcp:192.0.2.4:" + std::to_string(port));
  source.connection = connection;
  return source;
}

std::string contact(std::uint16_t port, std::uint32_t reg_id) {
  return "Contact: <sip:alice@192.0.2.4:" + std::to_string(port) +
         ";transport=tcp>;+sip.instance=" + std::string(kInstance) + ";reg-id=" + std::to_string(reg_id);
}

RegisterText outbound_register(std::uint16_t port, std::uint32_t reg_id, std::uint32_t cseq = 1) {
  return RegisterText{}.with_cseq(cseq).header("Supported: outbound, path").header(contact(port, reg_id));
}

sip::Message parse(const std::string& bytes) {
  auto message = sip::Message::parse(std::string(bytes));
  EXPECT_TRUE(message) << bytes;
  return std::move(*message);
}

// The REGISTER applied to `current` and its 200, as RegistrarService does.
struct Registered {
  RegisterRequest read;
  Decision decision;
  sip::Message answer;
};
Registered register_over(const RegisterText& text, const store::BindingSource& source,
                         const std::vector<store::Binding>& current = {}) {
  const sip::Message request = text.parse();
  auto read = read_register(request, kDomains, source, RegistrarLimits{});
  EXPECT_TRUE(read) << (read ? "" : read.error().reason);
  if (!read) std::abort();
  Decision decision = decide(*read, current, kNow, RegistrarLimits{});
  EXPECT_FALSE(decision.refusal);
  sip::Message answer =
      parse(ok_response(request, decision.bindings(), kNow, "t", read->outbound, read->flow_timer));
  return {std::move(*read), std::move(decision), std::move(answer)};
}

TEST(OutboundRegistration, ARegIdOverItsFlowIsBoundToItAndTheAnswerRequiresOutbound) {
  const Registered r = register_over(outbound_register(40001, 1), over_tcp(7));
  ASSERT_EQ(r.decision.bindings().size(), 1u);
  const store::Binding& bound = r.decision.bindings().front();
  EXPECT_TRUE(bound.outbound);
  EXPECT_EQ(bound.reg_id, 1u);
  EXPECT_EQ(bound.source->connection, 7u);
  EXPECT_EQ(r.answer.first_value("Require").value_or(""), "outbound");
  // §4.4.1: over a connection, the stream interval.
  EXPECT_EQ(r.answer.first_value("Flow-Timer").value_or(""), "120");
}

TEST(OutboundRegistration, OverUdpTheFlowTimerIsTheUdpOne) {
  const Registered r = register_over(outbound_register(5060, 1), source_of_text("udp:192.0.2.4:5060"));
  EXPECT_EQ(r.answer.first_value("Flow-Timer").value_or(""), "29");
  RegistrarLimits limits;
  limits.flow_timer_udp = 15;
  auto read = read_register(outbound_register(5060, 1).parse(), kDomains,
                            source_of_text("udp:192.0.2.4:5060"), limits);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->flow_timer, 15u);
}

TEST(OutboundRegistration, NoRequireNorFlowTimerWhenOutboundIsNotUsed) {
  // No instance, no reg-id: an RFC 3261 registration, even from a UA that supports outbound.
  const Registered plain = register_over(RegisterText{}
                                             .header("Supported: outbound")
                                             .header("Contact: <sip:alice@192.0.2.4:40001;transport=tcp>"),
                                         over_tcp(7));
  EXPECT_FALSE(plain.answer.first_value("Require"));
  EXPECT_FALSE(plain.answer.first_value("Flow-Timer"));
  EXPECT_FALSE(plain.decision.bindings().front().outbound);
  // An instance without reg-id: a GRUU-style device binding, no flow (§6).
  const Registered instance_only = register_over(
      RegisterText{}
          .header("Supported: outbound")
          .header("Contact: <sip:alice@192.0.2.4:40001>;+sip.instance=" + std::string(kInstance)),
      over_tcp(7));
  EXPECT_FALSE(instance_only.answer.first_value("Require"));
  EXPECT_FALSE(instance_only.decision.bindings().front().outbound);
}

TEST(OutboundRegistration, WithoutSupportedOutboundTheRegIdIsIgnored) {
  // §6: "the registrar MUST ignore the "reg-id" parameter": the Contact is the instance alone,
  // so a second reg-id of the same instance replaces the first instead of adding a flow.
  const RegisterText first = RegisterText{}.with_cseq(1).header(contact(40001, 1));
  const Registered r = register_over(first, over_tcp(7));
  ASSERT_EQ(r.decision.bindings().size(), 1u);
  EXPECT_EQ(r.decision.bindings().front().reg_id, 0u);
  EXPECT_FALSE(r.decision.bindings().front().outbound);
  EXPECT_FALSE(r.answer.first_value("Require"));
  EXPECT_FALSE(r.answer.first_value("Flow-Timer"));
  const Registered second = register_over(RegisterText{}.with_cseq(2).header(contact(40002, 2)),
                                          over_tcp(8, 40002), *r.decision.new_set);
  EXPECT_EQ(second.decision.bindings().size(), 1u);
}

TEST(OutboundRegistration, ANewFlowOfTheSameInstanceAndRegIdReplacesTheOldFlow) {
  const Registered first = register_over(outbound_register(40001, 1), over_tcp(7, 40001));
  // The UA reconnected: new connection, new ephemeral port, new Contact URI.
  const Registered second =
      register_over(outbound_register(40009, 1, 2), over_tcp(9, 40009), *first.decision.new_set);
  ASSERT_EQ(second.decision.bindings().size(), 1u);
  const store::Binding& bound = second.decision.bindings().front();
  EXPECT_EQ(bound.source->connection, 9u);
  EXPECT_EQ(bound.source->remote.port, 40009);
  EXPECT_EQ(bound.contact, "sip:alice@192.0.2.4:40009;transport=tcp");
  EXPECT_TRUE(bound.outbound);
}

TEST(OutboundRegistration, TwoRegIdsOfOneInstanceAreTwoFlowsBothKept) {
  const Registered first = register_over(outbound_register(40001, 1), over_tcp(7, 40001));
  const Registered second =
      register_over(outbound_register(40002, 2, 2), over_tcp(8, 40002), *first.decision.new_set);
  ASSERT_EQ(second.decision.bindings().size(), 2u);
  EXPECT_EQ(second.decision.bindings()[0].source->connection, 7u);
  EXPECT_EQ(second.decision.bindings()[1].source->connection, 8u);
  EXPECT_TRUE(second.decision.bindings()[0].outbound);
  EXPECT_TRUE(second.decision.bindings()[1].outbound);
}

TEST(OutboundRegistration, ThroughAProxyWithoutObTheUaThatAskedGets439) {
  // §6: not the first hop (two Vias) and no Path "ob": the flow does not end here.
  RegisterText text = outbound_register(40001, 1);
  text.header("Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKproxy");
  auto read =
      read_register(text.parse(), kDomains, source_of_text("udp:198.51.100.1:5060"), RegistrarLimits{});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().status, 439);
}

TEST(OutboundRegistration, ThroughAnEdgeProxyWithObItIsOutboundWithoutAFlowOfOurs) {
  RegisterText text = outbound_register(40001, 1);
  text.header("Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKproxy")
      .header("Path: <sip:edge.example.net;lr;ob>");
  auto read =
      read_register(text.parse(), kDomains, source_of_text("udp:198.51.100.1:5060"), RegistrarLimits{});
  ASSERT_TRUE(read) << read.error().reason;
  EXPECT_TRUE(read->outbound);               // Require: outbound
  EXPECT_EQ(read->flow_timer, 0u);           // the edge proxy's to give
  EXPECT_FALSE(read->contacts[0].outbound);  // routed by the Path, to the edge's flow
  EXPECT_EQ(read->contacts[0].reg_id, 1u);
}

TEST(OutboundRegistration, ARegIdWithAnotherRegisteringContactIs400) {
  auto read = read_register(outbound_register(40001, 1).header("Contact: <sip:alice@192.0.2.4:5090>").parse(),
                            kDomains, over_tcp(7), RegistrarLimits{});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().status, 400);
}

}  // namespace
}  // namespace osprey::registrar

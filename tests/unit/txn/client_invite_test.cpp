#include "txn/client_invite.hpp"

#include <gtest/gtest.h>

#include "fake_env.hpp"
#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

using testing::FakeEnv;
using State = ClientInvite::State;
using std::chrono::milliseconds;

class ClientInviteTest : public ::testing::Test {
 protected:
  FakeEnv env;
  sip::Message request = testing::parse(testing::kInvite);
  ClientInvite txn{env, TimerSettings{}, testing::parse(testing::kInvite)};
};

TEST_F(ClientInviteTest, StartSendsTheInviteAndStartsAAndB) {
  txn.start(TransportKind::unreliable);
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].bytes, testing::kInvite);
  EXPECT_EQ(txn.state(), State::calling);
  EXPECT_EQ(env.duration(TimerName::A), milliseconds(500));
  EXPECT_EQ(env.duration(TimerName::B), milliseconds(32000));
}

TEST_F(ClientInviteTest, TimerADoublesAndBEndsAfterSixRetransmissions) {
  txn.start(TransportKind::unreliable);
  env.advance_to(txn, milliseconds(32000));
  // §17.1.1.2: A = 500, 1000, 2000, 4000, 8000, 16000 (no T2 cap), B = 64*T1 = 32 s.
  std::vector<milliseconds> expected = {milliseconds(0),    milliseconds(500),  milliseconds(1500),
                                        milliseconds(3500), milliseconds(7500), milliseconds(15500),
                                        milliseconds(31500)};
  EXPECT_EQ(env.send_times(), expected);
  EXPECT_EQ(env.sent.size() - 1, 6u);
  for (const auto& s : env.sent) EXPECT_EQ(s.bytes, testing::kInvite);
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"timed_out", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientInviteTest, ReliableTransportNeverRetransmits) {
  txn.start(TransportKind::reliable);
  EXPECT_FALSE(env.is_running(TimerName::A));
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.events, (std::vector<std::string>{"timed_out", "terminated"}));
}

TEST_F(ClientInviteTest, ProvisionalStopsRetransmissions) {
  txn.start(TransportKind::unreliable);
  env.advance_to(txn, milliseconds(600));
  txn.on_response(testing::response_to(request, 180));
  EXPECT_EQ(txn.state(), State::proceeding);
  EXPECT_FALSE(env.is_running(TimerName::A));
  EXPECT_FALSE(env.is_running(TimerName::B));
  env.advance_to(txn, milliseconds(100000));
  EXPECT_EQ(env.sent.size(), 2u);  // the INVITE and its one retransmission
  EXPECT_EQ(txn.state(), State::proceeding);
  txn.on_response(testing::response_to(request, 183));
  EXPECT_EQ(env.delivered, (std::vector<int>{180, 183}));
}

TEST_F(ClientInviteTest, TwoHundredMovesToAcceptedAndFurther2xxReachTheTu) {
  txn.start(TransportKind::unreliable);
  txn.on_response(testing::response_to(request, 180));
  EXPECT_NE(txn.invite(), nullptr);  // a CANCEL may still be built from it
  txn.on_response(testing::response_to(request, 200, "fork1"));
  EXPECT_EQ(txn.state(), State::accepted);  // RFC 6026 §8.4, not Terminated
  EXPECT_EQ(txn.invite(), nullptr);         // nothing left to retransmit, ACK or CANCEL
  EXPECT_FALSE(env.is_running(TimerName::A));
  EXPECT_FALSE(env.is_running(TimerName::B));
  EXPECT_EQ(env.duration(TimerName::M), milliseconds(32000));
  // RFC 6026 §8.4: a retransmitted 2xx and a 2xx from another fork go to the TU; the
  // transaction sends no ACK for them (that is the TU's, §13.2.2.4).
  txn.on_response(testing::response_to(request, 200, "fork1"));
  txn.on_response(testing::response_to(request, 200, "fork2"));
  // Anything else is discarded.
  txn.on_response(testing::response_to(request, 180));
  txn.on_response(testing::response_to(request, 486));
  EXPECT_EQ(env.delivered, (std::vector<int>{180, 200, 200, 200}));
  EXPECT_EQ(env.sent.size(), 1u);
  env.advance_to(txn, milliseconds(31999));
  EXPECT_EQ(txn.state(), State::accepted);
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events.back(), "terminated");
  txn.on_response(testing::response_to(request, 200));
  EXPECT_EQ(env.delivered.size(), 4u);
}

TEST_F(ClientInviteTest, TwoHundredInCallingOverReliableTransport) {
  txn.start(TransportKind::reliable);
  txn.on_response(testing::response_to(request, 200));
  EXPECT_EQ(txn.state(), State::accepted);  // M runs over any transport
  EXPECT_TRUE(env.is_running(TimerName::M));
}

TEST_F(ClientInviteTest, FailureIsAckedDeliveredAndRetransmissionsReAcked) {
  txn.start(TransportKind::unreliable);
  env.advance_to(txn, milliseconds(600));
  txn.on_response(testing::response_to(request, 486, "busy"));
  EXPECT_EQ(txn.state(), State::completed);
  ASSERT_EQ(env.sent.size(), 3u);  // INVITE, retransmission, ACK
  auto ack = sip::Message::parse(env.sent[2].bytes);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->method(), sip::Method::ack);
  EXPECT_EQ(ack->to()->tag(), "busy");
  EXPECT_EQ(ack->top_via()->branch, "z9hG4bK776asdhds");
  EXPECT_EQ(env.delivered, std::vector<int>{486});
  EXPECT_FALSE(env.is_running(TimerName::A));
  EXPECT_FALSE(env.is_running(TimerName::B));
  EXPECT_EQ(env.duration(TimerName::D), milliseconds(32000));
  // §17.1.1.2: a retransmitted final is ACKed again and not passed up; others are absorbed.
  txn.on_response(testing::response_to(request, 486, "busy"));
  txn.on_response(testing::response_to(request, 180));
  txn.on_response(testing::response_to(request, 200));
  ASSERT_EQ(env.sent.size(), 4u);
  EXPECT_EQ(env.sent[3].bytes, env.sent[2].bytes);
  EXPECT_EQ(env.delivered, std::vector<int>{486});
  env.advance_to(txn, milliseconds(32599));
  EXPECT_EQ(txn.state(), State::completed);
  env.advance_to(txn, milliseconds(32600));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 486", "terminated"}));
}

TEST_F(ClientInviteTest, FailureInProceeding) {
  txn.start(TransportKind::unreliable);
  txn.on_response(testing::response_to(request, 100));
  txn.on_response(testing::response_to(request, 603));
  EXPECT_EQ(txn.state(), State::completed);
  EXPECT_EQ(env.delivered, (std::vector<int>{100, 603}));
  EXPECT_EQ(env.sent.size(), 2u);
}

TEST_F(ClientInviteTest, FailureOverReliableTransportTerminatesAtOnce) {
  txn.start(TransportKind::reliable);
  txn.on_response(testing::response_to(request, 404));
  // §17.1.1.2: Timer D is zero over reliable transports; the ACK is still sent.
  EXPECT_EQ(txn.state(), State::terminated);
  ASSERT_EQ(env.sent.size(), 2u);
  EXPECT_EQ(sip::Message::parse(env.sent[1].bytes)->method(), sip::Method::ack);
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 404", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientInviteTest, AckSendFailureStillDeliversTheFinalResponse) {
  txn.start(TransportKind::unreliable);
  env.fail_sends = true;
  txn.on_response(testing::response_to(request, 500));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 500", "terminated"}));
}

TEST_F(ClientInviteTest, SendFailureAtStart) {
  env.fail_sends = true;
  txn.start(TransportKind::unreliable);
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientInviteTest, SendFailureOnRetransmission) {
  txn.start(TransportKind::unreliable);
  env.fail_sends = true;
  env.advance_to(txn, milliseconds(500));
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientInviteTest, TransportErrorInProceedingButNotAfterAFinal) {
  txn.start(TransportKind::reliable);
  txn.on_response(testing::response_to(request, 180));
  txn.on_transport_error();
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 180", "transport_failed", "terminated"}));

  FakeEnv env2;
  ClientInvite accepted{env2, TimerSettings{}, testing::parse(testing::kInvite)};
  accepted.start(TransportKind::unreliable);
  accepted.on_response(testing::response_to(request, 200));
  accepted.on_transport_error();
  EXPECT_EQ(accepted.state(), State::accepted);
  EXPECT_EQ(env2.events, (std::vector<std::string>{"response 200"}));
}

TEST_F(ClientInviteTest, StrayTimersAreIgnored) {
  txn.start(TransportKind::unreliable);
  txn.on_response(testing::response_to(request, 180));
  txn.on_timer(TimerName::A);
  txn.on_timer(TimerName::B);
  txn.on_timer(TimerName::D);
  txn.on_timer(TimerName::M);
  EXPECT_EQ(txn.state(), State::proceeding);
  EXPECT_EQ(env.sent.size(), 1u);
}

TEST_F(ClientInviteTest, EditedInviteIsKeptAsSent) {
  sip::Message edited = testing::parse(testing::kInvite);
  edited.prepend_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy1");
  FakeEnv env2;
  ClientInvite proxied{env2, TimerSettings{}, std::move(edited)};
  ASSERT_NE(proxied.invite(), nullptr);
  EXPECT_EQ(proxied.invite()->top_via()->branch, "z9hG4bKproxy1");
  proxied.start(TransportKind::unreliable);
  proxied.on_response(testing::response_to(*proxied.invite(), 480));
  auto ack = sip::Message::parse(env2.sent.back().bytes);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->top_via()->branch, "z9hG4bKproxy1");
  EXPECT_EQ(ack->count(sip::HeaderId::via), 1u);
}

}  // namespace
}  // namespace osprey::txn

#include "txn/server_invite.hpp"

#include <gtest/gtest.h>

#include "fake_env.hpp"
#include "txn/ack_builder.hpp"
#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

using testing::FakeEnv;
using State = ServerInvite::State;
using std::chrono::milliseconds;

class ServerInviteTest : public ::testing::Test {
 protected:
  ServerInvite make(TransportKind transport) {
    return ServerInvite{env, TimerSettings{}, transport, testing::parse(testing::kInvite)};
  }
  // The ACK a client sends for a 300-699 (same branch, so it matches this transaction).
  sip::Message failure_ack() {
    return testing::parse(build_ack_for_failure(request, testing::response_to(request, 486)));
  }

  FakeEnv env;
  sip::Message request = testing::parse(testing::kInvite);
  std::string ringing = testing::response_bytes(request, 180);
  std::string ok = testing::response_bytes(request, 200);
  std::string busy = testing::response_bytes(request, 486);
};

TEST_F(ServerInviteTest, SendsTryingAfter200MsWhenTheTuIsSilent) {
  ServerInvite txn = make(TransportKind::unreliable);
  EXPECT_EQ(txn.state(), State::proceeding);
  EXPECT_EQ(env.duration(TimerName::trying), milliseconds(200));
  // Retransmissions before any provisional: nothing to re-send yet.
  txn.on_request_retransmission();
  env.advance_to(txn, milliseconds(199));
  EXPECT_TRUE(env.sent.empty());
  env.advance_to(txn, milliseconds(200));
  ASSERT_EQ(env.sent.size(), 1u);
  auto trying = sip::Message::parse(env.sent[0].bytes);
  ASSERT_TRUE(trying);
  EXPECT_EQ(trying->status(), 100);
  EXPECT_EQ(trying->top_via()->branch, "z9hG4bK776asdhds");
  EXPECT_EQ(trying->cseq()->number, 314159u);
  EXPECT_TRUE(trying->to()->tag().empty());
  // §17.2.1: a retransmitted INVITE gets the 100 again.
  txn.on_request_retransmission();
  ASSERT_EQ(env.sent.size(), 2u);
  EXPECT_EQ(env.sent[1].bytes, env.sent[0].bytes);
  EXPECT_TRUE(env.events.empty());
}

TEST_F(ServerInviteTest, NoTryingWhenTheTuSentAProvisional) {
  ServerInvite txn = make(TransportKind::unreliable);
  env.advance_to(txn, milliseconds(100));
  EXPECT_TRUE(txn.respond(ringing, 180));
  EXPECT_FALSE(env.is_running(TimerName::trying));
  env.fire(txn, TimerName::trying);  // even a stray expiry sends nothing
  env.advance_to(txn, milliseconds(10000));
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].bytes, ringing);
  // §17.2.1: the most recent provisional is re-sent for a retransmitted INVITE.
  txn.on_request_retransmission();
  EXPECT_EQ(env.sent.back().bytes, ringing);
  EXPECT_EQ(txn.state(), State::proceeding);
}

TEST_F(ServerInviteTest, NoTryingWhenTheTuAnsweredAtOnce) {
  ServerInvite txn = make(TransportKind::unreliable);
  EXPECT_TRUE(txn.respond(ok, 200));
  EXPECT_FALSE(env.is_running(TimerName::trying));
  env.fire(txn, TimerName::trying);
  EXPECT_EQ(env.sent.size(), 1u);
}

TEST_F(ServerInviteTest, TwoHundredMovesToAcceptedPerRfc6026) {
  ServerInvite txn = make(TransportKind::unreliable);
  EXPECT_TRUE(txn.respond(ringing, 180));
  EXPECT_NE(txn.invite(), nullptr);
  EXPECT_TRUE(txn.respond(ok, 200));
  EXPECT_EQ(txn.state(), State::accepted);
  EXPECT_EQ(txn.invite(), nullptr);  // Accepted keeps neither the INVITE nor the 2xx
  EXPECT_EQ(env.duration(TimerName::L), milliseconds(32000));
  EXPECT_FALSE(env.is_running(TimerName::G));  // 2xx retransmission is the TU's job
  // RFC 6026 §7.1: retransmitted INVITEs are absorbed; further 2xx from the TU are sent.
  txn.on_request_retransmission();
  EXPECT_EQ(env.sent.size(), 2u);
  std::string ok_fork = testing::response_bytes(request, 200, "other");
  EXPECT_TRUE(txn.respond(ok, 200));
  EXPECT_TRUE(txn.respond(ok_fork, 200));
  EXPECT_EQ(env.sent.size(), 4u);
  EXPECT_EQ(env.sent[3].bytes, ok_fork);
  // Nothing but a 2xx may follow a 2xx.
  EXPECT_FALSE(txn.respond(ringing, 180));
  EXPECT_FALSE(txn.respond(busy, 486));
  EXPECT_EQ(env.sent.size(), 4u);
  // RFC 6026 §7.1: ACKs for the 2xx go to the TU, every one of them.
  sip::Message ack = failure_ack();
  txn.on_ack(ack);
  txn.on_ack(ack);
  EXPECT_EQ(env.events, (std::vector<std::string>{"ack ACK", "ack ACK"}));
  EXPECT_EQ(txn.state(), State::accepted);
  env.advance_to(txn, milliseconds(31999));
  EXPECT_EQ(txn.state(), State::accepted);
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events.back(), "terminated");
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ServerInviteTest, AcceptedOverReliableTransportStillWaitsForL) {
  ServerInvite txn = make(TransportKind::reliable);
  EXPECT_TRUE(txn.respond(ok, 200));
  EXPECT_EQ(txn.state(), State::accepted);
  EXPECT_TRUE(env.is_running(TimerName::L));
}

TEST_F(ServerInviteTest, FailureIsRetransmittedOnGUntilH) {
  ServerInvite txn = make(TransportKind::unreliable);
  EXPECT_TRUE(txn.respond(busy, 486));
  EXPECT_EQ(txn.state(), State::completed);
  EXPECT_EQ(env.duration(TimerName::G), milliseconds(500));
  EXPECT_EQ(env.duration(TimerName::H), milliseconds(32000));
  env.advance_to(txn, milliseconds(32000));
  // §17.2.1: G = 500, 1000, 2000, then T2 = 4000; H = 64*T1 ends it without an ACK.
  std::vector<milliseconds> expected = {milliseconds(0),     milliseconds(500),   milliseconds(1500),
                                        milliseconds(3500),  milliseconds(7500),  milliseconds(11500),
                                        milliseconds(15500), milliseconds(19500), milliseconds(23500),
                                        milliseconds(27500), milliseconds(31500)};
  EXPECT_EQ(env.send_times(), expected);
  for (const auto& s : env.sent) EXPECT_EQ(s.bytes, busy);
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"timed_out", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ServerInviteTest, RetransmittedInviteInCompletedGetsTheFinal) {
  ServerInvite txn = make(TransportKind::unreliable);
  EXPECT_TRUE(txn.respond(ringing, 180));
  EXPECT_TRUE(txn.respond(busy, 486));
  txn.on_request_retransmission();
  ASSERT_EQ(env.sent.size(), 3u);
  EXPECT_EQ(env.sent[2].bytes, busy);
  EXPECT_FALSE(txn.respond(ok, 200));  // nothing after a final
  EXPECT_FALSE(txn.respond(ringing, 180));
}

TEST_F(ServerInviteTest, AckInCompletedConfirmsAndAbsorbsForTimerI) {
  ServerInvite txn = make(TransportKind::unreliable);
  EXPECT_TRUE(txn.respond(busy, 486));
  env.advance_to(txn, milliseconds(600));  // one G retransmission
  txn.on_ack(failure_ack());
  EXPECT_EQ(txn.state(), State::confirmed);
  EXPECT_FALSE(env.is_running(TimerName::G));
  EXPECT_FALSE(env.is_running(TimerName::H));
  EXPECT_EQ(env.duration(TimerName::I), milliseconds(5000));  // T4
  // Confirmed absorbs ACKs and INVITEs; the ACK is not the TU's.
  txn.on_ack(failure_ack());
  txn.on_request_retransmission();
  EXPECT_EQ(env.sent.size(), 2u);
  EXPECT_TRUE(env.events.empty());
  env.advance_to(txn, milliseconds(5599));
  EXPECT_EQ(txn.state(), State::confirmed);
  env.advance_to(txn, milliseconds(5600));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, std::vector<std::string>{"terminated"});
}

TEST_F(ServerInviteTest, ReliableFailureHasNoGAndConfirmedEndsAtOnce) {
  ServerInvite txn = make(TransportKind::reliable);
  EXPECT_TRUE(txn.respond(busy, 486));
  EXPECT_FALSE(env.is_running(TimerName::G));
  EXPECT_TRUE(env.is_running(TimerName::H));
  env.advance_to(txn, milliseconds(20000));
  EXPECT_EQ(env.sent.size(), 1u);
  txn.on_ack(failure_ack());
  // §17.2.1: Timer I is zero over reliable transports.
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, std::vector<std::string>{"terminated"});
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ServerInviteTest, ReliableFailureWithoutAckTimesOut) {
  ServerInvite txn = make(TransportKind::reliable);
  EXPECT_TRUE(txn.respond(busy, 486));
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.events, (std::vector<std::string>{"timed_out", "terminated"}));
}

TEST_F(ServerInviteTest, AckInProceedingIsIgnored) {
  ServerInvite txn = make(TransportKind::unreliable);
  txn.on_ack(failure_ack());
  EXPECT_EQ(txn.state(), State::proceeding);
  EXPECT_TRUE(env.events.empty());
}

TEST_F(ServerInviteTest, SendFailureIsATransportError) {
  ServerInvite txn = make(TransportKind::unreliable);
  env.fail_sends = true;
  EXPECT_FALSE(txn.respond(ringing, 180));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ServerInviteTest, SendFailureOfTheTryingOrAGRetransmission) {
  ServerInvite silent = make(TransportKind::unreliable);
  env.fail_sends = true;
  env.advance_to(silent, milliseconds(200));
  EXPECT_EQ(silent.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));

  FakeEnv env2;
  ServerInvite failing{env2, TimerSettings{}, TransportKind::unreliable, testing::parse(testing::kInvite)};
  EXPECT_TRUE(failing.respond(busy, 486));
  env2.fail_sends = true;
  env2.advance_to(failing, milliseconds(500));
  EXPECT_EQ(failing.state(), State::terminated);
  EXPECT_EQ(env2.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env2.running.empty());
}

TEST_F(ServerInviteTest, TransportErrorReportedByOwner) {
  ServerInvite txn = make(TransportKind::reliable);
  EXPECT_TRUE(txn.respond(ok, 200));
  txn.on_transport_error();
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ServerInviteTest, CustomTimerSettings) {
  TimerSettings settings;
  settings.t1 = milliseconds(100);
  settings.t2 = milliseconds(300);
  ServerInvite txn{env, settings, TransportKind::unreliable, testing::parse(testing::kInvite)};
  EXPECT_TRUE(txn.respond(busy, 486));
  EXPECT_EQ(env.duration(TimerName::H), milliseconds(6400));
  env.advance_to(txn, milliseconds(1000));
  // G: 100, 200, 300 (T2), 300...
  std::vector<milliseconds> expected = {milliseconds(0), milliseconds(100), milliseconds(300),
                                        milliseconds(600), milliseconds(900)};
  EXPECT_EQ(env.send_times(), expected);
}

}  // namespace
}  // namespace osprey::txn

#include "txn/server_non_invite.hpp"

#include <gtest/gtest.h>

#include "fake_env.hpp"
#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

using testing::FakeEnv;
using State = ServerNonInvite::State;
using std::chrono::milliseconds;

class ServerNonInviteTest : public ::testing::Test {
 protected:
  FakeEnv env;
  sip::Message request = testing::parse(testing::kOptions);
  std::string trying = testing::response_bytes(request, 100);
  std::string ok = testing::response_bytes(request, 200);
};

TEST_F(ServerNonInviteTest, TryingAbsorbsRetransmissions) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::unreliable};
  EXPECT_EQ(txn.state(), State::trying);
  txn.on_request_retransmission();
  EXPECT_TRUE(env.sent.empty());
  EXPECT_TRUE(env.running.empty());  // no timer before the TU answers
}

TEST_F(ServerNonInviteTest, ProvisionalMovesToProceedingAndIsResent) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::unreliable};
  EXPECT_TRUE(txn.respond(trying, 100));
  EXPECT_EQ(txn.state(), State::proceeding);
  txn.on_request_retransmission();
  ASSERT_EQ(env.sent.size(), 2u);
  EXPECT_EQ(env.sent[1].bytes, trying);
  EXPECT_TRUE(env.running.empty());
  // A later provisional replaces the one re-sent.
  std::string ringing = testing::response_bytes(request, 180);
  EXPECT_TRUE(txn.respond(ringing, 180));
  txn.on_request_retransmission();
  EXPECT_EQ(env.sent.back().bytes, ringing);
}

TEST_F(ServerNonInviteTest, FinalMovesToCompletedForTimerJ) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::unreliable};
  EXPECT_TRUE(txn.respond(trying, 100));
  EXPECT_TRUE(txn.respond(ok, 200));
  EXPECT_EQ(txn.state(), State::completed);
  EXPECT_EQ(env.duration(TimerName::J), milliseconds(32000));
  // §17.2.2: the final is re-sent for each retransmitted request; the TU can send no more.
  txn.on_request_retransmission();
  txn.on_request_retransmission();
  ASSERT_EQ(env.sent.size(), 4u);
  EXPECT_EQ(env.sent[2].bytes, ok);
  EXPECT_EQ(env.sent[3].bytes, ok);
  EXPECT_FALSE(txn.respond(testing::response_bytes(request, 500), 500));
  EXPECT_FALSE(txn.respond(trying, 100));
  EXPECT_EQ(env.sent.size(), 4u);
  env.advance_to(txn, milliseconds(31999));
  EXPECT_EQ(txn.state(), State::completed);
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, std::vector<std::string>{"terminated"});
  txn.on_request_retransmission();
  EXPECT_EQ(env.sent.size(), 4u);
}

TEST_F(ServerNonInviteTest, FinalFromTrying) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::unreliable};
  EXPECT_TRUE(txn.respond(ok, 200));
  EXPECT_EQ(txn.state(), State::completed);
  EXPECT_TRUE(env.is_running(TimerName::J));
}

TEST_F(ServerNonInviteTest, ReliableTransportTerminatesAtTheFinal) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::reliable};
  EXPECT_TRUE(txn.respond(trying, 100));
  EXPECT_TRUE(txn.respond(ok, 200));
  // §17.2.2: Timer J is zero over reliable transports.
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, std::vector<std::string>{"terminated"});
  EXPECT_TRUE(env.running.empty());
  EXPECT_EQ(env.sent.size(), 2u);
}

TEST_F(ServerNonInviteTest, SendFailureIsATransportError) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::unreliable};
  env.fail_sends = true;
  EXPECT_FALSE(txn.respond(ok, 200));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ServerNonInviteTest, SendFailureOnAResentResponse) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::unreliable};
  EXPECT_TRUE(txn.respond(ok, 200));
  env.fail_sends = true;
  txn.on_request_retransmission();
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ServerNonInviteTest, TransportErrorReportedByOwner) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::reliable};
  txn.on_transport_error();
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  txn.on_transport_error();
  EXPECT_EQ(env.events.size(), 2u);
}

TEST_F(ServerNonInviteTest, InvalidStatusIsRefused) {
  ServerNonInvite txn{env, TimerSettings{}, TransportKind::unreliable};
  EXPECT_FALSE(txn.respond(ok, 99));
  EXPECT_FALSE(txn.respond(ok, 700));
  EXPECT_TRUE(env.sent.empty());
  EXPECT_EQ(txn.state(), State::trying);
}

}  // namespace
}  // namespace osprey::txn

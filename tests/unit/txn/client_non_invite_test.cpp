#include "txn/client_non_invite.hpp"

#include <gtest/gtest.h>

#include "fake_env.hpp"
#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

using testing::FakeEnv;
using State = ClientNonInvite::State;
using std::chrono::milliseconds;

class ClientNonInviteTest : public ::testing::Test {
 protected:
  FakeEnv env;
  ClientNonInvite txn{env, TimerSettings{}};
  sip::Message request = testing::parse(testing::kOptions);
};

TEST_F(ClientNonInviteTest, StartSendsAndStartsEAndFOverUdp) {
  txn.start(request.serialize(), TransportKind::unreliable);
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].bytes, request.serialize());
  EXPECT_EQ(txn.state(), State::trying);
  EXPECT_EQ(env.duration(TimerName::E), milliseconds(500));
  EXPECT_EQ(env.duration(TimerName::F), milliseconds(32000));
  EXPECT_TRUE(env.is_running(TimerName::E));
  EXPECT_TRUE(env.is_running(TimerName::F));
}

TEST_F(ClientNonInviteTest, TimerEDoublesUpToT2InTrying) {
  txn.start(request.serialize(), TransportKind::unreliable);
  env.advance_to(txn, milliseconds(31999));
  // §17.1.2.2: 500, 1000, 2000, then T2 = 4000 each time.
  std::vector<milliseconds> expected = {milliseconds(0),     milliseconds(500),   milliseconds(1500),
                                        milliseconds(3500),  milliseconds(7500),  milliseconds(11500),
                                        milliseconds(15500), milliseconds(19500), milliseconds(23500),
                                        milliseconds(27500), milliseconds(31500)};
  EXPECT_EQ(env.send_times(), expected);
  EXPECT_EQ(txn.state(), State::trying);
  EXPECT_TRUE(env.events.empty());
}

TEST_F(ClientNonInviteTest, TimerFTimesOutAndTerminates) {
  txn.start(request.serialize(), TransportKind::unreliable);
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"timed_out", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientNonInviteTest, ProvisionalMovesToProceedingWhereEIsT2) {
  txn.start(request.serialize(), TransportKind::unreliable);
  env.advance_to(txn, milliseconds(600));  // one retransmission at 500, E now 1000
  txn.on_response(testing::response_to(request, 180));
  EXPECT_EQ(txn.state(), State::proceeding);
  EXPECT_EQ(env.delivered, std::vector<int>{180});
  env.advance_to(txn, milliseconds(9600));
  // The running E (due at 1500) fires, then §17.1.2.2: every T2 in Proceeding.
  std::vector<milliseconds> expected = {milliseconds(0), milliseconds(500), milliseconds(1500),
                                        milliseconds(5500), milliseconds(9500)};
  EXPECT_EQ(env.send_times(), expected);
  EXPECT_EQ(env.duration(TimerName::E), milliseconds(4000));
  // More provisionals go to the TU too.
  txn.on_response(testing::response_to(request, 183));
  EXPECT_EQ(env.delivered, (std::vector<int>{180, 183}));
}

TEST_F(ClientNonInviteTest, TimerFInProceedingTimesOut) {
  txn.start(request.serialize(), TransportKind::unreliable);
  txn.on_response(testing::response_to(request, 100));
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 100", "timed_out", "terminated"}));
}

TEST_F(ClientNonInviteTest, FinalMovesToCompletedAndAbsorbsRetransmissionsUntilK) {
  txn.start(request.serialize(), TransportKind::unreliable);
  txn.on_response(testing::response_to(request, 200));
  EXPECT_EQ(txn.state(), State::completed);
  EXPECT_EQ(env.delivered, std::vector<int>{200});
  EXPECT_FALSE(env.is_running(TimerName::E));
  EXPECT_FALSE(env.is_running(TimerName::F));
  EXPECT_TRUE(env.is_running(TimerName::K));
  EXPECT_EQ(env.duration(TimerName::K), milliseconds(5000));  // T4
  txn.on_response(testing::response_to(request, 200));
  txn.on_response(testing::response_to(request, 180));
  EXPECT_EQ(env.delivered, std::vector<int>{200});  // absorbed
  env.advance_to(txn, milliseconds(4999));
  EXPECT_EQ(txn.state(), State::completed);
  env.advance_to(txn, milliseconds(5000));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 200", "terminated"}));
  EXPECT_EQ(env.sent.size(), 1u);
}

TEST_F(ClientNonInviteTest, FinalInProceeding) {
  txn.start(request.serialize(), TransportKind::unreliable);
  txn.on_response(testing::response_to(request, 100));
  txn.on_response(testing::response_to(request, 404));
  EXPECT_EQ(txn.state(), State::completed);
  EXPECT_EQ(env.delivered, (std::vector<int>{100, 404}));
}

TEST_F(ClientNonInviteTest, ReliableTransportNeverRetransmitsAndTerminatesAtFinal) {
  txn.start(request.serialize(), TransportKind::reliable);
  EXPECT_FALSE(env.is_running(TimerName::E));
  EXPECT_TRUE(env.is_running(TimerName::F));
  env.advance_to(txn, milliseconds(31999));
  EXPECT_EQ(env.sent.size(), 1u);
  txn.on_response(testing::response_to(request, 200));
  // §17.1.2.2: Timer K is zero over reliable transports.
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 200", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientNonInviteTest, ReliableTransportTimesOut) {
  txn.start(request.serialize(), TransportKind::reliable);
  env.advance_to(txn, milliseconds(32000));
  EXPECT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.events, (std::vector<std::string>{"timed_out", "terminated"}));
}

TEST_F(ClientNonInviteTest, SendFailureAtStartIsATransportError) {
  env.fail_sends = true;
  txn.start(request.serialize(), TransportKind::unreliable);
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientNonInviteTest, SendFailureOnRetransmissionIsATransportError) {
  txn.start(request.serialize(), TransportKind::unreliable);
  env.fail_sends = true;
  env.advance_to(txn, milliseconds(500));
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"transport_failed", "terminated"}));
  EXPECT_TRUE(env.running.empty());
}

TEST_F(ClientNonInviteTest, TransportErrorReportedByOwner) {
  txn.start(request.serialize(), TransportKind::reliable);
  txn.on_response(testing::response_to(request, 100));
  txn.on_transport_error();
  EXPECT_EQ(txn.state(), State::terminated);
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 100", "transport_failed", "terminated"}));
}

TEST_F(ClientNonInviteTest, TransportErrorInCompletedIsNotReported) {
  txn.start(request.serialize(), TransportKind::unreliable);
  txn.on_response(testing::response_to(request, 200));
  txn.on_transport_error();
  EXPECT_EQ(txn.state(), State::completed);
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 200"}));
}

TEST_F(ClientNonInviteTest, TerminatedIgnoresEverything) {
  txn.start(request.serialize(), TransportKind::reliable);
  txn.on_response(testing::response_to(request, 200));
  txn.on_response(testing::response_to(request, 200));
  txn.on_timer(TimerName::E);
  txn.on_timer(TimerName::F);
  txn.on_timer(TimerName::K);
  txn.on_transport_error();
  EXPECT_EQ(env.events, (std::vector<std::string>{"response 200", "terminated"}));
  EXPECT_EQ(env.sent.size(), 1u);
}

}  // namespace
}  // namespace osprey::txn

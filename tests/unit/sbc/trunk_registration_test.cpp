#include "sbc/trunk_registration.hpp"
#include "sbc/trunk_registrations.hpp"

#include <algorithm>
#include <functional>
#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <gtest/gtest.h>

#include "recording_transport.hpp"
#include "sip/local_reply.hpp"
#include "sip/numeric_headers.hpp"
#include "sip_test_messages.hpp"

namespace osprey::sbc {
namespace {

using osprey::testing::endpoint;
using osprey::testing::RecordingTransport;
using std::chrono::seconds;
using testing::challenge_line;
using testing::lines_of;

const net::Endpoint kTrunk = endpoint("192.0.2.10", 5060);
constexpr char kContact[] = "sip:osprey@192.0.2.1:5060";

// The worker's transaction user: every client upcall goes to the registrations first, as the
// worker does; what they do not claim is counted.
class WorkerUser : public txn::TransactionUser {
 public:
  std::function<bool(txn::ClientTransactionId, const sip::Message&)> response;
  std::function<bool(txn::ClientTransactionId, int)> failure;
  int foreign_responses = 0;

  template <typename Registrations>
  void route_to(Registrations& registrations) {
    response = [&registrations](txn::ClientTransactionId id, const sip::Message& message) {
      return registrations.on_response(id, message);
    };
    failure = [&registrations](txn::ClientTransactionId id, int status) {
      return registrations.on_client_failure(id, status);
    };
  }

  void on_request(txn::ServerTransactionId, const sip::Message&, const net::Flow&) override {}
  void on_ack(const sip::Message&, const net::Flow&) override {}
  void on_cancel(txn::ServerTransactionId, const sip::Message&) override {}
  void on_response(txn::ClientTransactionId id, const sip::Message& message) override {
    if (!response || !response(id, message)) ++foreign_responses;
  }
  void on_client_failure(txn::ClientTransactionId id, int status) override {
    if (!failure || !failure(id, status)) ++foreign_responses;
  }
  void on_stray_response(const sip::Message&, const net::Flow&) override {}
};

// A worker's table on a recording transport, for the tests that build their own clients.
struct Worker {
  RecordingTransport transport;
  WorkerUser user;
  txn::TimePoint now = txn::TimePoint() + std::chrono::hours(1);
  txn::TransactionTable table{transport, user, txn::TimerSettings{}, now};
};

Trunk registering_trunk() {
  Trunk trunk;
  trunk.name = "carrier";
  trunk.peer = "sip:carrier.example.com";
  trunk.credentials = TrunkCredentials{"osprey-trunk", "s3cret", ""};
  trunk.registration.enabled = true;
  trunk.registration.expires = 3600;
  trunk.registration.retry_after = 30;
  return trunk;
}

class TrunkRegistrationTest : public ::testing::Test {
 protected:
  explicit TrunkRegistrationTest(Trunk trunk = registering_trunk())
      : client_(trunk, kContact, table_,
                TrunkRegistrationClient::resolve_to(txn::Target{net::Protocol::udp, kTrunk, ""}),
                [this] { return "rand" + std::to_string(++random_); }) {
    user_.route_to(client_);
  }

  // The fake clock: moves time on and drives table and client as the worker's tick does.
  void advance(txn::TimePoint::duration by) {
    const txn::TimePoint until = now_ + by;
    while (now_ < until) {
      now_ = std::min(until, now_ + std::chrono::milliseconds(500));
      table_.advance(now_);
      client_.advance(now_);
    }
  }

  sip::Message sent(std::size_t index) {
    auto message = transport_.parsed(index);
    EXPECT_TRUE(message);
    return std::move(*message);
  }
  sip::Message last_sent() { return sent(transport_.sent.size() - 1); }

  // The REGISTERs sent, retransmissions (RFC 3261 §17.1.2.2, same branch) counted once.
  std::size_t registers() {
    std::vector<std::string> branches;
    for (std::size_t i = 0; i < transport_.sent.size(); ++i) {
      const std::string branch(sent(i).top_via()->branch);
      if (std::find(branches.begin(), branches.end(), branch) == branches.end()) branches.push_back(branch);
    }
    return branches.size();
  }

  // The trunk answers the last REGISTER.
  void answer(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
    const sip::Message request = last_sent();
    const std::string text =
        sip::serialize_reply(request, sip::LocalReply{status, {}, std::move(headers)}, "trunk");
    auto response = sip::Message::parse(text);
    ASSERT_TRUE(response) << text;
    table_.receive(std::move(*response),
                   net::Flow{net::Protocol::udp, kTrunk, RecordingTransport::local(), 0});
  }
  void challenge(int status, std::string_view nonce) {
    const std::string line = challenge_line(status, "carrier", nonce, "MD5");
    const auto colon = line.find(':');
    answer(status, {{line.substr(0, colon), line.substr(colon + 2, line.size() - colon - 4)}});
  }

  std::uint32_t cseq_of(const sip::Message& request) { return request.cseq()->number; }

  txn::TimePoint now_ = txn::TimePoint() + std::chrono::hours(1);
  RecordingTransport transport_;
  WorkerUser user_;
  txn::TransactionTable table_{transport_, user_, txn::TimerSettings{}, now_};
  int random_ = 0;
  TrunkRegistrationClient client_;
};

TEST_F(TrunkRegistrationTest, RegistersThenRefreshesAtHalfTheGrantedExpiryWithTheSameCallId) {
  client_.start(now_);
  ASSERT_EQ(registers(), 1u);
  EXPECT_EQ(transport_.sent[0].to, kTrunk);
  const sip::Message first = sent(0);
  EXPECT_EQ(first.method(), sip::Method::register_);
  EXPECT_EQ(first.request_uri().text, "sip:carrier.example.com");
  EXPECT_EQ(first.to()->uri.text, "sip:osprey-trunk@carrier.example.com");
  EXPECT_EQ(first.first_value(sip::HeaderId::contact), std::string("<") + kContact + ">");
  EXPECT_EQ(first.first_value(sip::HeaderId::expires), "3600");
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::registering);

  answer(200, {{"Contact", std::string("<") + kContact + ">;expires=600"}});
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::registered);
  EXPECT_EQ(client_.status().granted_seconds, 600u);
  EXPECT_EQ(client_.status().registered_until, now_ + seconds(600));

  advance(seconds(299));
  EXPECT_EQ(registers(), 1u);  // not yet
  advance(seconds(2));
  ASSERT_EQ(registers(), 2u);
  const sip::Message refresh = last_sent();
  EXPECT_EQ(refresh.call_id(), first.call_id());
  EXPECT_EQ(refresh.from()->tag(), first.from()->tag());
  EXPECT_EQ(cseq_of(refresh), cseq_of(first) + 1);
  EXPECT_NE(refresh.top_via()->branch, first.top_via()->branch);
}

TEST_F(TrunkRegistrationTest, AnswersAChallengeWithTheNextCSeq) {
  client_.start(now_);
  challenge(401, "n1");
  ASSERT_EQ(registers(), 2u);
  const sip::Message again = last_sent();
  EXPECT_EQ(again.method(), sip::Method::register_);
  EXPECT_EQ(cseq_of(again), cseq_of(sent(0)) + 1);
  EXPECT_EQ(lines_of(again, sip::HeaderId::authorization).size(), 1u);
  answer(200, {{"Expires", "120"}});
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::registered);
  EXPECT_EQ(client_.status().granted_seconds, 120u);
}

TEST_F(TrunkRegistrationTest, ARealmChallengedAgainFailsAndIsRetriedWithBackoffUpToTheCap) {
  client_.start(now_);
  challenge(401, "n1");
  challenge(401, "n2");  // the password is wrong: no third REGISTER in this attempt
  ASSERT_EQ(registers(), 2u);
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::failing);
  EXPECT_EQ(client_.status().last_status, 401);
  EXPECT_EQ(client_.status().next_attempt, now_ + seconds(30));  // TrunkRegistration::retry_after

  advance(seconds(31));
  ASSERT_EQ(registers(), 3u);  // the retry, a fresh attempt that may answer again
  EXPECT_EQ(cseq_of(last_sent()), cseq_of(sent(1)) + 1);
  EXPECT_TRUE(lines_of(last_sent(), sip::HeaderId::authorization).empty());
  answer(403);
  EXPECT_EQ(client_.status().failures_in_a_row, 2u);
  EXPECT_EQ(client_.status().next_attempt, now_ + seconds(60));  // doubled

  for (int round = 0; round < 8; ++round) {
    advance(*client_.status().next_attempt - now_ + seconds(1));
    answer(500);
  }
  EXPECT_EQ(client_.status().next_attempt, now_ + TrunkRegistrationClient::kMaxRetryDelay);  // capped
  advance(*client_.status().next_attempt - now_ + seconds(1));
  answer(200);
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::registered);
  EXPECT_EQ(client_.status().failures_in_a_row, 0u);
}

TEST_F(TrunkRegistrationTest, IntervalTooBriefIsAnsweredWithMinExpires) {
  client_.start(now_);
  answer(423, {{"Min-Expires", "7200"}});
  ASSERT_EQ(registers(), 2u);
  EXPECT_EQ(last_sent().first_value(sip::HeaderId::expires), "7200");
  EXPECT_EQ(cseq_of(last_sent()), cseq_of(sent(0)) + 1);
  // A Min-Expires beyond what osprey accepts is a failure, not a week-long registration.
  answer(423, {{"Min-Expires", "999999"}});
  EXPECT_EQ(registers(), 2u);
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::failing);
}

TEST_F(TrunkRegistrationTest, ATimeoutFailsAndA503RetryAfterIsHonoured) {
  client_.start(now_);
  advance(seconds(40));  // Timer F (64*T1 = 32 s): the table reports 408
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::failing);
  EXPECT_EQ(client_.status().last_status, 408);
  EXPECT_EQ(user_.foreign_responses, 0);
  advance(*client_.status().next_attempt - now_ + seconds(1));
  const std::size_t before = registers();
  answer(503, {{"Retry-After", "900"}});
  EXPECT_EQ(registers(), before);
  EXPECT_EQ(client_.status().next_attempt, now_ + seconds(900));
}

TEST_F(TrunkRegistrationTest, AGrantLongerThanAskedIsTakenAsWhatWasAsked) {
  client_.start(now_);
  answer(200, {{"Expires", "4000000000"}});
  EXPECT_EQ(client_.status().granted_seconds, 3600u);
  EXPECT_EQ(client_.status().next_attempt, now_ + seconds(1800));
}

TEST_F(TrunkRegistrationTest, StopRemovesTheBindingAndRefreshesNoMore) {
  client_.start(now_);
  answer(200);
  client_.stop();
  ASSERT_EQ(registers(), 2u);
  EXPECT_EQ(last_sent().first_value(sip::HeaderId::expires), "0");
  answer(200);
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::idle);
  EXPECT_FALSE(client_.status().registered_until);
  advance(seconds(4000));
  EXPECT_EQ(registers(), 2u);
}

TEST_F(TrunkRegistrationTest, StartedAgainWhileTheRemovalIsInFlightRegistersAfterIt) {
  client_.start(now_);
  answer(200);
  client_.stop();
  client_.start(now_);
  EXPECT_EQ(registers(), 2u);  // the removal still goes first
  answer(200);                 // to the removal: it is not taken as a registration
  EXPECT_NE(client_.status().phase, TrunkRegistrationPhase::registered);
  EXPECT_FALSE(client_.status().registered_until);
  advance(seconds(1));
  ASSERT_EQ(registers(), 3u);
  EXPECT_EQ(last_sent().first_value(sip::HeaderId::expires), "3600");
  answer(200);
  EXPECT_EQ(client_.status().phase, TrunkRegistrationPhase::registered);
}

TEST(TrunkRegistrationClient, AResolutionFailureIsAFailureAndAnotherTransactionIsNotItsOwn) {
  Worker worker;
  auto& [transport, user, now, table] = worker;
  TrunkRegistrationClient client(
      registering_trunk(), kContact, table,
      [](const sip::Uri&, net::ResolveCallback done) { done(tl::unexpected(std::string("NXDOMAIN"))); });
  client.start(now);
  EXPECT_TRUE(transport.sent.empty());
  EXPECT_EQ(client.status().phase, TrunkRegistrationPhase::failing);
  EXPECT_NE(client.status().last_failure.find("NXDOMAIN"), std::string::npos);
  EXPECT_FALSE(client.on_client_failure(txn::ClientTransactionId{7, 1}, 408));
  EXPECT_FALSE(client.on_response(txn::ClientTransactionId{7, 1}, testing::invite_toward_trunk()));
}

TEST(TrunkRegistrationClient, AnAorOrContactThatIsNotOneUriSendsNothing) {
  for (const auto& [aor, contact] : std::vector<std::pair<std::string, std::string>>{
           {"sip:a@carrier.example.com>\r\nRoute: <sip:evil.example.com", kContact},
           {"", "sip:osprey@192.0.2.1>\r\nX-Injected: 1\r\nY: <sip:x"},
           {"tel:+15551230000", kContact}}) {
    Worker worker;
    Trunk trunk = registering_trunk();
    trunk.registration.aor = aor;
    TrunkRegistrationClient client(
        trunk, contact, worker.table,
        TrunkRegistrationClient::resolve_to(txn::Target{net::Protocol::udp, kTrunk, ""}));
    client.start(worker.now);
    EXPECT_TRUE(worker.transport.sent.empty()) << aor << " " << contact;
    EXPECT_EQ(client.status().phase, TrunkRegistrationPhase::failing);
  }
}

TEST(TrunkRegistrationClient, ADisabledRegistrationSendsNothing) {
  Worker worker;
  auto& [transport, user, now, table] = worker;
  Trunk trunk = registering_trunk();
  trunk.registration.enabled = false;
  TrunkRegistrationClient client(
      trunk, kContact, table,
      TrunkRegistrationClient::resolve_to(txn::Target{net::Protocol::udp, kTrunk, ""}));
  user.route_to(client);
  client.start(now);
  client.advance(now + std::chrono::hours(2));
  EXPECT_TRUE(transport.sent.empty());
  EXPECT_EQ(client.status().phase, TrunkRegistrationPhase::idle);
}

TEST(TrunkRegistrations, OnlyTrunksThatAskRegisterAndEachClaimsItsOwnAnswers) {
  Worker worker;
  auto& [transport, user, now, table] = worker;
  Trunk quiet = registering_trunk();
  quiet.name = "quiet";
  quiet.registration.enabled = false;
  Trunk other = registering_trunk();
  other.name = "other";
  other.registration.aor = "sip:pbx-user@pbx.example.org";
  TrunkRegistrations registrations(
      {registering_trunk(), quiet, other},
      [](const Trunk& trunk) { return "sip:osprey-" + trunk.name + "@192.0.2.1"; }, table,
      TrunkRegistrationClient::resolve_to(txn::Target{net::Protocol::udp, kTrunk, ""}));
  user.route_to(registrations);
  registrations.start(now);
  ASSERT_EQ(transport.sent.size(), 2u);
  // The second trunk's REGISTER answered 200: its state only.
  const sip::Message second = *transport.parsed(1);
  EXPECT_EQ(second.to()->uri.text, "sip:pbx-user@pbx.example.org");
  EXPECT_EQ(second.first_value(sip::HeaderId::contact), "<sip:osprey-other@192.0.2.1>");
  auto ok = sip::Message::parse(sip::serialize_reply(second, sip::LocalReply{200, {}, {}}, "t"));
  ASSERT_TRUE(ok);
  table.receive(std::move(*ok), net::Flow{net::Protocol::udp, kTrunk, RecordingTransport::local(), 0});
  EXPECT_EQ(user.foreign_responses, 0);
  const auto statuses = registrations.statuses();
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].first, "carrier");
  EXPECT_EQ(statuses[0].second.phase, TrunkRegistrationPhase::registering);
  EXPECT_EQ(statuses[1].first, "other");
  EXPECT_EQ(statuses[1].second.phase, TrunkRegistrationPhase::registered);
}

}  // namespace
}  // namespace osprey::sbc

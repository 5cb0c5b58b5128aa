#include "registrar/registrar_service.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "recording_transport.hpp"
#include "server/local_responder.hpp"
#include "sip/message.hpp"
#include "store/memory_location_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::server {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

using osprey::testing::endpoint;
using osprey::testing::RecordingTransport;

// Holds every change until the test says the "commit" is done, as the SQLite writer does with
// a batch: then calls back each change, in order, with the commit's outcome.
class HeldJournal final : public store::BindingJournal {
 public:
  struct State {
    std::mutex mutex;
    std::vector<Done> waiting;
  };
  explicit HeldJournal(std::shared_ptr<State> state) : state_(std::move(state)) {}
  using BindingJournal::write;
  Done write(store::SharedPackedAor, Done done, AorHistory) override {
    std::lock_guard lock(state_->mutex);
    state_->waiting.push_back(std::move(done));
    return {};
  }
  Done after_pending(Done done) override { return done; }
  // As the SQLite journal: waits for the changes held before it, if any.
  Confirmation confirm(Done done) override {
    std::lock_guard lock(state_->mutex);
    if (state_->waiting.empty()) return {true, std::move(done)};
    state_->waiting.push_back(std::move(done));
    return {true, {}};
  }
  void close() override {}

 private:
  std::shared_ptr<State> state_;
};

class RegistrarServiceTest : public ::testing::Test {
 protected:
  RegistrarServiceTest()
      : store_(std::make_unique<HeldJournal>(journal_)),
        table_(transport_, responder_, {}, txn::Clock::now()),
        registrar_(
            io_context_, store_, {}, {"example.com"}, [] { return kNow; },
            [this] { return "tag" + std::to_string(++tags_); }) {
    responder_.attach(table_, &registrar_);
  }

  void register_user(const std::string& user, int expires = 3600) {
    const std::string n = std::to_string(++requests_);
    const std::string text =
        "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKreg" + n +
        "\r\nMax-Forwards: 70\r\nFrom: <sip:" + user + "@example.com>;tag=f" + n + "\r\nTo: <sip:" + user +
        "@example.com>\r\nCall-ID: reg-" + n + "\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user +
        "@192.0.2.9:5070>;expires=" + std::to_string(expires) + "\r\nContent-Length: 0\r\n\r\n";
    auto request = sip::Message::parse(text);
    ASSERT_TRUE(request) << text;
    table_.receive(std::move(*request),
                   {net::Protocol::udp, endpoint("192.0.2.9", 5070), endpoint("127.0.0.1", 5060), 0});
  }

  // A REGISTER for the AOR `to` ("sips:alice@example.com") with the given Contact and Expires
  // header lines (each with its CRLF, or empty: no Contact is a query), answered once committed.
  std::string register_and_answer(const std::string& to, const std::string& headers) {
    const std::string n = std::to_string(++requests_);
    // A sips: AOR registers over TLS (RFC 5630 §4.1).
    const bool sips = to.starts_with("sips:");
    const std::string text = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/" +
                             std::string(sips ? "TLS" : "UDP") + " 192.0.2.9:5070;branch=z9hG4bKreg" + n +
                             "\r\nMax-Forwards: 70\r\nFrom: <" + to + ">;tag=f" + n + "\r\nTo: <" + to +
                             ">\r\nCall-ID: reg-" + n + "\r\nCSeq: 1 REGISTER\r\n" + headers +
                             "Content-Length: 0\r\n\r\n";
    auto request = sip::Message::parse(text);
    EXPECT_TRUE(request) << text;
    if (!request) return {};
    const std::size_t before = transport_.sent.size();
    table_.receive(std::move(*request),
                   {sips ? net::Protocol::tls : net::Protocol::udp, endpoint("192.0.2.9", 5070),
                    endpoint("127.0.0.1", 5060), sips ? 7u : 0u});
    commit(true);
    run_posted();
    EXPECT_EQ(transport_.sent.size(), before + 1) << to;
    return transport_.sent.size() > before ? transport_.sent.back().bytes : std::string();
  }

  // What the worker's thread would run next (a drained io_context must be restarted).
  void run_posted() {
    io_context_.restart();
    io_context_.poll();
  }

  // The writer thread finishes a commit: every change waiting gets `ok`.
  void commit(bool ok) {
    std::vector<store::BindingJournal::Done> done;
    {
      std::lock_guard lock(journal_->mutex);
      done.swap(journal_->waiting);
    }
    for (auto& callback : done) callback(ok);
  }

  std::vector<int> statuses() const {
    std::vector<int> out;
    for (std::size_t i = 0; i < transport_.sent.size(); ++i) {
      auto response = transport_.parsed(i);
      EXPECT_TRUE(response);
      if (response) out.push_back(response->status());
    }
    return out;
  }

  boost::asio::io_context io_context_;
  std::shared_ptr<HeldJournal::State> journal_ = std::make_shared<HeldJournal::State>();
  store::MemoryLocationStore store_;
  RecordingTransport transport_;
  LocalResponder responder_;
  txn::TransactionTable table_;
  int tags_ = 0;
  int requests_ = 0;
  registrar::RegistrarService registrar_;
};

TEST_F(RegistrarServiceTest, TheAnswersToOneCommitLeaveTogetherOnlyOnceItIsDurable) {
  int batches = 0;
  std::size_t sent_inside = 0;
  registrar_.attach_send_batch([&](const std::function<void()>& work) {
    ++batches;
    const std::size_t before = transport_.sent.size();
    work();
    sent_inside += transport_.sent.size() - before;
  });
  register_user("alice");
  register_user("bob");
  register_user("carol");
  run_posted();
  EXPECT_TRUE(transport_.sent.empty());  // nothing is durable yet: no 200 may leave

  commit(true);
  EXPECT_TRUE(transport_.sent.empty());  // the writer's thread never sends: the worker does
  run_posted();
  EXPECT_EQ(statuses(), (std::vector<int>{200, 200, 200}));
  EXPECT_EQ(batches, 1);  // one hand-over to the worker, one held batch of datagrams
  EXPECT_EQ(sent_inside, 3u);
  EXPECT_EQ(registrar_.counters().registered, 3u);

  // The next commit is a batch of its own.
  register_user("dave");
  commit(true);
  run_posted();
  EXPECT_EQ(statuses().size(), 4u);
  EXPECT_EQ(batches, 2);
}

TEST_F(RegistrarServiceTest, TheAnswersToABigCommitArePacedInBurstsThatShrinkTheBacklog) {
  std::vector<std::size_t> bursts;
  registrar_.attach_send_batch([&](const std::function<void()>& work) {
    const std::size_t before = transport_.sent.size();
    work();
    bursts.push_back(transport_.sent.size() - before);
    if (bursts.size() == 1) {
      // Another commit completes while the first burst is going out, as the writer thread's
      // next batch may: it joins the paced run and does not jump the gap with a post of its own.
      register_user("late");
      commit(true);
    }
  });
  constexpr std::size_t kUsers = 300;
  for (std::size_t i = 0; i < kUsers; ++i) register_user("user" + std::to_string(i));
  commit(true);
  run_posted();
  // The first burst only: a quarter of the 300 waiting (more than kAnswersPerBurst); the rest,
  // and the late one, follow on the pacing timer, kBurstGap apart.
  ASSERT_EQ(bursts.size(), 1u);
  EXPECT_EQ(bursts[0], kUsers / registrar::RegistrarService::kBurstsPerBacklog);

  for (int turn = 0; turn < 100 && transport_.sent.size() < kUsers + 1; ++turn) {
    io_context_.restart();
    io_context_.run_one_for(std::chrono::seconds(1));
  }
  ASSERT_EQ(transport_.sent.size(), kUsers + 1);
  for (int status : statuses()) EXPECT_EQ(status, 200);
  for (std::size_t burst : bursts) {
    EXPECT_GE(burst, 1u);
    EXPECT_LE(burst, kUsers / registrar::RegistrarService::kBurstsPerBacklog);
  }
  // A quarter of what waits, at least kAnswersPerBurst unless that is all there is, never an
  // empty burst: 75, 56, 42, 32, 32, 32, 31, then the late one.
  EXPECT_EQ(bursts, (std::vector<std::size_t>{75, 56, 42, 32, 32, 32, 31, 1}));
  EXPECT_EQ(registrar_.counters().registered, kUsers + 1);

  // Drained, pacing is over: the next commit's answer leaves at once, without a timer.
  register_user("after");
  commit(true);
  run_posted();
  EXPECT_EQ(transport_.sent.size(), kUsers + 2);
}

TEST_F(RegistrarServiceTest, AFailedCommitAnswers500AndARefusalItsOwnStatus) {
  register_user("alice");
  commit(false);
  run_posted();
  EXPECT_EQ(statuses(), std::vector<int>{500});  // not durable: no 200 (kill -9 would lose it)
  EXPECT_EQ(registrar_.counters().store_failures, 1u);
  // Made from the 200 it replaces, yet a response to the request (§8.2.6.2): its Via, From,
  // Call-ID and CSeq, the To with our tag, and none of the 200's Contact or Date.
  auto failure = transport_.parsed(0);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason(), "Location store unavailable");
  EXPECT_EQ(failure->first_value(sip::HeaderId::via), "SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKreg1");
  EXPECT_EQ(failure->first_value(sip::HeaderId::from), "<sip:alice@example.com>;tag=f1");
  EXPECT_EQ(failure->first_value(sip::HeaderId::to), "<sip:alice@example.com>;tag=tag1");
  EXPECT_EQ(failure->first_value(sip::HeaderId::call_id), "reg-1");
  EXPECT_EQ(failure->first_value(sip::HeaderId::cseq), "1 REGISTER");
  EXPECT_FALSE(failure->first_value(sip::HeaderId::contact));
  EXPECT_FALSE(failure->first_value(sip::HeaderId::date));

  register_user("bob", 5);  // under Min-Expires: nothing to write, answered through the same path
  run_posted();
  EXPECT_EQ(statuses(), (std::vector<int>{500, 423}));
  EXPECT_EQ(registrar_.counters().refused, 1u);
}

// RFC 3261 §19.1.4: "A SIP and SIPS URI are never equivalent", so sip:alice and sips:alice are
// two AORs (§10.3 step 5): each REGISTER adds to, lists (§10.3 step 8: "all the current
// bindings" of that AOR) and removes (Contact: *, step 6) the bindings of its own AOR only.
TEST_F(RegistrarServiceTest, SipAndSipsAorsHaveSeparateBindings) {
  const std::string sips_contact = "sips:alice@192.0.2.9:5071";
  const std::string sip_contact = "sip:alice@192.0.2.9:5070";
  std::string answer =
      register_and_answer("sips:alice@example.com", "Contact: <" + sips_contact + ">;expires=3600\r\n");
  EXPECT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << answer;
  answer = register_and_answer("sip:alice@example.com", "Contact: <" + sip_contact + ">;expires=3600\r\n");
  EXPECT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << answer;
  EXPECT_NE(answer.find(sip_contact), std::string::npos) << answer;
  EXPECT_EQ(answer.find(sips_contact), std::string::npos) << answer;

  // Queries list the bindings of the AOR asked about, and of no other.
  answer = register_and_answer("sip:alice@example.com", "");
  EXPECT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << answer;
  EXPECT_NE(answer.find(sip_contact), std::string::npos) << answer;
  EXPECT_EQ(answer.find(sips_contact), std::string::npos) << answer;
  answer = register_and_answer("sips:alice@example.com", "");
  EXPECT_NE(answer.find(sips_contact), std::string::npos) << answer;
  EXPECT_EQ(answer.find(sip_contact), std::string::npos) << answer;

  // Contact: * for the sip: AOR leaves the sips: one as it was, and the other way round.
  answer = register_and_answer("sip:alice@example.com", "Contact: *\r\nExpires: 0\r\n");
  EXPECT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << answer;
  EXPECT_TRUE(store_.lookup("sip:alice@example.com", kNow).empty());
  auto kept = store_.lookup("sips:alice@example.com", kNow);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].contact, sips_contact);
  answer = register_and_answer("sips:alice@example.com", "");
  EXPECT_NE(answer.find(sips_contact), std::string::npos) << answer;

  register_and_answer("sip:alice@example.com", "Contact: <" + sip_contact + ">;expires=3600\r\n");
  answer = register_and_answer("sips:alice@example.com", "Contact: *\r\nExpires: 0\r\n");
  EXPECT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << answer;
  EXPECT_TRUE(store_.lookup("sips:alice@example.com", kNow).empty());
  EXPECT_EQ(store_.lookup("sip:alice@example.com", kNow).size(), 1u);
}

}  // namespace
}  // namespace osprey::server

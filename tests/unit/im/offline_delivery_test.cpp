#include "im/offline_delivery.hpp"

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "store/binding_source_text.hpp"

#include <boost/asio/post.hpp>
#include "im/fake_message_store.hpp"
#include "im/im_test_support.hpp"

#include "net/destination_blocklist.hpp"
#include "sip/builder.hpp"
#include "sip/date_header.hpp"
#include "store/memory_location_store.hpp"

namespace osprey::im {
namespace {

using testing::endpoint;
using testing::FakeMessageStore;
using testing::kBob;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr auto kFirstRetry = std::chrono::milliseconds(50);

store::Binding binding(const std::string& contact, const std::string& source) {
  store::Binding b;
  b.aor = kBob;
  b.contact = contact;
  b.expires_at = kNow + 3600;
  b.source = store::parse_source_text(source);
  return b;
}
const store::Binding kPhone = binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080");
const store::Binding kLaptop = binding("sip:bob@10.0.0.3:5090", "udp:192.0.2.21:5090");

class OfflineDeliveryTest : public ::testing::Test {
 protected:
  OfflineDeliveryTest()
      : table_(transport_, user_, {}, txn::Clock::now()), resolver_(io_), delivery_(make_delivery()) {
    user_.response = [this](txn::ClientTransactionId t, const sip::Message& response) {
      EXPECT_TRUE(delivery_->on_response(t, response) || (other_ && other_->on_response(t, response)));
    };
    user_.failure = [this](txn::ClientTransactionId t, int status) {
      EXPECT_TRUE(delivery_->on_client_failure(t, status) ||
                  (other_ && other_->on_client_failure(t, status)));
    };
  }

  std::unique_ptr<OfflineDelivery> make_delivery() {
    return std::make_unique<OfflineDelivery>(
        io_, table_, store_, location_, claims_, [] { return kNow; },
        [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); },
        [this] { return "delivery-" + std::to_string(++call_ids_); },
        DeliverySettings{.batch = 2, .first_retry = kFirstRetry, .max_retry = kFirstRetry * 2},
        DeliveryRouting{[this](const store::BindingSource&) { return flow_open_; },
                        [](const net::Endpoint& to) { return to == endpoint("192.0.2.99", 5060); },
                        &blocklist_});
  }

  // The names of `names_` resolve to their addresses (UDP, in order); anything else as the
  // system's resolver says.
  void resolve(const sip::Uri& uri, net::ResolveCallback done) {
    auto it = names_.find(std::string(uri.host));
    if (it == names_.end()) {
      resolver_.resolve(uri, std::move(done));
      return;
    }
    net::ResolvedTarget target;
    for (const net::Endpoint& at : it->second) target.hops.push_back({net::Protocol::udp, at});
    boost::asio::post(io_, [done = std::move(done), target = std::move(target)] { done(target); });
  }

  void register_bob(std::vector<store::Binding> bindings) {
    location_.update(
        kBob, kNow, [bindings](const std::vector<store::Binding>&) { return store::AorUpdate{bindings}; },
        [](bool) {});
  }

  // Runs what is ready (posted store callbacks, resolver answers). poll() leaves the context
  // stopped once out of work, hence the restart.
  void pump() {
    io_.restart();
    io_.poll();
  }

  // Indices of the MESSAGE requests sent so far.
  std::vector<std::size_t> messages_sent() const {
    std::vector<std::size_t> result;
    for (std::size_t i = 0; i < transport_.sent.size(); ++i)
      if (transport_.sent[i].bytes.rfind("MESSAGE ", 0) == 0) result.push_back(i);
    return result;
  }
  sip::Message sent(std::size_t index) {
    auto message = transport_.parsed(index);
    EXPECT_TRUE(message);
    return std::move(*message);
  }
  // The recipient's answer to the request at `index`.
  void answer(std::size_t index, int status) {
    const auto response =
        sip::MessageBuilder::response_to(sent(index), status, {}, status == 100 ? "" : "bt");
    testing::feed(table_, response.serialize(), transport_.sent.at(index).to);
    pump();
  }
  // Runs the io_context until `count` MESSAGEs were sent or `bound` passed.
  void run_until_sent(std::size_t count, std::chrono::milliseconds bound = std::chrono::milliseconds(3000)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (messages_sent().size() < count && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
  }

  boost::asio::io_context io_;
  testing::RecordingTransport transport_;
  testing::ForwardingUser user_;
  FakeMessageStore store_;
  store::MemoryLocationStore location_;
  DeliveryClaims claims_;
  txn::TransactionTable table_;
  net::TargetResolver resolver_;
  std::map<std::string, std::vector<net::Endpoint>> names_;
  std::int64_t blocklist_now_ = 100;
  net::DestinationBlocklist blocklist_{{}, [this] { return blocklist_now_; }};
  int call_ids_ = 0;
  bool flow_open_ = false;  // every binding's stream connection is open (ConnectionOpen)
  std::unique_ptr<OfflineDelivery> delivery_;
  std::unique_ptr<OfflineDelivery> other_;  // a second worker's
};

TEST_F(OfflineDeliveryTest, NothingHappensWhenNothingIsStored) {
  delivery_->user_reachable(kBob, {kPhone});
  pump();
  EXPECT_EQ(store_.pending_count_calls, 1);
  EXPECT_EQ(store_.fetches, 0);
  EXPECT_EQ(delivery_->active_runs(), 0u);
  EXPECT_FALSE(claims_.claimed(kBob));
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(OfflineDeliveryTest, DeliversInOrderOneAtATimeAndRemovesAfterEach2xx) {
  // Three messages with a batch of two: the run fetches twice.
  store_.add(kBob, "one", 1'700'000'001);
  store_.add(kBob, "two", 1'700'000'002);
  store_.add(kBob, "three", 1'700'000'003);
  delivery_->user_reachable(kBob, {kPhone});
  EXPECT_TRUE(claims_.claimed(kBob));
  const std::vector<std::string> bodies = {"one", "two", "three"};
  for (std::size_t n = 0; n < bodies.size(); ++n) {
    pump();
    const auto requests = messages_sent();
    ASSERT_EQ(requests.size(), n + 1) << "exactly one message in flight";
    const sip::Message request = sent(requests.back());
    EXPECT_EQ(transport_.sent[requests.back()].to, endpoint("192.0.2.20", 5080));  // the source flow
    EXPECT_EQ(request.request_uri().text, "sip:bob@10.0.0.2:5080");
    EXPECT_EQ(request.body(), bodies[n]);
    EXPECT_EQ(request.first_value(sip::HeaderId::date), sip::format_date(1'700'000'001 + std::int64_t(n)));
    EXPECT_EQ(request.first_value(sip::HeaderId::from), "\"Alice\" <sip:alice@example.com>;tag=a1b2");
    EXPECT_TRUE(request.to()->tag().empty());
    EXPECT_EQ(store_.removed.size(), n);  // nothing removed before its 2xx
    answer(requests.back(), 100);
    EXPECT_EQ(store_.removed.size(), n);
    answer(requests.back(), 200);
    EXPECT_EQ(store_.removed.size(), n + 1);
    EXPECT_EQ(store_.removed.back(), n + 1);
  }
  pump();
  EXPECT_EQ(messages_sent().size(), 3u);
  EXPECT_EQ(delivery_->counters().delivered, 3u);
  EXPECT_EQ(delivery_->active_runs(), 0u);  // the last fetch found nothing
  EXPECT_FALSE(claims_.claimed(kBob));
}

TEST_F(OfflineDeliveryTest, ForksToEveryBindingAndASecond2xxIsIgnored) {
  store_.add(kBob, "one");
  store_.add(kBob, "two");
  delivery_->user_reachable(kBob, {kPhone, kLaptop});
  pump();
  auto requests = messages_sent();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(sent(requests[0]).call_id(), sent(requests[1]).call_id());
  EXPECT_EQ(sent(requests[1]).body(), "one");

  answer(requests[0], 200);
  pump();
  EXPECT_EQ(store_.removed, (std::vector<std::uint64_t>{1}));
  ASSERT_EQ(messages_sent().size(), 4u);  // "two" to both devices

  answer(requests[1], 200);  // the laptop's 2xx for "one", late
  pump();
  EXPECT_EQ(store_.removed, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(messages_sent().size(), 4u);
  EXPECT_EQ(delivery_->counters().delivered, 1u);
}

TEST_F(OfflineDeliveryTest, EveryBranchFailingRetriesAfterTheBackOff) {
  store_.add(kBob, "one");
  register_bob({kLaptop});  // what the location store has when the retry comes
  delivery_->user_reachable(kBob, {kPhone, kLaptop});
  pump();
  auto requests = messages_sent();
  ASSERT_EQ(requests.size(), 2u);
  answer(requests[0], 480);
  EXPECT_EQ(delivery_->counters().failures, 0u);  // one branch is still out
  answer(requests[1], 503);
  const auto failed_at = std::chrono::steady_clock::now();
  EXPECT_EQ(delivery_->counters().failures, 1u);
  EXPECT_TRUE(store_.removed.empty());
  pump();
  EXPECT_EQ(messages_sent().size(), 2u);  // not before the back-off

  run_until_sent(3);
  ASSERT_EQ(messages_sent().size(), 3u);
  EXPECT_GE(std::chrono::steady_clock::now() - failed_at, kFirstRetry);
  EXPECT_EQ(delivery_->counters().retries, 1u);
  const std::size_t retry = messages_sent().back();
  EXPECT_EQ(transport_.sent[retry].to, endpoint("192.0.2.21", 5090));  // re-read bindings
  EXPECT_EQ(sent(retry).body(), "one");
  answer(retry, 200);
  EXPECT_EQ(store_.removed, (std::vector<std::uint64_t>{1}));
}

// A message that fails on every device attempt after attempt (here 503 each time; in life e.g.
// too large for UDP toward a UA with no stream flow) does not hold the messages behind it: after
// attempts_before_set_aside attempts it is set aside, still stored, and the next one goes; the
// user's next run tries it again.
TEST_F(OfflineDeliveryTest, AMessageFailingEveryAttemptIsSetAsideAndTheNextOneGoes) {
  const auto stuck = store_.add(kBob, "stuck");
  const auto next = store_.add(kBob, "next");
  register_bob({kPhone});
  std::vector<DeliverySetAside> reports;
  delivery_->set_set_aside_report([&](const DeliverySetAside& report) { reports.push_back(report); });
  delivery_->user_reachable(kBob, {kPhone});
  pump();
  for (std::size_t attempt = 1; attempt <= 3; ++attempt) {
    run_until_sent(attempt);
    ASSERT_EQ(messages_sent().size(), attempt);
    EXPECT_EQ(sent(messages_sent().back()).body(), "stuck");
    answer(messages_sent().back(), 503);
  }
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].id, stuck);
  EXPECT_EQ(reports[0].attempts, 3u);
  EXPECT_EQ(delivery_->counters().set_aside, 1u);
  run_until_sent(4);
  ASSERT_EQ(messages_sent().size(), 4u);
  EXPECT_EQ(sent(messages_sent().back()).body(), "next");
  answer(messages_sent().back(), 200);
  EXPECT_EQ(store_.removed, (std::vector<std::uint64_t>{next}));  // "stuck" is still stored
  pump();
  EXPECT_EQ(delivery_->active_runs(), 0u);  // only the set-aside message was left: the run ends
  EXPECT_EQ(messages_sent().size(), 4u);

  // The next registration starts a new run, which tries it again.
  delivery_->user_reachable(kBob, {kPhone});
  pump();
  ASSERT_EQ(messages_sent().size(), 5u);
  EXPECT_EQ(sent(messages_sent().back()).body(), "stuck");
  answer(messages_sent().back(), 200);
  EXPECT_EQ(store_.removed, (std::vector<std::uint64_t>{next, stuck}));
}

TEST_F(OfflineDeliveryTest, AMessageEveryDeviceRefusesForGoodIsDroppedAndTheNextOneGoes) {
  const auto refused = store_.add(kBob, "cannot render this");
  store_.add(kBob, "plain text");
  delivery_->user_reachable(kBob, {kPhone, kLaptop});
  pump();
  auto requests = messages_sent();
  ASSERT_EQ(requests.size(), 2u);
  answer(requests[0], 415);
  answer(requests[1], 603);
  EXPECT_EQ(delivery_->counters().refused, 1u);
  EXPECT_EQ(delivery_->counters().failures, 0u);  // no back-off: nothing would change
  EXPECT_EQ(store_.removed, (std::vector<std::uint64_t>{refused}));
  pump();
  requests = messages_sent();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(sent(requests[2]).body(), "plain text");
}

TEST_F(OfflineDeliveryTest, OneDeviceAwayKeepsTheMessageForARetry) {
  std::vector<DeliveryRefusal> reported;
  delivery_->set_refusal_report([&](const DeliveryRefusal& refusal) { reported.push_back(refusal); });
  store_.add(kBob, "one");
  delivery_->user_reachable(kBob, {kPhone, kLaptop});
  pump();
  auto requests = messages_sent();
  ASSERT_EQ(requests.size(), 2u);
  answer(requests[0], 415);
  answer(requests[1], 480);
  EXPECT_EQ(delivery_->counters().refused, 0u);
  EXPECT_EQ(delivery_->counters().failures, 1u);
  EXPECT_TRUE(store_.removed.empty());
  EXPECT_TRUE(reported.empty());  // kept for a retry: nothing was lost, nothing to report
}

// The sender got 202 long ago: dropping after a definitive refusal is reported (the server logs
// it) with the message's id and the refusal, never silent.
TEST_F(OfflineDeliveryTest, ADefinitiveRefusalIsReportedWithTheIdAndStatus) {
  std::vector<std::pair<std::uint64_t, int>> reported;
  delivery_->set_refusal_report([&](const DeliveryRefusal& refusal) {
    EXPECT_EQ(refusal.aor, kBob);
    reported.emplace_back(refusal.id, refusal.status);
  });
  const auto refused = store_.add(kBob, "gzip the device cannot take");
  delivery_->user_reachable(kBob, {kPhone});
  pump();
  const auto requests = messages_sent();
  ASSERT_EQ(requests.size(), 1u);
  answer(requests[0], 415);
  EXPECT_EQ(reported, (std::vector<std::pair<std::uint64_t, int>>{{refused, 415}}));
  EXPECT_EQ(store_.removed, (std::vector<std::uint64_t>{refused}));
}

TEST_F(OfflineDeliveryTest, RetryWithoutBindingsEndsTheRun) {
  store_.add(kBob, "one");
  delivery_->user_reachable(kBob, {kPhone});
  pump();
  ASSERT_EQ(messages_sent().size(), 1u);
  answer(messages_sent()[0], 480);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (delivery_->active_runs() != 0 && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(delivery_->active_runs(), 0u);
  EXPECT_FALSE(claims_.claimed(kBob));
  EXPECT_EQ(messages_sent().size(), 1u);
  EXPECT_EQ(store_.messages.size(), 1u);  // still stored for the next REGISTER
}

TEST_F(OfflineDeliveryTest, RegisteringDuringTheBackOffRetriesAtOnce) {
  store_.add(kBob, "one");
  delivery_->user_reachable(kBob, {kPhone});
  pump();
  answer(messages_sent()[0], 408);
  EXPECT_EQ(delivery_->counters().failures, 1u);
  delivery_->user_reachable(kBob, {kLaptop});
  pump();
  ASSERT_EQ(messages_sent().size(), 2u);
  EXPECT_EQ(transport_.sent[messages_sent()[1]].to, endpoint("192.0.2.21", 5090));
  answer(messages_sent()[1], 200);
  EXPECT_EQ(store_.removed.size(), 1u);
  // The cancelled back-off timer sends nothing more.
  io_.restart();
  io_.run_for(kFirstRetry * 3);
  EXPECT_EQ(messages_sent().size(), 2u);
}

TEST_F(OfflineDeliveryTest, OneRunPerAorAcrossWorkers) {
  other_ = make_delivery();  // a second worker, sharing the claims
  store_.add(kBob, "one");
  delivery_->user_reachable(kBob, {kPhone});
  other_->user_reachable(kBob, {kPhone});
  delivery_->user_reachable(kBob, {kPhone});  // a refresh on the same worker
  pump();
  EXPECT_EQ(store_.fetches, 1);
  ASSERT_EQ(messages_sent().size(), 1u);
  EXPECT_EQ(delivery_->active_runs() + other_->active_runs(), 1u);
  answer(messages_sent()[0], 200);
  pump();
  EXPECT_EQ(store_.removed.size(), 1u);
  EXPECT_FALSE(claims_.claimed(kBob));

  // Once released, the other worker may run the next time.
  store_.add(kBob, "two");
  other_->user_reachable(kBob, {kPhone});
  pump();
  EXPECT_EQ(messages_sent().size(), 2u);
  EXPECT_EQ(other_->active_runs(), 1u);
}

TEST_F(OfflineDeliveryTest, ForeignTransactionsAreNotClaimed) {
  auto request = sip::Message::parse(testing::message_request());
  ASSERT_TRUE(request);
  EXPECT_FALSE(delivery_->on_client_failure(txn::ClientTransactionId{7, 7}, 408));
  EXPECT_FALSE(delivery_->on_response(txn::ClientTransactionId{7, 7}, *request));
}

TEST(DeliveryClaims, ClaimAndRelease) {
  DeliveryClaims claims;
  EXPECT_TRUE(claims.try_claim("sip:a@x"));
  EXPECT_FALSE(claims.try_claim("sip:a@x"));
  EXPECT_TRUE(claims.try_claim("sip:b@x"));
  claims.release("sip:a@x");
  EXPECT_FALSE(claims.claimed("sip:a@x"));
  EXPECT_TRUE(claims.try_claim("sip:a@x"));
}

// Stored messages follow the same rule as calls (registrar/binding_hop.hpp), and a hop that
// reaches nobody passes the message to the binding's next one.
const store::Binding kTcpPhone = binding("sip:bob@192.0.2.50:5090;transport=tcp", "tcp:192.0.2.20:40001");

TEST_F(OfflineDeliveryTest, TcpBindingWhoseConnectionClosedIsReachedAtItsContact) {
  store_.add(kBob, "one", 1'700'000'001);
  delivery_->user_reachable(kBob, {kTcpPhone});
  pump();
  const auto requests = messages_sent();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(transport_.sent[requests[0]].to, endpoint("192.0.2.50", 5090));
}

TEST_F(OfflineDeliveryTest, AFailedConnectionPassesTheMessageToTheContact) {
  flow_open_ = true;
  store_.add(kBob, "one", 1'700'000'001);
  delivery_->user_reachable(kBob, {kTcpPhone});
  pump();
  ASSERT_EQ(messages_sent().size(), 1u);
  EXPECT_EQ(transport_.sent[messages_sent()[0]].to, endpoint("192.0.2.20", 40001));  // its own connection
  EXPECT_EQ(transport_.sent[messages_sent()[0]].reuse, net::ConnectionReuse::peer_flow);
  table_.on_connection_closed(transport_.last_connection);
  pump();
  ASSERT_EQ(messages_sent().size(), 2u);
  EXPECT_EQ(transport_.sent[messages_sent()[1]].to, endpoint("192.0.2.50", 5090));
  EXPECT_EQ(transport_.sent[messages_sent()[1]].reuse, net::ConnectionReuse::outbound_only);
  EXPECT_EQ(delivery_->counters().failures, 0u);
  answer(messages_sent()[1], 200);
  EXPECT_EQ(delivery_->counters().delivered, 1u);
  EXPECT_EQ(store_.removed.size(), 1u);
}

// RFC 5923 §5, §11: a stored MESSAGE for a binding registered over UDP whose Contact names
// another device's open TCP connection may not be written into that connection.
TEST_F(OfflineDeliveryTest, AContactNamingAnotherDevicesConnectionMayNotUseIt) {
  flow_open_ = true;  // every stream connection the test asks about is open
  store_.add(kBob, "one", 1'700'000'001);
  delivery_->user_reachable(kBob, {binding("sip:bob@192.0.2.20:40001;transport=tcp", "udp:192.0.2.30:5060")});
  pump();
  ASSERT_EQ(messages_sent().size(), 1u);
  EXPECT_EQ(transport_.sent[messages_sent()[0]].to, endpoint("192.0.2.20", 40001));
  EXPECT_EQ(transport_.sent[messages_sent()[0]].reuse, net::ConnectionReuse::outbound_only);
}

TEST_F(OfflineDeliveryTest, AMessageEveryHopFailsStaysStored) {
  flow_open_ = true;
  store_.add(kBob, "one", 1'700'000'001);
  delivery_->user_reachable(kBob, {kTcpPhone});
  pump();
  table_.on_connection_closed(transport_.last_connection);
  pump();
  ASSERT_EQ(messages_sent().size(), 2u);
  table_.on_connection_closed(transport_.last_connection);
  pump();
  EXPECT_EQ(messages_sent().size(), 2u);
  EXPECT_EQ(delivery_->counters().failures, 1u);  // waiting for the back-off
  EXPECT_TRUE(store_.removed.empty());
  EXPECT_EQ(delivery_->counters().refused, 0u);
}

TEST_F(OfflineDeliveryTest, ARefusedAddressGetsNothingAndIsNotRetried) {
  // A Contact naming osprey itself or the gateway (DeliveryRouting::refused).
  store_.add(kBob, "one", 1'700'000'001);
  delivery_->user_reachable(kBob, {binding("sip:bob@192.0.2.99:5060", "udp:192.0.2.99:5070")});
  pump();
  EXPECT_TRUE(messages_sent().empty());
  EXPECT_EQ(delivery_->counters().refused, 1u);  // dropped as refused for good, not retried
}

// RFC 3263 §4.3: a hop's name may give several addresses; each is tried (osprey's refused
// ones never) before the hop counts as failed, those that failed a moment ago last.
TEST_F(OfflineDeliveryTest, EveryAddressOfAHopIsTriedBeforeTheHopFails) {
  const net::Endpoint first = endpoint("192.0.2.51", 5080);
  const net::Endpoint second = endpoint("192.0.2.52", 5080);
  names_["phone.test"] = {endpoint("192.0.2.99", 5060), first, second};
  transport_.unreachable = {first};
  store_.add(kBob, "one", 1'700'000'001);
  store_.add(kBob, "two", 1'700'000'002);
  delivery_->user_reachable(kBob, {binding("sip:bob@phone.test:5080", "udp:192.0.2.20:5080")});
  run_until_sent(1);
  ASSERT_EQ(messages_sent().size(), 1u);
  EXPECT_EQ(transport_.sent[messages_sent()[0]].to, second);
  EXPECT_TRUE(blocklist_.contains(net::Protocol::udp, first));
  transport_.unreachable.clear();
  answer(messages_sent()[0], 200);
  EXPECT_EQ(store_.removed.size(), 1u);
  // The next message: the listed address last; a 503 from the other passes it on.
  run_until_sent(2);
  ASSERT_EQ(messages_sent().size(), 2u);
  EXPECT_EQ(transport_.sent[messages_sent()[1]].to, second);
  answer(messages_sent()[1], 503);
  ASSERT_EQ(messages_sent().size(), 3u);
  EXPECT_EQ(transport_.sent[messages_sent()[2]].to, first);
  answer(messages_sent()[2], 200);
  EXPECT_EQ(store_.removed.size(), 2u);
  EXPECT_EQ(delivery_->counters().failures, 0u);
}

}  // namespace
}  // namespace osprey::im

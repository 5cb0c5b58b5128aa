#include "im/store_and_forward.hpp"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "im/fake_message_store.hpp"
#include "im/im_test_support.hpp"

namespace osprey::im {
namespace {

using testing::FakeMessageStore;
using testing::kBob;
using testing::message_request;

constexpr std::int64_t kNow = 1'700'000'000;

class OfflineMessagesTest : public ::testing::Test {
 protected:
  OfflineMessagesTest()
      : table_(transport_, user_, {}, txn::Clock::now()),
        offline_(
            io_, table_, store_, [] { return kNow; }, [this] { return "tag" + std::to_string(++tags_); },
            ImLimits{.max_body_bytes = 100}) {
    user_.request = [this](txn::ServerTransactionId t, const sip::Message& request) {
      taken_ = offline_.take(t, request, kBob);
    };
  }

  // Runs what is ready (posted store callbacks, resolver answers). poll() leaves the context
  // stopped once out of work, hence the restart.
  void pump() {
    io_.restart();
    io_.poll();
  }

  void send(const std::string& text) { testing::feed(table_, text, testing::endpoint("192.0.2.9", 5070)); }

  sip::Message last() {
    EXPECT_FALSE(transport_.sent.empty());
    auto message = transport_.parsed(transport_.sent.size() - 1);
    EXPECT_TRUE(message);
    return std::move(*message);
  }

  boost::asio::io_context io_;
  testing::RecordingTransport transport_;
  testing::ForwardingUser user_;
  FakeMessageStore store_;
  txn::TransactionTable table_;
  int tags_ = 0;
  OfflineMessages offline_;
  std::optional<bool> taken_;
};

TEST_F(OfflineMessagesTest, Answers202OnlyOnceDurable) {
  send(message_request("text/plain;charset=UTF-8", "see you"));
  ASSERT_EQ(taken_, true);
  ASSERT_EQ(store_.messages.size(), 1u);
  const store::StoredMessage& stored = store_.messages.begin()->second;
  EXPECT_EQ(stored.aor, kBob);
  EXPECT_EQ(stored.body, "see you");
  EXPECT_EQ(stored.submitted_at, kNow);

  pump();
  EXPECT_TRUE(transport_.sent.empty());  // not durable yet: no answer
  ASSERT_TRUE(store_.make_durable(true));
  EXPECT_TRUE(transport_.sent.empty());  // posted to the worker, not sent from the store's thread
  pump();
  ASSERT_EQ(transport_.sent.size(), 1u);
  const sip::Message answer = last();
  EXPECT_EQ(answer.status(), 202);
  ASSERT_TRUE(answer.to());
  EXPECT_FALSE(answer.to()->tag().empty());
  EXPECT_EQ(offline_.counters().accepted, 1u);
}

TEST_F(OfflineMessagesTest, FailedWriteGets500) {
  send(message_request());
  ASSERT_TRUE(store_.make_durable(false));
  pump();
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 500);
  EXPECT_EQ(offline_.counters().failed, 1u);
}

TEST_F(OfflineMessagesTest, OverCountQuotaGets486WithReason) {
  store_.refusal = store::StoreRefusal::over_message_quota;
  send(message_request());
  EXPECT_EQ(taken_, true);
  ASSERT_EQ(transport_.sent.size(), 1u);
  const sip::Message answer = last();
  EXPECT_EQ(answer.status(), 486);
  EXPECT_NE(answer.reason().find("quota"), std::string_view::npos);
  EXPECT_FALSE(answer.to()->tag().empty());
}

TEST_F(OfflineMessagesTest, OverByteQuotaGets507WithReason) {
  store_.refusal = store::StoreRefusal::over_byte_quota;
  send(message_request());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 507);
  EXPECT_NE(last().reason().find("quota"), std::string_view::npos);
}

TEST_F(OfflineMessagesTest, ClosedStoreGets503WithRetryAfter) {
  store_.refusal = store::StoreRefusal::closed;
  send(message_request());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 503);
  EXPECT_EQ(last().first_value(sip::HeaderId::retry_after), std::to_string(kClosedRetryAfterSeconds));
}

TEST_F(OfflineMessagesTest, OversizeBodyGets413AndIsNotStored) {
  send(message_request("text/plain", std::string(101, 'x')));
  EXPECT_EQ(taken_, true);
  EXPECT_TRUE(store_.messages.empty());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 413);
}

TEST_F(OfflineMessagesTest, UnknownRequireGets420WithUnsupportedAndIsNotStored) {
  std::string text = message_request("text/plain", "hi");
  text.replace(text.find("Content-Type:"), 0, "Require: no-such-extension\r\n");
  send(text);
  EXPECT_EQ(taken_, true);
  EXPECT_TRUE(store_.messages.empty());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 420);
  EXPECT_EQ(last().first_value(sip::HeaderId::unsupported), "no-such-extension");
}

TEST_F(OfflineMessagesTest, TypingNotificationIsNotTaken) {
  send(message_request("application/im-iscomposing+xml", "<isComposing/>"));
  EXPECT_EQ(taken_, false);
  EXPECT_TRUE(store_.messages.empty());
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(OfflineMessagesTest, InDialogMessageIsNotTaken) {
  send(message_request("text/plain", "hi", ";tag=dialog1"));
  EXPECT_EQ(taken_, false);
  EXPECT_TRUE(store_.messages.empty());
}

TEST_F(OfflineMessagesTest, OtherMethodsAreNotTaken) {
  std::string text = message_request();
  text.replace(0, 7, "OPTIONS");
  text.replace(text.find("1 MESSAGE"), 9, "1 OPTIONS");
  send(text);
  EXPECT_EQ(taken_, false);
}

TEST_F(OfflineMessagesTest, DurableCallbackAfterDestructionIsHarmless) {
  auto offline = std::make_unique<OfflineMessages>(
      io_, table_, store_, [] { return kNow; }, [] { return std::string("t"); });
  user_.request = [&](txn::ServerTransactionId t, const sip::Message& request) {
    offline->take(t, request, kBob);
  };
  send(message_request());
  offline.reset();
  ASSERT_TRUE(store_.make_durable(true));
  pump();
  EXPECT_TRUE(transport_.sent.empty());
}

}  // namespace
}  // namespace osprey::im

#include "im/store_and_forward.hpp"

#include <algorithm>
#include <optional>
#include <span>
#include <string>

#include <gtest/gtest.h>

#include "im/end_to_end_headers.hpp"
#include "im/fake_message_store.hpp"
#include "im/im_test_support.hpp"

namespace osprey::im {
namespace {

using testing::FakeMessageStore;
using testing::kBob;
using testing::message_request;

constexpr std::int64_t kNow = 1'700'000'000;

// Only what the intake asks a user store: whether accounts exist and whether an AOR is one.
class AccountList : public store::UserStore {
 public:
  std::vector<std::string> aors;
  std::optional<store::Account> find(std::string_view, std::string_view) const override { return {}; }
  bool has_aor(std::string_view aor) const override {
    return std::find(aors.begin(), aors.end(), aor) != aors.end();
  }
  std::size_t size() const override { return aors.size(); }
  tl::expected<bool, std::string> reload_if_changed() override { return false; }
  tl::expected<void, std::string> add(std::string_view, const store::Ha1Set&) override { return {}; }
  tl::expected<void, std::string> set_credentials(std::string_view, const store::Ha1Set&) override {
    return {};
  }
  tl::expected<void, std::string> remove(std::string_view) override { return {}; }
  tl::expected<void, std::string> add_many(std::span<const std::pair<std::string, store::Ha1Set>>) override {
    return {};
  }
  tl::expected<std::vector<store::Account>, std::string> list() override {
    return std::vector<store::Account>{};
  }
};

class OfflineMessagesTest : public ::testing::Test {
 protected:
  OfflineMessagesTest()
      : table_(transport_, user_, {}, txn::Clock::now()),
        offline_(
            io_, table_, store_, [] { return kNow; }, [this] { return "tag" + std::to_string(++tags_); },
            ImLimits{.max_body_bytes = 100}, &users_) {
    user_.request = [this](txn::ServerTransactionId t, const sip::Message& request) {
      taken_ = offline_.take(t, request, kBob, sender_identity_);
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
  AccountList users_;            // empty: an open server, no accounts
  std::string sender_identity_;  // empty: the sender did not authenticate
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

// The stored headers are bounded on their own: a MESSAGE padded with end-to-end headers is
// refused (513) before anything is promised, not stored with some of them cut off.
TEST_F(OfflineMessagesTest, EndToEndHeadersBeyondTheBoundGet513AndAreNotStored) {
  std::string padding;  // lines of 1000 bytes: each within the parser's line limit
  for (std::size_t i = 0; i * 1000 <= kMaxStoredHeaderBytes; ++i)
    padding += "\r\nX-Pad: " + std::string(990, 'p');
  send(message_request("text/plain" + padding, "hi"));
  EXPECT_EQ(taken_, true);
  EXPECT_TRUE(store_.messages.empty());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 513);
}

TEST_F(OfflineMessagesTest, EndToEndHeadersAreStoredWithTheMessage) {
  send(message_request("text/plain\r\nSubject: lunch\r\nContent-Encoding: gzip", "hi"));
  pump();
  ASSERT_EQ(store_.messages.size(), 1u);
  EXPECT_EQ(store_.messages.begin()->second.headers, "Subject: lunch\r\nContent-Encoding: gzip\r\n");
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
    offline->take(t, request, kBob, {});
  };
  send(message_request());
  offline.reset();
  ASSERT_TRUE(store_.make_durable(true));
  pump();
  EXPECT_TRUE(transport_.sent.empty());
}

}  // namespace
}  // namespace osprey::im

namespace osprey::im {
namespace {

// With accounts, a sender who did not authenticate is an outsider: its message is marked so,
// with the sender's From AOR as the per-sender quota's key (the store then counts it against
// the outsiders' budget, never the account holders').
TEST_F(OfflineMessagesTest, UnauthenticatedSenderIsStoredAsAnOutsider) {
  users_.aors = {kBob, "sip:alice@example.com"};
  send(message_request());
  ASSERT_EQ(taken_, true);
  ASSERT_EQ(store_.messages.size(), 1u);
  const store::StoredMessage& stored = store_.messages.begin()->second;
  EXPECT_TRUE(stored.from_outsider);
  EXPECT_EQ(stored.sender, "sip:alice@example.com");
}

TEST_F(OfflineMessagesTest, AuthenticatedAccountHolderIsNotAnOutsider) {
  users_.aors = {kBob, "sip:alice@example.com"};
  sender_identity_ = "sip:alice@example.com";
  send(message_request());
  ASSERT_EQ(store_.messages.size(), 1u);
  EXPECT_FALSE(store_.messages.begin()->second.from_outsider);
  EXPECT_EQ(store_.messages.begin()->second.sender, "");
}

// An open server (no accounts) has nobody to authenticate: everyone counts as before.
TEST_F(OfflineMessagesTest, WithoutAccountsNobodyIsAnOutsider) {
  send(message_request());
  ASSERT_EQ(store_.messages.size(), 1u);
  EXPECT_FALSE(store_.messages.begin()->second.from_outsider);
}

// Belt and braces behind the proxy's own 404: with accounts, mail is never kept for an AOR
// that has none.
TEST_F(OfflineMessagesTest, AorWithoutAnAccountGets404AndIsNotStored) {
  users_.aors = {"sip:carol@example.com"};
  sender_identity_ = "sip:carol@example.com";
  send(message_request());
  EXPECT_EQ(taken_, true);
  EXPECT_TRUE(store_.messages.empty());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 404);
  EXPECT_EQ(offline_.counters().no_account, 1u);
}

TEST_F(OfflineMessagesTest, OverSenderQuotaGets486NamingTheSender) {
  store_.refusal = store::StoreRefusal::over_sender_quota;
  send(message_request());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 486);
  EXPECT_EQ(last().reason(), "Busy Here (too many messages from you)");
  EXPECT_EQ(offline_.counters().over_quota, 1u);
}

}  // namespace
}  // namespace osprey::im

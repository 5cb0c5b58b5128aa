#pragma once
// Store-and-forward intake (RFC 3428 §7 leaves offline delivery to the server): a
// MESSAGE to a served user that cannot be delivered now is written to the durable message store
// and answered 202 Accepted, and only once the write is committed, so that "kill -9 at any
// moment loses no message that got a 202". One per worker: it answers on the worker's
// transaction table, which is single-threaded, so every store callback is posted back to the
// worker's io_context first.
//
// Answers (documented choices; the requirement is "486 or 507-style rejection with a reason"):
//   stored and durable           202 Accepted (RFC 3428 §7: accepted, not yet delivered)
//   write failed                 500 Server Internal Error (nothing was kept: no promise)
//   over the count quota         486 Busy Here, reason "Busy Here (message quota full)": the
//                                user has too many unread messages, a state of the user (§21.4.24)
//   over the per-sender quota    486 Busy Here, reason "Busy Here (too many messages from you)":
//                                an outsider has enough waiting for this user already
//   no such account              404 Not Found (when accounts exist: never keep mail for nobody)
//   over the byte quota          507 Insufficient Storage, reason naming the byte quota: too
//                                much data, the storage meaning of 507 (RFC 4918 §11.5 style)
//   store closed (shutting down) 503 Service Unavailable + Retry-After (RFC 3261 §21.5.4)
//   body over ImLimits           413 Request Entity Too Large (RFC 3428 §7, RFC 3261 §21.4.11)

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "im/message_rules.hpp"
#include "sip/message.hpp"
#include "store/message_store.hpp"
#include "store/user_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::im {

struct OfflineCounters {
  std::uint64_t taken = 0;       // MESSAGEs handed to the store
  std::uint64_t accepted = 0;    // 202 sent (durable)
  std::uint64_t over_quota = 0;  // 486 / 507
  std::uint64_t no_account = 0;  // 404: no account for the AOR
  std::uint64_t too_large = 0;   // 413 (body), or 513 (end-to-end headers beyond kMaxStoredHeaderBytes)
  std::uint64_t failed = 0;      // 500 (write failed) / 503 (store closed)
  std::uint64_t withdrawn = 0;   // stored, then delivered by a late branch after all
};

// Who may fill a box: a sender that authenticated as an account holder counts against the
// user's full quota; any other sender (a peer of another domain, anyone unauthenticated) is an
// outsider and counts against the outsiders' smaller budget and a per-sender quota (see
// store::MessageLimits), so strangers cannot lock a user's box against the user's own
// correspondents. With no accounts at all (an open server) nobody can authenticate, and every
// sender counts against the full quota, as before there were outsiders.

// Seconds a sender is told to wait when the store is closed (a restart is under way).
inline constexpr int kClosedRetryAfterSeconds = 30;

class OfflineMessages {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch (submission time)
  using NewTag = std::function<std::string()>;  // To tags of our answers

  OfflineMessages(boost::asio::io_context& io_context, txn::TransactionTable& table,
                  store::MessageStore& store, Clock clock, NewTag new_tag, ImLimits limits = {},
                  const store::UserStore* users = nullptr);
  OfflineMessages(const OfflineMessages&) = delete;
  OfflineMessages& operator=(const OfflineMessages&) = delete;

  // Called by the proxy for a MESSAGE to served user `aor` (canonical AOR) that cannot be
  // delivered now: no binding, or every branch ended 408/480/503/transport error. False when it
  // is not taken and the caller answers itself (480): not a MESSAGE, inside a dialog (To tag:
  // RFC 3428 §4, there is no dialog to keep it for), or a typing notification (RFC 3994: stale
  // once late). True when this object answers the transaction (now, or once the store reports).
  // `sender_identity`: the AOR the sender authenticated as, an account holder here; empty for
  // an outsider (see above).
  // `stored_id`: when given, set to the id of the stored message (0 when nothing was stored).
  bool take(txn::ServerTransactionId transaction, const sip::Message& request, std::string_view aor,
            std::string_view sender_identity, std::uint64_t* stored_id = nullptr);
  // A message take() stored reached its user after all (a branch still running answered 2xx):
  // it leaves the store, so the user does not get it a second time.
  void withdraw(std::uint64_t stored_id);

  const OfflineCounters& counters() const { return counters_; }

 private:
  using HeaderList = std::vector<std::pair<std::string, std::string>>;
  void answer_now(txn::ServerTransactionId transaction, const sip::Message& request, int status,
                  std::string_view reason, const HeaderList& headers = {});
  // Answers and returns true when the request cannot be stored at all: no account for `aor`,
  // an unsupported Require (RFC 3261 §8.2.2.3) or a body over the limits.
  bool refused_before_store(txn::ServerTransactionId transaction, const sip::Message& request,
                            std::string_view aor, bool accounts_exist);
  // Hands `message` to the store; the 202 (or 500) is sent once the store says it is on disk
  // or is not (RFC 3428 §7: a 2xx promises delivery).
  tl::expected<std::uint64_t, store::StoreRefusal> store_answering_when_durable(
      txn::ServerTransactionId transaction, const sip::Message& request, store::StoredMessage message);
  // The answer to a message the store refused: over a quota, or closed.
  void answer_refusal(txn::ServerTransactionId transaction, const sip::Message& request,
                      store::StoreRefusal refusal);

  boost::asio::io_context& io_context_;
  txn::TransactionTable& table_;
  store::MessageStore& store_;
  Clock clock_;
  NewTag new_tag_;
  ImLimits limits_;
  const store::UserStore* users_;  // nullptr: no accounts (an open server)
  OfflineCounters counters_;
  // Store callbacks posted to the worker check it: they may run after this object is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace osprey::im

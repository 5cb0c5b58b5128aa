#include "im/store_and_forward.hpp"

#include <boost/asio/post.hpp>

#include "im/end_to_end_headers.hpp"
#include "sip/aor.hpp"
#include "sip/builder.hpp"
#include "sip/validation.hpp"

namespace osprey::im {

OfflineMessages::OfflineMessages(boost::asio::io_context& io_context, txn::TransactionTable& table,
                                 store::MessageStore& store, Clock clock, NewTag new_tag, ImLimits limits,
                                 const store::UserStore* users)
    : io_context_(io_context),
      table_(table),
      store_(store),
      clock_(std::move(clock)),
      new_tag_(std::move(new_tag)),
      limits_(limits),
      users_(users) {}

void OfflineMessages::answer_now(txn::ServerTransactionId transaction, const sip::Message& request,
                                 int status, std::string_view reason, const HeaderList& headers) {
  const std::string tag = new_tag_();
  auto builder = sip::MessageBuilder::response_to(request, status, reason, tag);
  for (const auto& [name, value] : headers) builder.header(name, value);
  table_.respond(transaction, std::move(builder).serialize(), status, tag);
}

void OfflineMessages::withdraw(std::uint64_t stored_id) {
  ++counters_.withdrawn;
  store_.remove(stored_id, {});
}

bool OfflineMessages::take(txn::ServerTransactionId transaction, const sip::Message& request,
                           std::string_view aor, std::string_view sender_identity, std::uint64_t* stored_id) {
  if (stored_id != nullptr) *stored_id = 0;
  if (request.method() != sip::Method::message) return false;
  if (request.to() && !request.to()->tag().empty()) return false;
  if (is_typing_notification(request)) return false;

  const bool accounts_exist = users_ != nullptr && users_->size() > 0;
  if (refused_before_store(transaction, request, aor, accounts_exist)) return true;

  store::StoredMessage message = stored_from(request, aor, clock_());
  if (message.headers.size() > kMaxStoredHeaderBytes) {
    // Refused before the store: nothing was promised, and the sender learns why.
    ++counters_.too_large;
    answer_now(transaction, request, 513, "Message Too Large (headers)");
    return true;
  }
  ++counters_.taken;
  if (accounts_exist && sender_identity.empty()) {
    message.from_outsider = true;
    // The From URI is the outsider's own claim: it keys the per-sender quota, while the
    // outsiders' budget bounds what any number of claimed senders can take.
    if (request.from()) message.sender = sip::account_aor(request.from()->uri);
  }
  auto stored = store_answering_when_durable(transaction, request, std::move(message));
  if (stored) {
    if (stored_id != nullptr) *stored_id = *stored;
  } else {
    answer_refusal(transaction, request, stored.error());
  }
  return true;
}

bool OfflineMessages::refused_before_store(txn::ServerTransactionId transaction, const sip::Message& request,
                                           std::string_view aor, bool accounts_exist) {
  // The proxy answers 404 for users with no account before it gets here; the store path refuses
  // on its own too, so no caller can make it keep mail for an AOR nobody owns.
  if (accounts_exist && !users_->has_aor(aor)) {
    ++counters_.no_account;
    answer_now(transaction, request, 404, "Not Found");
    return true;
  }
  // Storing it, osprey answers as the UAS (RFC 3428 §7): a Require it does not implement gets
  // 420 with Unsupported (RFC 3261 §8.2.2.3), as the recipient's own UA would answer.
  if (auto unsupported = sip::check_request(request, {sip::Role::uas, {}})) {
    answer_now(transaction, request, unsupported->status, unsupported->reason, unsupported->headers);
    return true;
  }
  if (auto rejection = check_message(request, limits_)) {
    ++counters_.too_large;
    answer_now(transaction, request, rejection->status, rejection->reason);
    return true;
  }
  return false;
}

tl::expected<std::uint64_t, store::StoreRefusal> OfflineMessages::store_answering_when_durable(
    txn::ServerTransactionId transaction, const sip::Message& request, store::StoredMessage message) {
  // Both possible answers are built now, while the request is at hand; the store's callback
  // only picks one and sends it.
  const std::string tag = new_tag_();
  struct Answers {
    std::string accepted;
    std::string failed;
  };
  auto answers =
      std::make_shared<Answers>(Answers{sip::MessageBuilder::response_to(request, 202, {}, tag).serialize(),
                                        sip::MessageBuilder::response_to(request, 500, {}, tag).serialize()});
  std::weak_ptr<bool> alive = alive_;
  boost::asio::io_context& worker = io_context_;
  return store_.store(std::move(message), [this, &worker, alive, transaction, answers, tag](bool ok) {
    // The store's writer thread: the table belongs to the worker, so the answer
    // goes there. Only the io_context is touched here; `this` only once back on
    // the worker, if still alive.
    boost::asio::post(worker, [this, alive, transaction, answers, tag, ok] {
      if (alive.expired()) return;
      if (ok) {
        ++counters_.accepted;
        table_.respond(transaction, std::move(answers->accepted), 202, tag);
      } else {
        // Not durable: a 202 would promise what a kill -9 could break.
        ++counters_.failed;
        table_.respond(transaction, std::move(answers->failed), 500, tag);
      }
    });
  });
}

void OfflineMessages::answer_refusal(txn::ServerTransactionId transaction, const sip::Message& request,
                                     store::StoreRefusal refusal) {
  switch (refusal) {
    case store::StoreRefusal::over_message_quota:
      ++counters_.over_quota;
      answer_now(transaction, request, 486, "Busy Here (message quota full)");
      break;
    case store::StoreRefusal::over_sender_quota:
      ++counters_.over_quota;
      answer_now(transaction, request, 486, "Busy Here (too many messages from you)");
      break;
    case store::StoreRefusal::over_byte_quota:
      ++counters_.over_quota;
      answer_now(transaction, request, 507, "Insufficient Storage (message storage quota full)");
      break;
    case store::StoreRefusal::closed:
      ++counters_.failed;
      answer_now(transaction, request, 503, "Service Unavailable (message store closed)",
                 {{"Retry-After", std::to_string(kClosedRetryAfterSeconds)}});
      break;
  }
}

}  // namespace osprey::im

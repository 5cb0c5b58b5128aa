#pragma once
// The store of RFC 3428 store-and-forward: a MESSAGE to a user who cannot take it now
// is kept here and answered 202 Accepted only once it is durable; when the user next registers,
// the messages are fetched in arrival order, delivered, and removed one by one after each 2xx.
// "kill -9 at any moment loses no message that got a 202", and "a message is never delivered
// twice after its 2xx", so both store() and remove() report when they are on disk.
//
// An interface, as LocationStore is: SQLite is the default backend (SqliteMessageStore); Redis or
// PostgreSQL can follow. Every method may be called from any thread and none waits for a disk:
// writes are queued to the backend's own thread and their callbacks come from there.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace osprey::store {

struct StoredMessage {
  // Assigned by the store at store(): increasing, so id order is arrival order and the order in
  // which the messages are delivered ("delivered in the order they arrived").
  std::uint64_t id = 0;
  std::string aor;           // the recipient's canonical AOR ("sip:bob@example.com")
  std::string from;          // the From header value as received (name-addr with its tag)
  std::string to;            // the To header value as received
  std::string content_type;  // the Content-Type value ("" if none)
  std::string body;          // may be binary (message/cpim with an image, ...)
  // The other end-to-end headers of the original request (Subject, Content-Encoding...), as
  // "Name: value" lines each ending in CRLF (im/end_to_end_headers.hpp); "" if none, and for
  // messages stored before they were kept.
  std::string headers;
  // Seconds since the epoch: the Date header of the delivered MESSAGE, and what expiry counts from.
  std::int64_t submitted_at = 0;
  // Sent by someone who is not an authenticated account holder here (a peer of another domain,
  // or anyone who did not authenticate). Such messages have a quota of their own (MessageLimits),
  // so that strangers cannot fill a user's box against the user's own correspondents. Persisted,
  // so the quotas hold across a restart.
  bool from_outsider = false;
  // For an outsider: who sent it (the canonical From AOR), the key of the per-sender quota.
  // Empty for account holders.
  std::string sender;
};

// What a stored message counts against its recipient's byte quota: its body and its headers.
inline std::size_t stored_bytes(const StoredMessage& message) {
  return message.body.size() + message.headers.size();
}

// Store-and-forward limits: a per-user quota (count and bytes) and an expiry (default 7 days).
//
// Two budgets per recipient, each counting only its own messages: account holders' messages
// against max_messages/bytes_per_user, outsiders' against the smaller *_from_outsiders_ budget
// (and at most max_messages_per_outsider_sender from any one outsider). So outsiders, however
// many, can never take the room kept for account holders: a box they filled still takes every
// account holder's message up to the full quota. (Evicting outsider messages instead would drop
// messages already answered 202, breaking that promise.) A box may thus hold up to the sum.
struct MessageLimits {
  std::size_t max_messages_per_user = 1000;           // from account holders
  std::size_t max_bytes_per_user = 10 * 1024 * 1024;  // body and header bytes, from account holders
  std::size_t max_messages_from_outsiders_per_user = 100;
  std::size_t max_bytes_from_outsiders_per_user = 1024 * 1024;
  std::size_t max_messages_per_outsider_sender = 20;  // per sender AOR, per recipient
  std::int64_t max_age_seconds = 7 * 24 * 3600;       // older messages are dropped and counted
};

// Why store() refused a message; the caller answers the sender accordingly (over quota
// is a 486 or a 507-style rejection with a reason; closed means shutting down, a 503).
// over_message_quota and over_byte_quota apply to the budget the message counts against (the
// account holders' or the outsiders'); over_sender_quota: this outsider has too many waiting.
enum class StoreRefusal { over_message_quota, over_byte_quota, over_sender_quota, closed };

// For the admin API and metrics.
struct MessageStoreCounters {
  std::uint64_t stored = 0;          // messages whose write committed
  std::uint64_t delivered = 0;       // messages removed by remove() (after their 2xx)
  std::uint64_t expired = 0;         // messages dropped for age, at open and by expire()
  std::uint64_t refused = 0;         // store() calls refused (quota or closed)
  std::uint64_t write_failures = 0;  // stores and removals whose write failed
};

class MessageStore {
 public:
  using Durable = std::function<void(bool ok)>;
  using Sink = std::function<void(std::vector<StoredMessage> messages)>;

  virtual ~MessageStore() = default;

  // Checks the quota of `message.aor` (count and body bytes, counting messages still queued; the
  // outsiders' budget and per-sender quota when `message.from_outsider`),
  // assigns the id and queues the durable write. On refusal returns why and never calls
  // `durable`. Otherwise returns the id, and `durable(ok)` is called exactly once from the
  // store's thread: true once the message is committed (answer 202), false if the write failed
  // (the message is gone and its quota released).
  virtual tl::expected<std::uint64_t, StoreRefusal> store(StoredMessage message, Durable durable) = 0;

  // The messages of `aor` stored (durable or queued) and not removed or expired: a hash lookup,
  // cheap enough for every REGISTER to ask whether there is something to deliver.
  virtual std::size_t pending_count(std::string_view aor) const = 0;

  // Reads the oldest `limit` messages of `aor` in id order and calls `sink` with them from the
  // store's thread. Returns only committed messages, and sees every store() and remove() called
  // before it. After close(), or if the read fails, `sink` gets an empty list.
  virtual void fetch(std::string_view aor, std::size_t limit, Sink sink) = 0;

  // Deletes message `id` after its 2xx. It leaves pending_count() and fetch() at once; `done(ok)`
  // (may be empty) is called from the store's thread once the deletion is committed. Removing an
  // unknown id is harmless (done(true) once committed), so a failed removal can be retried.
  // After close(), `done(false)` is called at once on the calling thread.
  virtual void remove(std::uint64_t id, Durable done) = 0;

  // Drops every message submitted before `now - max_age_seconds`, in memory at once and in the
  // file behind; returns how many (counted as expired). Called periodically.
  virtual std::size_t expire(std::int64_t now) = 0;

  virtual MessageStoreCounters counters() const = 0;

  // Writes everything queued, calls its callbacks, and stops; later store() calls are refused
  // with `closed`. Idempotent; implementations call it from their destructor.
  virtual void close() = 0;
};

}  // namespace osprey::store

#pragma once
// osprey registering to a trunk that wants it (sbc::TrunkRegistration; RFC 3261 §10.2): a
// REGISTER client driven on one worker through that worker's txn::TransactionTable. The worker
// hands it the upcalls of its own transactions (on_response / on_client_failure return true for
// those) and its timer tick (advance).
//
//  - The first REGISTER goes at start(); each refresh at about half the granted expiry, read
//    from the 200's Contact expires, else its Expires (§10.2.4), never more than was asked.
//  - One Call-ID and one From tag for the life of the client, the CSeq increasing by one with
//    every REGISTER, refreshes included (§10.2.4: "the same Call-ID ... incremented CSeq").
//  - 401 / 407: answered once per realm with the trunk's credentials (TrunkChallengeAnswer,
//    fresh for each refresh); a realm challenged again is a failure, never a loop.
//  - 423 Interval Too Brief: the REGISTER again with the Min-Expires asked (§10.2.8, §21.4.17),
//    up to kMaxMinExpires: a trunk cannot make osprey register for a week.
//  - Failure (any other final, a timeout, a transport error, a peer that does not resolve): the
//    next attempt after TrunkRegistration::retry_after, doubled with each failure in a row up to
//    kMaxRetryDelay (or retry_after when that is longer); a 503's Retry-After is honoured when
//    longer (§21.5.4). Each attempt after a transport failure tries the next resolved address
//    (RFC 3263 §4.3).
//
// The peer is the trunk's `peer` URI, resolved through `resolve` before each attempt (the worker's
// net::TargetResolver, whose answers are cached); resolve_to() fixes it to one txn::Target.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/target_resolver.hpp"
#include "sbc/trunk.hpp"
#include "sbc/trunk_challenge_answer.hpp"
#include "security/digest_answer.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::sbc {

enum class TrunkRegistrationPhase : std::uint8_t {
  idle,         // not started, or stopped
  registering,  // the first REGISTER is on its way
  registered,   // the last attempt succeeded
  failing,      // the last attempt failed; retried at next_attempt
};

// What the server can report about one trunk's registration.
struct TrunkRegistrationStatus {
  TrunkRegistrationPhase phase = TrunkRegistrationPhase::idle;
  // The binding the trunk last granted lasts until then (kept while a refresh is failing: the
  // trunk still routes to osprey until it passes).
  std::optional<txn::TimePoint> registered_until;
  std::optional<txn::TimePoint> next_attempt;  // the next refresh or retry
  std::uint32_t granted_seconds = 0;           // what the last 200 granted
  int last_status = 0;                         // the last final status (408/503 for the table's); 0: none
  std::string last_failure;                    // why the last attempt failed, for the log
  std::uint32_t failures_in_a_row = 0;
};

class TrunkRegistrationClient {
 public:
  // Looks up where `peer` is (net::TargetResolver::resolve), calling `done` exactly once, on
  // the worker's thread (possibly before returning).
  using Resolve = std::function<void(const sip::Uri& peer, net::ResolveCallback done)>;

  static constexpr std::chrono::seconds kMaxRetryDelay{1800};
  static constexpr std::uint32_t kMaxMinExpires = 86400;
  static constexpr int kMaxIntervalTooBriefRounds = 2;

  // `trunk`'s registration settings, peer and credentials are copied. `contact`: osprey's own
  // address as the trunk must reach it (sip:osprey@203.0.113.5:5060), the REGISTER's Contact.
  // `table` outlives this client. `random`: Call-ID, From tag and cnonces.
  TrunkRegistrationClient(const Trunk& trunk, std::string contact, txn::TransactionTable& table,
                          Resolve resolve, security::CnonceSource random = security::random_cnonce);
  ~TrunkRegistrationClient();
  TrunkRegistrationClient(const TrunkRegistrationClient&) = delete;
  TrunkRegistrationClient& operator=(const TrunkRegistrationClient&) = delete;

  // A Resolve that always answers `target`.
  static Resolve resolve_to(txn::Target target);
  // The worker's resolver (RFC 3263), which outlives the client.
  static Resolve resolve_with(net::TargetResolver& resolver);

  // Sends the first REGISTER now (nothing when the trunk's registration is not enabled).
  void start(txn::TimePoint now);
  // Removes the binding (REGISTER with Expires: 0, §10.2.2) when one is held, and stops
  // refreshing. The answer still comes through on_response.
  void stop();

  // True when `transaction` is this client's REGISTER (the worker then looks no further).
  bool on_response(txn::ClientTransactionId transaction, const sip::Message& response);
  bool on_client_failure(txn::ClientTransactionId transaction, int status);
  // The worker's tick: refreshes and retries that are due.
  void advance(txn::TimePoint now);

  const TrunkRegistrationStatus& status() const { return status_; }
  const std::string& aor() const { return aor_; }
  const std::string& call_id() const { return call_id_; }

 private:
  void attempt();
  void on_resolved(tl::expected<net::ResolvedTarget, std::string> resolved);
  void send_register();
  void on_registered(const sip::Message& ok);
  void fail(int status, std::string why, std::chrono::seconds at_least = std::chrono::seconds(0));
  std::string register_text(std::uint32_t expires) const;

  TrunkRegistration settings_;
  std::optional<TrunkCredentials> credentials_;
  std::string peer_;
  std::string contact_;
  std::string aor_;
  std::string request_uri_;
  std::string configuration_error_;  // set: every attempt fails with it
  txn::TransactionTable& table_;
  Resolve resolve_;
  security::CnonceSource random_;
  std::string call_id_;
  std::string from_tag_;
  std::uint32_t cseq_ = 0;
  std::uint32_t requested_expires_ = 0;

  std::optional<TrunkChallengeAnswer> answer_;  // this attempt's
  int interval_too_brief_rounds_ = 0;
  std::optional<txn::ClientTransactionId> pending_;
  std::optional<txn::Target> target_;
  std::size_t hop_index_ = 0;
  bool resolving_ = false;
  bool stopping_ = false;
  bool pending_removal_ = false;  // the REGISTER in flight has Expires: 0
  txn::TimePoint now_{};
  TrunkRegistrationStatus status_;
  // Dropped with the client: a resolution answering later finds it gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace osprey::sbc

#pragma once
// One B2BUA call: its two legs (sbc/leg.hpp) and what glues them while the INVITE is pending.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sbc/leg.hpp"
#include "sbc/session_timer_negotiation.hpp"
#include "sbc/trunk_admission.hpp"
#include "sbc/trunk_challenge_answer.hpp"
#include "sbc/trunk_set.hpp"
#include "sip/message.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::sbc {

enum class CallState : std::uint8_t {
  routing,    // the callee leg's next hop is being resolved
  calling,    // the callee leg's INVITE is out
  confirmed,  // a 2xx went to the caller (§13.3.1.4): the call lives until BYE
};

// A handle on a call slot; a stale handle (the call ended, the slot reused) finds nothing.
struct CallRef {
  std::uint32_t index = UINT32_MAX;
  std::uint32_t generation = 0;
  friend bool operator==(const CallRef&, const CallRef&) = default;
};

struct Call {
  std::uint32_t generation = 0;
  bool in_use = false;
  CallState state = CallState::routing;
  Leg caller;
  Leg callee;
  txn::ServerTransactionId invite_server;
  std::optional<txn::ClientTransactionId> invite_client;
  // The caller's INVITE: every response to it is built from it (§8.2.6.2), and a failover
  // builds the next trunk's INVITE from it. Dropped once the caller ACKed the 2xx; boxed, so
  // that a confirmed call's slot does not keep a parsed message's room (about 1.7 KB).
  std::unique_ptr<sip::Message> invite;
  // A call from a trunk with rules in: the copy they edited, which the callee leg's INVITE is
  // built from. The caller's responses still come from `invite`, as received (§8.2.6.2).
  std::unique_ptr<sip::Message> ruled_invite;
  // The configuration the call started with (its Trunk pointers point into it).
  std::shared_ptr<const TrunkSet> trunk_set;
  // Toward trunks: the trunks still to try (RFC 3261 §16.7-like failover on 408, 5xx and
  // timeouts while nothing beyond 100 reached the caller), and the number they get.
  std::vector<const Trunk*> trunks;
  std::size_t next_trunk = 0;
  std::string number;
  // Toward one of our users: the hop of the binding (a URI to resolve) and whether it is that
  // binding's own flow.
  std::string hop_uri;
  bool hop_is_own_flow = false;
  // RFC 3891: the Replaces the callee leg's INVITE carries, in the callee's terms (an attended
  // transfer's second hop, sbc/referral_mapping.hpp); empty: none.
  std::string callee_replaces;
  bool provisional_sent = false;  // a 1xx beyond 100 reached the caller: no failover
  bool cancelled = false;         // the caller CANCELled: its INVITE ends 487
  bool final_sent = false;        // the caller's INVITE has its final response
  bool caller_acked = false;      // the caller's ACK for the 2xx came
  txn::TimePoint confirmed_at{};  // when the 2xx went to the caller (its ACK is due by 64*T1)
  // RFC 3261 §12.1: each early dialog of the callee leg (its To tag) gets a caller-leg To tag
  // of osprey's own: (callee tag, caller tag).
  std::vector<std::pair<std::string, std::string>> early_tags;
  // The ACK osprey sent on the callee leg, without Via, for the 2xx's retransmissions (§13.2.2.4).
  std::string callee_ack;
  // Toward a trunk with credentials: the INVITE as osprey built it (no Via), and the digest
  // answers to the trunk's 401/407 (RFC 3261 §22.2), per attempt.
  std::string callee_invite_text;
  std::optional<TrunkChallengeAnswer> challenge;
  // The admission of the trunk the call goes through (sbc/trunk_admission.hpp): its slot is
  // returned when the call is released, whichever way it ends.
  TrunkAdmission::Ticket admission;
  // RFC 4028 (sbc/session_timer*.hpp): the settings of the call's trunk (null: no timers); the
  // caller leg's terms as osprey answers its INVITE (§9), with the headers of that 2xx; the
  // callee leg's negotiation as UAC (§7), per attempt.
  const SessionTimerSettings* timer_settings = nullptr;
  std::optional<SessionTerms> caller_terms;
  TimerHeaders caller_timer_headers;
  std::optional<UacTimerNegotiation> callee_negotiation;
  const SessionTimerSettings* callee_timer_settings = nullptr;
  // In-dialog requests osprey sent on either leg and waits for (their client transactions).
  std::vector<txn::ClientTransactionId> pending;
};

}  // namespace osprey::sbc

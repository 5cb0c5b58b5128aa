#pragma once
// One leg of a B2BUA call: the dialog osprey holds with one peer (RFC 3261 §12), with its own
// Call-ID, tags, CSeq space, route set and remote target, and osprey's own Contact naming the
// leg by an unguessable id (sbc/leg_contact.hpp). Nothing of one leg is ever copied into the
// other: that is the topology hiding.

#include <cstdint>
#include <string>
#include <vector>

#include <optional>

#include "net/flow.hpp"
#include "sbc/session_timer.hpp"
#include "sbc/trunk.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::sbc {

// caller: the leg of the peer that sent the INVITE (osprey is its UAS); callee: the leg osprey
// built (osprey is its UAC).
enum class LegSide : std::uint8_t { caller, callee };

inline LegSide other_side(LegSide side) {
  return side == LegSide::caller ? LegSide::callee : LegSide::caller;
}

struct Leg {
  std::string leg_id;  // the capability in osprey's Contact on this leg
  std::string call_id;
  std::string local_tag;   // osprey's tag on this leg
  std::string remote_tag;  // the peer's (callee leg: the confirmed or latest early dialog's)
  // The name-addr (without tag) naming osprey / the peer on this leg: a request osprey sends
  // has From: local_uri;tag=local_tag and To: remote_uri;tag=remote_tag (§12.2.1.1).
  std::string local_uri;
  std::string remote_uri;
  std::string remote_target;           // the peer's Contact URI (§12.1, updated by target refreshes)
  std::vector<std::string> route_set;  // Route values, first hop first (§12.1.1, §12.1.2)
  std::string contact;                 // osprey's Contact header value on this leg
  std::uint32_t local_cseq = 0;        // the last CSeq number osprey used (§12.2.1.1)
  std::uint32_t remote_cseq = 0;       // the last one received, 0 before any (§12.2.2)
  // The callee leg: osprey's dialog-creating INVITE (its last attempt), for its ACK and RAck.
  // A re-INVITE's or session refresh's ACK takes that INVITE's own CSeq (B2bua::AnsweredInvite).
  std::uint32_t invite_cseq = 0;
  std::uint32_t remote_invite_cseq = 0;  // the peer's last INVITE on this leg: its ACK's CSeq
  // Where requests on this leg go: latched to where the peer is (the caller's own flow, the
  // trunk's address the INVITE went to), not to what its Contact claims.
  txn::Target peer;
  const Trunk* trunk = nullptr;  // the trunk at the far end of this leg, if any
  std::string user_aor;          // else the AOR of our user there, when known (authenticated)
  // RFC 4028 on this leg (its own interval and refresher); none: no session timer.
  std::optional<LegSessionTimer> timer;
  const SessionTimerSettings* timer_settings = nullptr;  // the trunk's, while `timer` runs
  // The last session description osprey sent on this leg (RFC 3264), for a re-INVITE refresh
  // that changes nothing (§8: the same version).
  std::string sdp;
  std::string sdp_type;
};

}  // namespace osprey::sbc

#pragma once
// Call transfer through the B2BUA (RFC 3515 REFER, RFC 3891 Replaces): a Refer-To or Replaces
// that arrives on one leg names dialogs and addresses of that side; before it leaves on the
// other leg it is rewritten to name what exists on the other side, so blind and attended
// transfers work and no internal address or Call-ID leaks. Pure: the B2BUA's dialog table and
// its choice of transfer target come in as callbacks.
//
// The tag rule (RFC 3891 §3): the UA that receives an INVITE with Replaces matches the dialog
// whose Call-ID is `call-id`, whose LOCAL tag is `to-tag` and whose REMOTE tag is `from-tag`;
// so a Replaces is always written from the point of view of the UA that will match it, and:
//   1. a Replaces reaching osprey (embedded in a REFER's Refer-To by a referrer that sees
//      osprey as its peer, or in an INVITE) names osprey's dialog
//      D = {call_id, local_tag = to-tag, remote_tag = from-tag}              (dialog_named_by)
//   2. lookup(D) gives E, the dialog osprey has on the other side of the same call, as osprey
//      holds it {call_id, local_tag, remote_tag}
//   3. the Replaces sent on names E for E's far end, whose local tag is osprey's remote tag:
//      call-id = E.call_id, to-tag = E.remote_tag, from-tag = E.local_tag   (peer_view)
// Worked example (attended transfer: Alice consulted Carol through osprey, then REFERs Bob):
//   osprey's consultation legs: A2 = {"a2@alice", local "osp-a2", remote "alice-a2"} toward
//   Alice, C2 = {"c2-osp", local "osp-c2", remote "carol-c2"} toward Carol.
//   Alice's Refer-To: <sip:carol@10.0.0.7?Replaces=a2%40alice%3Bto-tag%3Dosp-a2%3Bfrom-tag%3Dalice-a2>
//   -> D = A2, lookup(A2) = C2 ->
//   Bob's Refer-To:   <sip:TARGET?Replaces=c2-osp%3Bto-tag%3Dcarol-c2%3Bfrom-tag%3Dosp-c2>
//   Carol matches it: Call-ID c2-osp, her local tag carol-c2, her remote tag osp-c2.
// Second hop: Bob's INVITE goes to TARGET with a Replaces already in Carol's terms, so it must
// not be mapped again (that would name A2, the wrong side). The B2BUA (b2bua_transfer.cpp)
// therefore never hands a trunk such a Replaces: toward a trunk, TARGET is an opaque token at
// osprey that stands for Carol and that Replaces (sbc/transfer_index.hpp), or, when the other
// leg is the same trunk's, that trunk's own Contact with the Replaces in its terms. A Replaces
// a trunk sends in its own INVITE names its own leg as osprey holds it, and is mapped once.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/referral_headers.hpp"
#include "sip/uri.hpp"

namespace osprey::sbc {

// A dialog as one of its two UAs holds it (RFC 3261 §12: Call-ID, local tag, remote tag).
struct DialogIds {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  friend bool operator==(const DialogIds&, const DialogIds&) = default;
};

// Osprey's dialog on one side of a call -> its dialog on the other side of the same call, as
// osprey holds it; nullopt if osprey has no such dialog (or no call across it). The identifiers
// come from the network: the lookup should only find dialogs whose peer is the sender of the
// REFER/INVITE (same user or trunk), or anyone who learns a Call-ID and two tags could have
// another caller's call replaced (RFC 3891 §8).
using DialogLookup = std::function<std::optional<DialogIds>(const DialogIds&)>;
// The URI the transferee is sent to instead of `requested` (a URI osprey answers, naming the
// transfer, so the target's address stays hidden), without URI headers; nullopt: refuse.
using TransferTarget = std::function<std::optional<std::string>(const sip::Uri& requested)>;

// Step 1: the dialog a received Replaces names, from the receiver's point of view.
DialogIds dialog_named_by(const sip::Replaces& replaces);
// The same dialog as the UA at its other end holds it (local and remote tags swapped).
DialogIds peer_view(const DialogIds& dialog);
// "call-id;to-tag=<local>;from-tag=<remote>[;early-only]" for a receiver that holds `dialog`.
std::string format_replaces(const DialogIds& dialog, bool early_only);

// Steps 1-3 on a Replaces header value (an INVITE's, or one taken out of a Refer-To): the value
// to send on the other leg; nullopt when the lookup knows no such dialog; an error (400,
// "Malformed Replaces: ...") when it does not parse. early-only is kept (RFC 3891 §6.1); other
// parameters are dropped, as anything the other side wrote.
sip::Result<std::optional<std::string>> map_replaces(std::string_view value, const DialogLookup& lookup);

// A Refer-To value (RFC 3515 §2.1) for the other leg: "<TARGET>" for a blind transfer, with
// "?Replaces=<mapped, %-escaped>" for an attended one (RFC 3891 §7.1). The target comes from
// `target`; the display name, the Refer-To parameters and every other URI header are dropped
// (an embedded Route or From, say, must not steer or speak for the transferee). nullopt when the
// embedded Replaces names no dialog the lookup knows, or `target` refuses; an error (400) when
// the Refer-To or its embedded Replaces is malformed.
// The B2BUA answers a nullopt REFER with 403 (Forbidden): passing it on unmapped would show the
// other side this side's Call-ID and addresses and could not work anyway (the far end has no
// such dialog), and 481 would wrongly say the REFER's own dialog is gone (RFC 3515 §2.4.2).
sip::Result<std::optional<std::string>> map_refer_to(std::string_view value, const DialogLookup& lookup,
                                                     const TransferTarget& target);

}  // namespace osprey::sbc

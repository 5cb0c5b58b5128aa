#pragma once
// The registrar's rules for one REGISTER against one AOR's bindings (RFC 3261 §10.3 steps 6-8,
// RFC 3327 §5.3), as pure functions: no I/O, no clock, no store. The caller reads the request
// (read_register), runs decide() inside LocationStore::update (it gets the AOR's live bindings
// under the AOR's lock), stores Decision::new_set, and answers with ok_response() or
// sip::serialize_reply(). Including this header gives the whole registrar API.

#include <cstdint>
#include <optional>
#include <vector>

#include "registrar/register_request.hpp"
#include "registrar/register_response.hpp"
#include "store/binding.hpp"

namespace osprey::registrar {

struct Decision {
  // Set: answer with sip::serialize_reply() and store nothing.
  std::optional<sip::LocalReply> refusal;
  // Set: the AOR's complete new binding set, to store (an empty set removes the AOR). Unset
  // for a query and for a refusal.
  std::optional<std::vector<store::Binding>> new_set;
  // A query's live bindings; empty otherwise.
  std::vector<store::Binding> queried;

  // What the 200 lists (§10.3 step 8: "all the current bindings"): the new set, or the live
  // current bindings for a query. Empty for a refusal.
  const std::vector<store::Binding>& bindings() const { return new_set ? *new_set : queried; }
  int status() const { return refusal ? refusal->status : 200; }
};

// Applies `request` to `current` (the AOR's bindings; those with expires_at <= now are ignored
// as already gone) at time `now` (seconds since the epoch). All or nothing: when one contact
// fails, nothing changes (§10.3 step 7: "the update MUST be aborted and the request fails").
//
// - A query (no Contact) lists the live bindings and changes nothing (§10.3 step 6).
// - "*" removes every binding, provided none was made with the same Call-ID and a CSeq not lower
//   than the request's (§10.3 step 6).
// - Each contact is matched to a binding. One with "+sip.instance" (RequestedContact::instance)
//   first to the binding of the same device: same instance-id, and same reg-id when the contact
//   has one (RFC 5626 §6, RFC 5627), so a UA that comes back over a new TCP/TLS connection with
//   a new Contact URI replaces its binding instead of adding one. Otherwise by URI equivalence
//   (§10.3 step 7, §19.1.4), where a contact with an instance never takes over the binding of
//   another instance (see matchable_by_uri in the .cpp). A match with
//   another Call-ID is replaced (the UA restarted); with the same Call-ID only when the request's
//   CSeq is higher. Otherwise the request fails with 500 "Out of order CSeq": the RFC names no
//   status; 500 is its generic failure, and a UA that retries sends a higher CSeq and succeeds.
//   An interval of 0 removes the binding; otherwise it is (re)set to now + interval, with the
//   request's q, Call-ID, CSeq, Path, source and User-Agent, and the contact's URI, instance and
//   reg-id. An unmatched contact with interval
//   0 is ignored; any other is added. Two contacts of one request naming the same binding: the
//   later one wins (the CSeq check is against the bindings as they were before the request).
// - If the result would hold more than limits.max_contacts_per_aor bindings and the request
//   adds one, it is refused with 403 "Too many registrations". Not 503, which sends a client to
//   another server of the domain (RFC 3263 §4.3, RFC 3261 §21.5.4) and means "try later"; this
//   is a policy refusal, and §21.4.4 403 says "the request SHOULD NOT be repeated". A request
//   that adds nothing (refresh, removal) always passes, so lowering the limit locks nobody out.
//   The limit is per AOR, so an account, which owns its sip: and its sips: AOR, holds at most
//   twice it; a request reaches the bindings of one AOR only, so its fan-out stays within it.
Decision decide(const RegisterRequest& request, const std::vector<store::Binding>& current, std::int64_t now,
                const RegistrarLimits& limits);

}  // namespace osprey::registrar

#pragma once
// Which changes of an AOR's bindings need a write before their 200, and which the file already
// holds: the rule behind "kill -9 at any moment loses no acknowledged binding" for refreshes.
//
// The promise, precisely: a binding the registrar acknowledged with a 200 (RFC 3261 §10.3 step 8
// lists it with its expires) is, after a kill -9 and a restart at any time before that expiry,
// still bound, routed the same way (same Contact, q, Path, source, instance and reg-id) and
// expiring no earlier than the 200 said. It may expire later: the file holds for each binding
// a durable expiry (PackedBinding::durable_until) at or past the granted one.
//
// Why that is enough, and what it costs:
// - A new binding, or one whose routing fields change, is written before its 200 as before, with
//   a durable expiry of its expiry plus its remaining interval, at most kMaxLead more
//   (durable_expiry()). A refresh that changes only the expiry (§10.3 step 7: "the registrar
//   updates the expiration time"), the CSeq and perhaps the Call-ID, to an expiry no later than
//   the durable one already written, needs no write: the file already keeps the binding that
//   long. With refreshes at half the interval, as UAs commonly send them, two of three refreshes
//   write nothing.
// - The lag is harmless. After a crash, the binding may live up to kMaxLead past the expiry its
//   last 200 gave (a refresh that would leave more is written) if the UA stopped refreshing just then: the
//   same as a UA that vanished without removing its binding, which a registrar always sees (§10.2.2: removal
//   is the UA's job, expiry the safety net). Without a crash the memory store expires it on time and writes
//   the removal. The Call-ID and CSeq on file may be older than memory's: they only order REGISTERs of one
//   Call-ID (§10.3 step 7), and every change other than such a refresh is written with its own,
//   so after a crash the only REGISTERs the file's older pair lets through that memory's would
//   refuse are late copies of those same refreshes, which set what they set the first time.
// - Removals (expires=0, "*", §10.3 step 6) and shrunk sets are always written.
// - The 200 of a refresh still waits for any write of the AOR queued before it
//   (BindingJournal::confirm): the durable expiry it counts on may be in that write.

#include <cstdint>
#include <span>
#include <vector>

#include "store/binding.hpp"
#include "store/packed_aor.hpp"

namespace osprey::store {

// The longest a binding's durable expiry runs past its granted one: an hour, the longest
// interval osprey grants by default (registrar.max_expires).
inline constexpr std::int64_t kMaxLead = 3600;

// The durable expiry a write records for a binding expiring at `expires_at`, written at `now`:
// the expiry plus its remaining interval (at most kMaxLead), so refreshes in the first half of
// the next interval need no write.
std::int64_t durable_expiry(std::int64_t expires_at, std::int64_t now);

// Whether the file, holding `stored` as it was last written, already holds `next` (the AOR's
// new set): the same bindings in the same order, differing only in expiry, CSeq, Call-ID and
// what the file does not keep (connection id, outbound), each expiry no later than the durable
// one and no more than kMaxLead before it. When it does, fills `durable_until` with the durable expiries
// `next` keeps (`stored`'s); otherwise leaves it in an unspecified state.
bool file_holds(const PackedAor& stored, std::span<const Binding> next,
                std::vector<std::int64_t>& durable_until);

}  // namespace osprey::store

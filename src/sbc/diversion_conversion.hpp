#pragma once
// Diversion (RFC 5806) and History-Info (RFC 7044) on the leg the B2BUA builds: converted one
// into the other as RFC 7544 describes, or kept, and in every case rebuilt from the parsed
// entries with internal hosts replaced by osprey's (topology hiding). Nothing is copied as
// written: an entry that does not parse takes its whole header with it.
//
// Reason mapping (RFC 7544 §4.2, §5.2; the History-Info side is the RFC 4458 "cause" URI
// parameter of the entry diverted to, the Diversion side the "reason" of the entry diverted
// from):
//
//   Diversion reason   ->  cause      cause  ->  Diversion reason
//   unknown                404        302        unconditional
//   user-busy              486        486        user-busy
//   no-answer              408        408        no-answer
//   unconditional          302        480        deflection
//   deflection             480        487        deflection
//   unavailable            503        503        unavailable
//   out-of-service         503        404        unknown
//   time-of-day            404        other      unknown
//   do-not-disturb         404
//   follow-me              404
//   away                   404
//   any other              404
//
// Diversion lists the most recent diversion first (RFC 5806 §4); History-Info lists the
// original target first (index 1) and each retarget after it (index 1.1, 1.1.1, ... with mp
// naming the entry it came from, RFC 7044 §9.1), ending with the current target.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sbc/trunk.hpp"
#include "sip/diversion_headers.hpp"
#include "sip/message.hpp"

namespace osprey::sbc {

// Topology hiding for addresses inside headers: a host the predicate calls internal (a private
// address, a host of the inside network) is replaced by `own_host` (osprey's address toward
// the other side; an IPv6 address is bracketed when written). The predicate is given the host's
// canonical form (sip/host.hpp canonical_host). No predicate: every host is left as it is.
struct HostRewrite {
  std::function<bool(std::string_view host)> is_internal;
  std::string own_host;

  // The host to write for `host`: own_host when internal, else empty (keep the URI's own).
  std::string_view replacement_for(std::string_view host) const;
};

// More entries than this are not carried (the first ones are kept): RFC 5806's counter has two
// digits, and no real call is diverted this often.
inline constexpr std::size_t kMaxDiversionEntries = 20;

std::uint16_t cause_for_diversion_reason(std::string_view reason);
std::string_view diversion_reason_for_cause(std::uint16_t cause);

// Header values, one element each, in the order they go on the wire.
std::vector<std::string> history_info_from_diversions(std::span<const sip::Diversion> diversions,
                                                      const sip::Uri& current_target,
                                                      const HostRewrite& hosts);
std::vector<std::string> diversions_from_history_info(std::span<const sip::HistoryInfoEntry> entries,
                                                      const HostRewrite& hosts);
std::vector<std::string> rebuilt_diversions(std::span<const sip::Diversion> diversions,
                                            const HostRewrite& hosts);
std::vector<std::string> rebuilt_history_info(std::span<const sip::HistoryInfoEntry> entries,
                                              const HostRewrite& hosts);

// Removes any Diversion and History-Info from `outbound` and writes the inbound ones as
// `mode` says (keep: each header as itself; history_info / diversion: everything into that
// one). `current_target` is the Request-URI the call reached (the last History-Info entry).
void write_diversion_headers(IdentityPolicy::Diversion mode, const sip::Message& inbound,
                             const sip::Uri& current_target, sip::Message& outbound,
                             const HostRewrite& hosts);

}  // namespace osprey::sbc

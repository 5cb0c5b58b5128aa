#pragma once
// Proof that a dialog went through osprey's access control. Requests inside a dialog (To tag)
// are not challenged: they follow the route set their dialog-creating request earned. But a To
// tag and a Route are only text, so the Record-Route URI osprey puts on a dialog-creating
// request it admitted carries a token (RFC 3261 §16.6 step 4 lets a proxy put any parameter in
// its Record-Route URI; §12.1.1 has the UAs send it back in their Route), and the token is
// bound to that one dialog and to the places it may reach:
//  - the Call-ID and the caller's tag (the From tag of the dialog-creating request; in requests
//    from the callee it is the To tag), so it opens no other dialog;
//  - the places (host and port) the dialog's requests go to: on the caller's side the address
//    the request came from, its Contact and the upstream Record-Route; on the callee's side the
//    branch's target, next hop and address. An in-dialog request whose next hop (§16.4: the
//    first Route left after ours, else the Request-URI) is any other place is not admitted as
//    in-dialog: a re-INVITE to a number or a BYE toward a third party, even one on the same
//    host as the callee, is judged like a new request;
//  - a lifetime: the token expires `lifetime` seconds after it was issued or after the last
//    in-dialog request that used it (renewals are kept in memory, per token).
// A token that fails any of these makes the request an out-of-dialog one for access control,
// never an error: a UA of ours then answers a challenge, and nobody else gets through.

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "security/hmac_sha256.hpp"
#include "sip/uri.hpp"

namespace osprey::security {

// A place a dialog's requests go to: "host:port", the host in canonical form
// (sip::canonical_host), the port as the URI gives it or its default (5060; 5061 for sips: and
// transport=tls, RFC 3261 §19.1.2); a maddr parameter names the host, as it does for sending.
std::string dialog_place(std::string_view host, std::uint16_t port);
// The place of a sip/sips URI; empty for any other scheme (tel: has no host).
std::string dialog_place(const sip::Uri& uri);

struct DialogRequest {
  std::string_view call_id;
  std::string_view from_tag;
  std::string_view to_tag;
  std::string_view next_hop;  // dialog_place of the request's next hop; empty: none
};

class DialogToken {
 public:
  using Secret = std::array<std::uint8_t, 32>;
  // The Record-Route URI parameter that carries the token.
  static constexpr std::string_view kParam = "osp-dt";
  // At most this many places are bound (more are dropped: the request then needs credentials).
  static constexpr std::size_t kMaxPlaces = 6;

  DialogToken(const Secret& secret, std::int64_t lifetime_seconds);

  // base64url of (issued, the places' keyed hashes, a 96-bit MAC over all of it with the
  // Call-ID and the caller's tag). `places` from dialog_place; empty ones and duplicates are
  // bound once or not at all.
  std::string sign(std::string_view call_id, std::string_view caller_tag, std::span<const std::string> places,
                   std::int64_t now) const;
  // True when `token` was signed for this request's dialog, names its next hop's place and has not
  // expired; then its lifetime starts again from `now`.
  bool admits(std::string_view token, const DialogRequest& request, std::int64_t now) const;

  std::int64_t lifetime() const { return lifetime_; }

 private:
  std::uint32_t place_hash(std::string_view place) const;
  bool mac_matches(std::string_view call_id, std::string_view caller_tag, std::string_view signed_part,
                   std::string_view mac) const;
  // Extends the token's life: false when it has expired (issued and last renewal too old).
  bool renew(std::uint64_t key, std::int64_t issued, std::int64_t now) const;

  HmacSha256 hmac_;
  std::int64_t lifetime_;
  // Last use per token (the first 8 bytes of its MAC), sharded; bounded: when a shard is full,
  // expired entries go, and if none did, the token lives by its issue time alone.
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxRenewalsPerShard = 65536;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, std::int64_t> last_use;
  };
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace osprey::security

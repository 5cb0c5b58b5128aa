#pragma once
// Proof that a dialog went through osprey's access control. Requests inside a dialog (To tag)
// are not challenged: they follow the route set their dialog-creating request earned. But a To
// tag and a Route are only text, so the Record-Route URI osprey puts on a dialog-creating
// request it admitted carries a token (RFC 3261 §16.6 step 4 lets a proxy put any parameter in
// its Record-Route URI; §12.1.1 has the UAs send it back in their Route), and the token is
// bound to that one dialog, one direction and the places that direction reaches:
//  - toward the caller: the token in the Record-Route of the request, which the callee's
//    requests carry. Bound to the Call-ID, the caller's tag and both AORs; its places are where
//    the caller is: the address the request came from, its Contact, the upstream Record-Route;
//  - toward the callee: §16.7 step 4 lets a proxy rewrite its own Record-Route value in
//    responses, and osprey gives the caller a token of its own in every 1xx/2xx it forwards:
//    bound to the callee's tag as well, and to the callee's places (the response's Contact and
//    Record-Route neighbour, the branch's target and address).
// A request is admitted when its dialog's identifiers and AORs match, it travels the token's
// direction, its next hop (§16.4: the first Route left after ours, else the Request-URI) is one
// of the token's places, and the token has not expired: `lifetime` seconds after it was issued
// or after the last in-dialog request that used it (renewals are kept in memory, per token).
// So a caller cannot pick the places its own requests may reach, a re-INVITE to a number or a
// BYE toward a third party (even one on the callee's host) is judged like a new request, and
// nobody speaks as another AOR inside a dialog that is not theirs. A token that fails is never
// an error: the request is judged as out-of-dialog, a UA of ours answers a challenge, and
// nobody else gets through.
//
// A token may also name the OTHER side's flow as osprey saw it (RFC 5626 §5.3's flow token in
// spirit): the protocol and remote address of the caller's request in the callee's token, the
// protocol and address the branch went to in the caller's. A UA on TCP/TLS names in its Contact
// a port where nothing accepts connections (or whose certificate osprey cannot check), and a UA
// behind NAT a private address: the in-dialog request admitted with such a token goes over that
// flow (proxy/dialog_flow_hop.hpp). It is signed with the rest, so nobody chooses it, and its
// address and port are encrypted (the other side would read where the user is, RFC 3323).

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "security/hmac_sha256.hpp"
#include "sip/route_decision.hpp"
#include "sip/uri.hpp"

namespace osprey::security {

// A place a dialog's requests go to: "host:port", the host in canonical form
// (sip::canonical_host), the port as the URI gives it or its default (5060; 5061 for sips: and
// transport=tls, RFC 3261 §19.1.2); a maddr parameter names the host, as it does for sending.
std::string dialog_place(std::string_view host, std::uint16_t port);
// The place of a sip/sips URI; empty for any other scheme (tel: has no host).
std::string dialog_place(const sip::Uri& uri);
// The host of a place ("192.0.2.9" of "192.0.2.9:5060"). The gateway is a host, not a port:
// gateways admit osprey by its address, so every port of theirs takes osprey's calls.
std::string_view place_host(std::string_view place);
// A remote target bound exactly, as a "place" of its own: the Contact URI as its UA wrote it,
// which §12.2.1.1 has the other side copy into the Request-URI. Toward the gateway only this
// exact URI is admitted in-dialog, so a dialog with it cannot carry a request for another number.
std::string dialog_target(std::string_view contact_uri);

enum class DialogDirection : std::uint8_t { toward_caller = 0, toward_callee = 1 };

// The transport of a dialog flow, numbered as in the token (net::Protocol's order).
enum class FlowProtocol : std::uint8_t { udp = 0, tcp = 1, tls = 2, ws = 3, wss = 4 };

// Where the other side of a dialog was, as osprey saw it: the remote end of its connection or
// the source of its datagrams.
struct DialogFlow {
  FlowProtocol protocol = FlowProtocol::udp;
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  friend bool operator==(const DialogFlow&, const DialogFlow&) = default;
};

// What a token is signed for. AORs as accounts (sip::account_aor: sip: and sips: alike,
// so a token names the parties, not the scheme they were written with).
struct DialogBinding {
  DialogDirection direction = DialogDirection::toward_caller;
  std::string_view call_id;
  std::string_view caller_tag;
  std::string_view callee_tag;  // toward_callee only
  std::string_view caller_aor;
  std::string_view callee_aor;
  std::span<const std::string> places;  // dialog_place values; empty ones skipped
  std::optional<DialogFlow> flow;       // the other side's flow; none in tokens of old
};

// An in-dialog request as access control sees it.
struct DialogRequest {
  std::string_view call_id;
  std::string_view from_tag;
  std::string_view to_tag;
  std::string_view from_aor;  // canonical
  std::string_view to_aor;    // canonical
  std::string_view next_hop;  // dialog_place of the request's next hop; empty: none
};

class DialogToken {
 public:
  using Secret = std::array<std::uint8_t, 32>;
  // The Record-Route URI parameter that carries the token.
  static constexpr std::string_view kParam = sip::kRecordRouteParam;
  // At most this many places are bound (more are dropped: the request then needs credentials).
  static constexpr std::size_t kMaxPlaces = 8;

  DialogToken(const Secret& secret, std::int64_t lifetime_seconds);

  // base64url of (issued, direction, the flow if any, the places' keyed hashes, a 96-bit MAC
  // over all of it with the dialog's identifiers and AORs). Duplicate places are bound once.
  // The direction byte's top bit says a flow follows: one byte (protocol, 0x10 for IPv6), the
  // address (4 or 16 bytes) and the port (2 bytes), those two XORed with HMAC("flow", MAC). A token without
  // it is one issued before flows were bound, and still verifies.
  std::string sign(const DialogBinding& binding, std::int64_t now) const;
  // True when `token` was signed for this request's dialog, names its next hop's place and has not
  // expired; then its lifetime starts again from `now`. `flow`, when given, receives the flow the
  // token binds (nullopt for a token without one) when it admits the request.
  bool admits(std::string_view token, const DialogRequest& request, std::int64_t now,
              std::optional<DialogFlow>* flow = nullptr) const;

  std::int64_t lifetime() const { return lifetime_; }

  // RFC 5626 §5.2 / RFC 3327: the flow token of the Path URI osprey adds to a REGISTER it
  // forwards (sip::kPathFlowParam): the flow the REGISTER came on, with a 96-bit MAC under the
  // same secret (labelled apart from dialog tokens, so neither passes for the other). A request
  // that comes back with that URI in its Route goes over that flow. No expiry: the flow's own end
  // ends it (a closed connection is 430), as the registrar's binding expires. Not encrypted:
  // the registrar it goes to holds the UA's Contact anyway.
  std::string sign_flow(const DialogFlow& flow) const;
  // The flow `token` names, or nullopt when it is not one sign_flow wrote (tampered, forged,
  // truncated). Compared in constant time.
  std::optional<DialogFlow> verify_flow(std::string_view token) const;

 private:
  std::uint32_t place_hash(std::string_view place) const;
  bool compute_mac(const DialogBinding& binding, std::string_view signed_part, HmacSha256::Mac& out) const;
  // XORs the flow's address and port in `bytes` (a token without its MAC) with the keystream
  // of `mac`: the same call masks and unmasks. False when `bytes` is too short for the flow.
  bool mask_flow(std::string& bytes, std::string_view mac) const;
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

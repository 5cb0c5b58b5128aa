#pragma once
// Automatic and administrative bans of source addresses: the defence against REGISTER / INVITE
// password guessing and extension scanning, the attacks every public SIP server sees. Failed
// authentications are counted per source address and per user name in a sliding window; when
// either count reaches the threshold, the source is banned, for longer each time it comes back.
//
// One table is shared by every worker thread. It is sharded by address hash, one mutex per
// shard, so workers rarely meet on a lock, and a critical section is a hash lookup. The hot
// path, is_banned(), runs for every datagram and connection before parsing; a shard without bans
// answers from one atomic load, without taking its lock.
//
// Times are unix seconds passed in by the caller: bans are persisted and shown to administrators
// in wall-clock time, and tests drive the clock.
//
// Memory is bounded without ever forgetting a ban in force: a flood of spoofed sources must not
// be able to push an attacker's ban out of the table. Failure windows and the memory of past
// offenders are forgotten least recently seen first (they are not bans); bans are kept until they
// end. When prefix_threshold addresses of one /24 (IPv4) or /64 (IPv6) are banned, the whole
// prefix is banned (one entry for what would be 256 or 2^64), and while a shard of the table holds
// max_tracked / 16 bans, a source it does not track yet is not tracked (no new failure window, so
// no new ban from datagrams whose source may be forged); a source that completed a handshake can
// still be banned.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "security/address_key.hpp"
#include "security/address_set.hpp"

namespace osprey::security {

struct BanPolicy {
  unsigned threshold = 10;                      // failures within the window that ban; 0: never ban
  std::int64_t window_seconds = 60;             // sliding window
  std::int64_t ban_seconds = 900;               // first ban: 15 min
  std::int64_t max_ban_seconds = 7 * 86400;     // doubling stops here
  std::int64_t offence_memory_seconds = 86400;  // an offence within this after a ban ends doubles the next
  AddressSet never_ban;                         // allow-listed networks: counted nowhere, never banned
  AddressSet trusted_peers;                     // RFC 3325 trust domain: never banned either
  // Banned addresses within one /24 (IPv4) or /64 (IPv6) that ban the whole prefix; 0: never.
  unsigned prefix_threshold = 16;
  // Most keys (source addresses, user names) with a failure window, and most remembered
  // offenders: beyond it the least recently seen is forgotten (~300 bytes a key). Bans are never
  // forgotten; once the table holds this many, new sources are no longer tracked (see above).
  std::size_t max_tracked = 100000;
};

// The prefixes a prefix ban covers (RFC 4291 §2.5.4: a /64 is one IPv6 subnet, one site's LAN).
inline constexpr unsigned kPrefixBanBitsV4 = 24;
inline constexpr unsigned kPrefixBanBitsV6 = 64;

// How much a request proves about its source address. Over UDP anyone can forge it, so such a
// request may only count towards a ban; a completed TCP (or TLS) handshake proves that the source
// receives what is sent to it.
enum class SourceProof { unverified, handshake };

struct Ban {
  boost::asio::ip::address address;  // IPv4-mapped IPv6 addresses are stored as IPv4
  std::int64_t since = 0;            // unix seconds
  std::int64_t until = 0;            // unix seconds; banned while now < until
  unsigned offences = 1;             // this ban's rank: its length is ban_seconds * 2^(offences - 1)
  std::string reason;
  // A prefix ban: `address` is the network of a /24 (IPv4) or /64 (IPv6), and every address in it
  // is banned except never_ban and trusted peers.
  bool prefix = false;
  friend bool operator==(const Ban&, const Ban&) = default;
};

// "192.0.2.7", or "192.0.2.0/24" for a prefix ban: the key of the ban in the ban list.
std::string ban_key_text(const Ban& ban);
// The network of the prefix ban that would cover `address` (its /24 or /64), in canonical form.
boost::asio::ip::address prefix_network(const boost::asio::ip::address& address);

class BanTable {
 public:
  explicit BanTable(BanPolicy policy);
  ~BanTable();
  BanTable(const BanTable&) = delete;
  BanTable& operator=(const BanTable&) = delete;

  // The hot path, for every datagram / connection before parsing. Expired bans read as not banned.
  bool is_banned(const boost::asio::ip::address& source, std::int64_t now) const;

  // A failed authentication (wrong password or unknown user) from `source` for user name `user`,
  // counted for the address and for the user name (as given, cut to 256 bytes; an empty name is
  // counted for the address only). Counting per user name stops a guesser that spreads over many
  // addresses: once one user's count reaches the threshold, every further source failing for it
  // within the window is banned. Returns the new Ban when this call banned the address. The
  // caller reports real failures only, never the 401/407 challenge of a first request (RFC 3261
  // §22.2), so no success is needed to clear anything.
  std::optional<Ban> record_failure(const boost::asio::ip::address& source, std::string_view user,
                                    std::int64_t now);

  // A request that identified itself as an attack tool (a scanner User-Agent). With a handshake
  // behind it, `source` is banned at once (a repeat offence doubling the ban as for failures).
  // Unverified (a datagram, whose source anyone can forge), it counts as a failure does, so one
  // forged datagram cannot ban somebody else's address: only `threshold` of them in the window.
  std::optional<Ban> record_offence(const boost::asio::ip::address& source, std::string_view reason,
                                    SourceProof proof, std::int64_t now);

  // Administrative and persisted bans, of an address or (ban.prefix) a prefix: set or replace
  // (false, and nothing set, for a never_ban or trusted address). unban() is a pardon: it forgets
  // the address's failures and offence history too; unban_prefix() lifts a prefix ban.
  bool ban(Ban ban);
  bool unban(const boost::asio::ip::address& source);
  bool unban_prefix(const boost::asio::ip::address& network);
  // The bans in force at `now`, addresses and prefixes, sorted by address (IPv4 first).
  std::vector<Ban> list(std::int64_t now) const;

  // The bans this table decided (failures, offences, prefix aggregation) since the last call, at
  // most `most`, oldest first: what BanSync persists. ban() adds nothing here but the prefix
  // bans it may cause: those bans came from the store or an administrator. At most max_tracked
  // wait here; beyond, the oldest are dropped (still in force, never saved).
  std::vector<Ban> take_new_bans(std::size_t most);

  // Drops ended bans (remembering the offender for offence_memory_seconds) and stale failure
  // windows. Called about once a second.
  void expire(std::int64_t now);

  // Bans held (addresses and prefixes): the ones in force plus those ended since the last expire().
  std::size_t size() const;
  std::size_t prefix_bans() const;
  // Failure windows held (addresses and user names), for the memory bound and metrics.
  std::size_t tracked_failure_keys() const;

 private:
  struct AddressShard;
  struct PrefixShard;
  struct UserShard;
  struct NewBans;
  // count: one more failure of the source; user_over_threshold: also ban the source now, if it
  // is tracked; proven_offence: ban now, tracked or not (a completed handshake).
  enum class Verdict { count, user_over_threshold, proven_offence };

  AddressShard& address_shard(const AddressKey& key) const;
  PrefixShard& prefix_shard(const AddressKey& prefix) const;
  UserShard& user_shard(std::string_view user) const;
  bool exempt(const boost::asio::ip::address& source) const;
  // Counts one failure for `source`; bans it when its own count reaches the threshold, or as
  // `verdict` says.
  std::optional<Ban> count_against_address(const boost::asio::ip::address& source, std::int64_t now,
                                           Verdict verdict, std::string_view user,
                                           std::string_view offence_reason);
  // One more (or one fewer) banned address in the prefix of `address`: bans the prefix when it
  // reaches prefix_threshold, if `may_ban`. Called with no lock held.
  std::optional<Ban> count_banned_in_prefix(const boost::asio::ip::address& address, int delta, bool may_ban,
                                            std::int64_t now);
  void remember_new(std::initializer_list<const std::optional<Ban>*> bans);
  std::int64_t ban_length(unsigned offences) const;

  BanPolicy policy_;
  std::uint64_t seed_;
  std::size_t bans_per_shard_;  // a shard holding this many bans tracks no new source
  std::vector<std::unique_ptr<AddressShard>> address_shards_;
  std::vector<std::unique_ptr<PrefixShard>> prefix_shards_;
  std::atomic<std::size_t> prefix_bans_{0};  // the prefix shards' ban counts, summed
  std::vector<std::unique_ptr<UserShard>> user_shards_;
  std::unique_ptr<NewBans> new_bans_;
};

}  // namespace osprey::security

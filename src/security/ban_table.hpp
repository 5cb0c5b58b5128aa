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

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "security/address_set.hpp"

namespace osprey::security {

struct BanPolicy {
  unsigned threshold = 10;                      // failures within the window that ban; 0: never ban
  std::int64_t window_seconds = 60;             // sliding window
  std::int64_t ban_seconds = 900;               // first ban: 15 min
  std::int64_t max_ban_seconds = 7 * 86400;     // doubling stops here
  std::int64_t offence_memory_seconds = 86400;  // an offence within this after a ban ends doubles the next
  AddressSet never_ban;                         // allow-listed networks: counted nowhere, never banned
  // Most keys (source addresses, user names) with a failure window, and most bans and remembered
  // offenders, each. Beyond it the least recently seen is forgotten, so a flood of spoofed
  // sources costs bounded memory (~300 bytes a key).
  std::size_t max_tracked = 100000;
};

struct Ban {
  boost::asio::ip::address address;  // IPv4-mapped IPv6 addresses are stored as IPv4
  std::int64_t since = 0;            // unix seconds
  std::int64_t until = 0;            // unix seconds; banned while now < until
  unsigned offences = 1;             // this ban's rank: its length is ban_seconds * 2^(offences - 1)
  std::string reason;
  friend bool operator==(const Ban&, const Ban&) = default;
};

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

  // A request that identified itself as an attack tool (a scanner User-Agent): bans `source` at
  // once (a repeat offence doubling the ban as for failures).
  std::optional<Ban> record_offence(const boost::asio::ip::address& source, std::string_view reason,
                                    std::int64_t now);

  // Administrative and persisted bans: set or replace (false, and nothing set, for a never_ban
  // address). unban() is a pardon: it forgets the address's failures and offence history too.
  bool ban(Ban ban);
  bool unban(const boost::asio::ip::address& source);
  // The bans in force at `now`, sorted by address (IPv4 first).
  std::vector<Ban> list(std::int64_t now) const;

  // Drops ended bans (remembering the offender for offence_memory_seconds) and stale failure
  // windows. Called about once a second.
  void expire(std::int64_t now);

  // Bans held: the ones in force plus those ended since the last expire().
  std::size_t size() const;
  // Failure windows held (addresses and user names), for the memory bound and metrics.
  std::size_t tracked_failure_keys() const;

 private:
  struct AddressShard;
  struct UserShard;

  AddressShard& address_shard(const boost::asio::ip::address& source) const;
  UserShard& user_shard(std::string_view user) const;
  // Counts one failure for `source`; bans it when its own count reaches the threshold, or
  // regardless when `user_over_threshold`.
  std::optional<Ban> count_against_address(const boost::asio::ip::address& source, std::int64_t now,
                                           bool user_over_threshold, std::string_view user,
                                           std::string_view offence_reason);
  std::int64_t ban_length(unsigned offences) const;

  BanPolicy policy_;
  std::uint64_t seed_;
  std::vector<std::unique_ptr<AddressShard>> address_shards_;
  std::vector<std::unique_ptr<UserShard>> user_shards_;
};

}  // namespace osprey::security

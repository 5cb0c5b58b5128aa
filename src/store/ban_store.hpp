#pragma once
// Addresses the server refuses to serve for a while (REGISTER brute force, extension
// scanners, toll fraud), kept across restarts and shared with `osprey ban`, like the accounts
// in user_store.hpp. The store only keeps records: deciding whom to ban, and for how long, is
// security/'s job.
//
// Thread safety: every operation may block on the disk; implementations serialise them.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace osprey::store {

struct BanRecord {
  // Canonical text, as boost::asio::ip::address::to_string() gives it ("192.0.2.1",
  // "2001:db8::1"), an IPv4-mapped IPv6 address as its IPv4 text: the key a lookup uses. A prefix
  // ban is its network and length: "192.0.2.0/24", "2001:db8::/64".
  std::string address;
  std::int64_t since = 0;      // unix seconds: when the ban started
  std::int64_t until = 0;      // unix seconds: banned while now < until
  std::uint32_t offences = 1;  // how many times this address has been banned, for escalation
  std::string reason;

  friend bool operator==(const BanRecord&, const BanRecord&) = default;
};

// A change another connection made to the store: the record as it is now, or `removed`.
struct BanChange {
  BanRecord record;  // only `address` when removed
  bool removed = false;
  friend bool operator==(const BanChange&, const BanChange&) = default;
};

class BanStore {
 public:
  virtual ~BanStore() = default;

  // Live bans (until > now), sorted by address. Reads every one: for start-up and the
  // `osprey ban` tool, never for a server's rounds.
  virtual tl::expected<std::vector<BanRecord>, std::string> list(std::int64_t now) = 0;

  // Inserts `ban`, or replaces the record of its address. Refused: an empty address.
  virtual tl::expected<void, std::string> put(const BanRecord& ban) = 0;
  // put() of each, all in one transaction: all stored, or (on any failure) none.
  virtual tl::expected<void, std::string> put_all(std::span<const BanRecord> bans) = 0;
  // Removes the record of `address`; false if there was none (an expired record not yet removed
  // by remove_expired still counts as one).
  virtual tl::expected<bool, std::string> remove(std::string_view address) = 0;
  // Removes at most `most` records with until <= now; how many.
  virtual tl::expected<std::size_t, std::string> remove_expired(std::int64_t now, std::size_t most) = 0;

  // What other connections (`osprey ban`, or the server when this is the tool) changed since the
  // last call (or since open), at most `most`, oldest first; the rest comes on the next calls.
  // Reads only the changes, never the whole list; without any, costs one PRAGMA.
  virtual tl::expected<std::vector<BanChange>, std::string> take_changes(std::size_t most) = 0;
};

}  // namespace osprey::store

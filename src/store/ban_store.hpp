#pragma once
// Addresses the server refuses to serve for a while (issue #6: REGISTER brute force, extension
// scanners, toll fraud), kept across restarts and shared with `osprey ban`, like the accounts
// in user_store.hpp. The store only keeps records: deciding whom to ban, and for how long, is
// security/'s job.
//
// Thread safety: list may be called from any thread; it reads an immutable in-memory snapshot
// and never touches the disk. The other operations may block on the disk; implementations
// serialise them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace osprey::store {

struct BanRecord {
  // Canonical text, as boost::asio::ip::address::to_string() gives it ("192.0.2.1",
  // "2001:db8::1"), an IPv4-mapped IPv6 address as its IPv4 text: the key a lookup uses.
  std::string address;
  std::int64_t since = 0;      // unix seconds: when the ban started
  std::int64_t until = 0;      // unix seconds: banned while now < until
  std::uint32_t offences = 1;  // how many times this address has been banned, for escalation
  std::string reason;

  friend bool operator==(const BanRecord&, const BanRecord&) = default;
};

class BanStore {
 public:
  virtual ~BanStore() = default;

  // Live bans (until > now), sorted by address; reads the in-memory snapshot (cheap, any thread).
  virtual std::vector<BanRecord> list(std::int64_t now) const = 0;

  // Inserts `ban`, or replaces the record of its address. Visible to this store's readers when
  // it returns. Refused: an empty address.
  virtual tl::expected<void, std::string> put(const BanRecord& ban) = 0;
  // Removes the record of `address`; false if there was none (an expired record not yet removed
  // by remove_expired still counts as one).
  virtual tl::expected<bool, std::string> remove(std::string_view address) = 0;
  // Removes every record with until <= now; how many.
  virtual tl::expected<std::size_t, std::string> remove_expired(std::int64_t now) = 0;

  // Re-reads the bans when another process (`osprey ban`, or the server when this is the tool)
  // changed them since the last read; true if it did. Cheap when nothing changed: meant to be
  // called about once per second.
  virtual tl::expected<bool, std::string> reload_if_changed() = 0;
};

}  // namespace osprey::store

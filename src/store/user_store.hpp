#pragma once
// User accounts: who may authenticate (RFC 3261 §22, RFC 7616) and which AORs exist at all, so
// the proxy can tell an unknown user (404) from a known user with no binding (480, RFC 3261
// §21.4.18). Credentials are kept as HA1 per Digest algorithm (RFC 7616 §3.4.2), never as
// passwords: the store does not hash (that is security/'s job, and the store sits below it), it
// only accepts HA1 values.
//
// Thread safety: find, has_aor and size may be called from any worker thread at any rate; they
// read an immutable in-memory snapshot and never touch the disk. reload_if_changed and the
// admin operations may block on the disk; implementations serialise them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace osprey::store {

// HA1 = H(user ":" realm ":" password) for each algorithm osprey offers (RFC 8760 §2: SHA-256
// first, MD5 for older clients), as lowercase hex.
struct Ha1Set {
  std::string md5;     // 32 hex digits
  std::string sha256;  // 64 hex digits

  friend bool operator==(const Ha1Set&, const Ha1Set&) = default;
};

// What an AOR names: the account AOR (sip::account_aor, "sip:alice@example.com"), the
// Digest user name ("alice", unescaped) and the realm, which is the domain ("example.com").
// The longest AOR an account may have, as typed: far beyond any real one, and short enough
// that no AOR bloats users.db, a log line or a header (RFC 3261 sets no limit; this is policy).
inline constexpr std::size_t kMaxAorBytes = 256;

struct AccountName {
  std::string aor;
  std::string user;
  std::string realm;
};

struct Account {
  std::string aor;    // canonical
  std::string user;   // the Digest user name
  std::string realm;  // the domain of the AOR
  Ha1Set ha1;
  std::int64_t created_at = 0;  // seconds since the epoch
};

// Parses a sip: or sips: URI with the project's URI parser and names its account
// (sip::account_aor), so "SIP:alice@Example.COM:5060;transport=tcp" and
// "sips:alice@example.com" are the account sip:alice@example.com. Refused, with the reason: longer than
// kMaxAorBytes, not a sip: URI (the user part and host checked as RFC 3261 §25.1 writes them), no user part,
// a password in the URI (passwords never go into the store), a control character in the unescaped user part.
tl::expected<AccountName, std::string> parse_account_name(std::string_view aor);

// Whether `ha1` holds well-formed values (length and lowercase hex): a guard against a
// password, or an uppercase hash that would never match a response, reaching the file.
tl::expected<void, std::string> check_ha1_set(const Ha1Set& ha1);

class UserStore {
 public:
  virtual ~UserStore() = default;

  // The account of Digest user `user` in `realm` (the realm compares case-insensitively, the
  // user as written: RFC 3261 §19.1.4).
  virtual std::optional<Account> find(std::string_view user, std::string_view realm) const = 0;
  // Whether `aor`, an account AOR (sip::account_aor: sip: for both schemes), is an account.
  virtual bool has_aor(std::string_view aor) const = 0;
  virtual std::size_t size() const = 0;

  // Re-reads the accounts when another process (`osprey user`) changed them since the last read;
  // true if it did. Cheap when nothing changed: meant to be called about once per second.
  virtual tl::expected<bool, std::string> reload_if_changed() = 0;

  // Admin operations, visible to this store's readers when they return. `aor` as for
  // parse_account_name. Errors: "<aor>: exists already", "<aor>: no such user", a parse error.
  virtual tl::expected<void, std::string> add(std::string_view aor, const Ha1Set& ha1) = 0;
  virtual tl::expected<void, std::string> set_credentials(std::string_view aor, const Ha1Set& ha1) = 0;
  virtual tl::expected<void, std::string> remove(std::string_view aor) = 0;
  // Adds every (AOR, HA1) pair in one transaction: all of them, or none on any error (the first
  // bad AOR or HA1 is named). An AOR that exists already gets the new credentials and keeps its
  // created_at, as set_credentials; an AOR given twice ends with its last credentials. For
  // `osprey user import`: 100,000 accounts in one commit instead of 100,000 fsyncs.
  virtual tl::expected<void, std::string> add_many(
      std::span<const std::pair<std::string, Ha1Set>> accounts) = 0;
  // Every account, sorted by AOR, after picking up other processes' changes.
  virtual tl::expected<std::vector<Account>, std::string> list() = 0;
};

}  // namespace osprey::store

#include "security/ban_table.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <random>
#include <tuple>
#include <unordered_map>

#include "security/address_key.hpp"
#include "security/recent_map.hpp"

namespace osprey::security {
namespace {

// A power of two, so a shard is picked from the top bits of the key's hash (the hash table
// inside the shard uses all of them). 16 shards for a handful of worker threads keep the chance
// that two workers want the same lock at the same moment small.
constexpr std::size_t kShards = 16;
constexpr int kShardShift = std::numeric_limits<std::size_t>::digits - 4;
static_assert(std::size_t{1} << (std::numeric_limits<std::size_t>::digits - kShardShift) == kShards);

// User names are counted as given but cut here: the name comes from the request, and a key's
// size must not be the sender's choice.
constexpr std::size_t kMaxUserName = 256;
// How much of a user name goes into a ban's reason, which administrators read.
constexpr std::size_t kMaxUserNameInReason = 64;

// The failure times of one key within the sliding window, oldest first; never more than the
// threshold, which is all the window needs to know.
struct FailureWindow {
  std::vector<std::int64_t> times;

  // Adds a failure at `now`; returns how many fall within the window ending at `now`.
  std::size_t record(std::int64_t now, std::int64_t window_seconds, std::size_t threshold) {
    std::erase_if(times, [&](std::int64_t time) { return now - time >= window_seconds; });
    times.push_back(now);
    if (times.size() > threshold) times.erase(times.begin());
    return times.size();
  }

  bool stale(std::int64_t now, std::int64_t window_seconds) const {
    return std::all_of(times.begin(), times.end(),
                       [&](std::int64_t time) { return now - time >= window_seconds; });
  }
};

// An ended ban kept for offence_memory_seconds, so the next one is longer.
struct Offender {
  unsigned offences = 0;
  std::int64_t until = 0;  // when the last ban ended
};

// User names hash through std::hash, mixed with the table's seed.
struct UserNameHash {
  std::uint64_t seed = 0;
  std::size_t operator()(const std::string& name) const noexcept {
    return static_cast<std::size_t>(AddressKeyHash::mix(std::hash<std::string_view>{}(name) ^ seed));
  }
};

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

// A user name from a request, made fit for an administrator's screen and log.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, kMaxUserNameInReason));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

// The prefix a prefix ban of `key` would cover, as a key: the address with its host bits cleared.
AddressKey prefix_of(AddressKey key) {
  static constexpr std::array<unsigned char, 12> kV4Mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const bool v4 = std::equal(kV4Mapped.begin(), kV4Mapped.end(), key.bytes.begin());
  const std::size_t host_from = v4 ? 12 + kPrefixBanBitsV4 / 8 : kPrefixBanBitsV6 / 8;
  std::fill(key.bytes.begin() + static_cast<std::ptrdiff_t>(host_from), key.bytes.end(), 0);
  return key;
}

template <typename Map>
bool live(const Map& bans, const typename Map::key_type& key, std::int64_t now) {
  const auto it = bans.find(key);
  return it != bans.end() && now < it->second.until;
}

}  // namespace

boost::asio::ip::address prefix_network(const boost::asio::ip::address& address) {
  const AddressKey prefix = prefix_of(AddressKey::of(address));
  return canonical_address(boost::asio::ip::address_v6(prefix.bytes));
}

std::string ban_key_text(const Ban& ban) {
  std::string text = ban.address.to_string();
  if (ban.prefix) text += '/' + std::to_string(ban.address.is_v4() ? kPrefixBanBitsV4 : kPrefixBanBitsV6);
  return text;
}

struct alignas(64) BanTable::AddressShard {
  AddressShard(std::size_t capacity, AddressKeyHash hash)
      : bans(16, hash), offenders(capacity, hash), failures(capacity, hash) {}

  // Written under the mutex; read without it by is_banned(), so a table without bans costs no lock.
  void publish_ban_count() { ban_count.store(bans.size(), std::memory_order_release); }

  mutable std::mutex mutex;
  std::atomic<std::size_t> ban_count{0};
  // Never evicted: a ban leaves when it ends (expire()) or is lifted (unban()), nothing else.
  std::unordered_map<AddressKey, Ban, AddressKeyHash> bans;  // including ended ones until expire()
  RecentMap<AddressKey, Offender, AddressKeyHash> offenders;
  RecentMap<AddressKey, FailureWindow, AddressKeyHash> failures;
};

// Keyed by prefix (prefix_of): the prefix bans, and how many addresses of each prefix are banned.
struct alignas(64) BanTable::PrefixShard {
  explicit PrefixShard(AddressKeyHash hash)
      : bans(16, hash), offenders(16, hash), banned_addresses(16, hash) {}

  // Also into the table's total, which lets is_banned() skip the prefix lookup of a table
  // without prefix bans (the usual case) from one atomic load.
  void publish_ban_count(std::atomic<std::size_t>& total) {
    const std::size_t before = ban_count.exchange(bans.size(), std::memory_order_acq_rel);
    total.fetch_add(bans.size() - before, std::memory_order_acq_rel);  // modular: may subtract
  }

  mutable std::mutex mutex;
  std::atomic<std::size_t> ban_count{0};
  std::unordered_map<AddressKey, Ban, AddressKeyHash> bans;  // including ended ones until expire()
  // Ended prefix bans, for offence_memory_seconds: no more entries than prefix bans made.
  std::unordered_map<AddressKey, Offender, AddressKeyHash> offenders;
  // No more entries than address bans: an entry goes when its count falls to zero.
  std::unordered_map<AddressKey, unsigned, AddressKeyHash> banned_addresses;
};

struct alignas(64) BanTable::UserShard {
  UserShard(std::size_t capacity, UserNameHash hash) : failures(capacity, hash) {}

  mutable std::mutex mutex;
  RecentMap<std::string, FailureWindow, UserNameHash> failures;
};

// Bans decided here and not yet taken by take_new_bans(); its own lock, never held with another.
struct BanTable::NewBans {
  std::mutex mutex;
  std::deque<Ban> queue;
};

BanTable::BanTable(BanPolicy policy)
    : policy_(std::move(policy)),
      seed_(random_seed()),
      bans_per_shard_(std::max<std::size_t>(policy_.max_tracked / kShards, 1)),
      new_bans_(std::make_unique<NewBans>()) {
  for (std::size_t i = 0; i < kShards; ++i) {
    address_shards_.push_back(std::make_unique<AddressShard>(bans_per_shard_, AddressKeyHash{seed_}));
    prefix_shards_.push_back(std::make_unique<PrefixShard>(AddressKeyHash{seed_}));
    user_shards_.push_back(std::make_unique<UserShard>(bans_per_shard_, UserNameHash{seed_}));
  }
}

BanTable::~BanTable() = default;

BanTable::AddressShard& BanTable::address_shard(const AddressKey& key) const {
  return *address_shards_[AddressKeyHash{seed_}(key) >> kShardShift];
}

BanTable::PrefixShard& BanTable::prefix_shard(const AddressKey& prefix) const {
  return *prefix_shards_[AddressKeyHash{seed_}(prefix) >> kShardShift];
}

BanTable::UserShard& BanTable::user_shard(std::string_view user) const {
  return *user_shards_[AddressKeyHash::mix(std::hash<std::string_view>{}(user) ^ seed_) >> kShardShift];
}

bool BanTable::exempt(const boost::asio::ip::address& source) const {
  return policy_.never_ban.contains(source) || policy_.trusted_peers.contains(source);
}

bool BanTable::is_banned(const boost::asio::ip::address& source, std::int64_t now) const {
  const AddressKey key = AddressKey::of(source);
  const AddressShard& shard = address_shard(key);
  if (shard.ban_count.load(std::memory_order_acquire) != 0) {
    const std::lock_guard lock(shard.mutex);
    if (live(shard.bans, key, now)) return true;
  }
  // A table without prefix bans answers here from one more atomic load.
  if (prefix_bans_.load(std::memory_order_acquire) == 0) return false;
  const AddressKey prefix = prefix_of(key);
  const PrefixShard& prefixes = prefix_shard(prefix);
  if (prefixes.ban_count.load(std::memory_order_acquire) == 0) return false;
  {
    const std::lock_guard lock(prefixes.mutex);
    if (!live(prefixes.bans, prefix, now)) return false;
  }
  // A prefix covers addresses nobody judged: the allow-listed ones in it stay served.
  return !exempt(source);
}

std::optional<Ban> BanTable::record_failure(const boost::asio::ip::address& source, std::string_view user,
                                            std::int64_t now) {
  if (policy_.threshold == 0 || exempt(source)) return std::nullopt;
  bool user_over_threshold = false;
  const std::string_view name = user.substr(0, kMaxUserName);
  if (!name.empty()) {
    // Its own lock, released before the address shard's: no thread ever holds two.
    UserShard& shard = user_shard(name);
    const std::lock_guard lock(shard.mutex);
    FailureWindow& window = shard.failures.touch(std::string(name));
    user_over_threshold = window.record(now, policy_.window_seconds, policy_.threshold) >= policy_.threshold;
  }
  return count_against_address(source, now,
                               user_over_threshold ? Verdict::user_over_threshold : Verdict::count, name, {});
}

std::optional<Ban> BanTable::record_offence(const boost::asio::ip::address& source, std::string_view reason,
                                            SourceProof proof, std::int64_t now) {
  if (policy_.threshold == 0 || exempt(source)) return std::nullopt;
  // An attack tool announced itself from an address that answered our handshake: no doubt is
  // left, so the first request bans. From a datagram it may be anyone's address.
  return count_against_address(source, now,
                               proof == SourceProof::handshake ? Verdict::proven_offence : Verdict::count, {},
                               reason.empty() ? "attack tool" : reason);
}

std::optional<Ban> BanTable::count_against_address(const boost::asio::ip::address& source, std::int64_t now,
                                                   Verdict verdict, std::string_view user,
                                                   std::string_view offence_reason) {
  const AddressKey key = AddressKey::of(source);
  AddressShard& shard = address_shard(key);
  std::optional<Ban> made;
  bool new_entry = false;
  {
    const std::lock_guard lock(shard.mutex);
    const auto current = shard.bans.find(key);
    // Already banned: its packets are dropped before they get here, except those in flight.
    if (current != shard.bans.end() && now < current->second.until) return std::nullopt;

    // The memory bound: with this shard full of bans, a source not tracked yet stays untracked.
    // A handshake proved the source real, and a real address costs the attacker one each.
    const bool proven = verdict == Verdict::proven_offence;
    if (shard.bans.size() >= bans_per_shard_ && !proven && !shard.failures.contains(key)) return std::nullopt;

    std::size_t count = 0;
    if (!proven) count = shard.failures.touch(key).record(now, policy_.window_seconds, policy_.threshold);
    const bool address_over_threshold = count >= policy_.threshold;
    if (!address_over_threshold && verdict == Verdict::count) return std::nullopt;
    shard.failures.erase(key);  // a fresh count when the ban ends

    // A repeat offence doubles the ban: count the bans that ended less than offence_memory ago,
    // whether expire() has moved them to the offenders yet or not.
    unsigned previous = 0;
    std::int64_t previous_until = 0;
    if (current != shard.bans.end()) {
      previous = current->second.offences;
      previous_until = current->second.until;
    } else if (const Offender* offender = shard.offenders.find(key)) {
      previous = offender->offences;
      previous_until = offender->until;
    }
    const bool remembered = previous > 0 && now - previous_until < policy_.offence_memory_seconds;
    const unsigned offences = remembered ? previous + 1 : 1;

    Ban ban{canonical_address(source), now, now + ban_length(offences), offences, {}};
    if (!offence_reason.empty() && address_over_threshold) {
      ban.reason = std::string(offence_reason) + ": " + std::to_string(count) + " datagrams within " +
                   std::to_string(policy_.window_seconds) + " s";
    } else if (!offence_reason.empty()) {
      ban.reason = std::string(offence_reason);
    } else if (address_over_threshold) {
      ban.reason = std::to_string(count) + " failed authentications within " +
                   std::to_string(policy_.window_seconds) + " s";
    } else {
      ban.reason = "failed authentications for user '" + printable(user) + "' from several addresses";
    }
    new_entry = current == shard.bans.end();
    shard.offenders.erase(key);
    shard.bans.insert_or_assign(key, ban);
    shard.publish_ban_count();
    made = std::move(ban);
  }
  // An ended ban still in the table was counted in its prefix already. Only a source that proved
  // it receives (a handshake, or a wrong password answering a nonce bound to its address) may
  // tip its prefix into a ban: forged scanner datagrams must not take a whole network down.
  const bool proven_source = verdict == Verdict::proven_offence || offence_reason.empty();
  const std::optional<Ban> prefix =
      new_entry ? count_banned_in_prefix(made->address, 1, proven_source, now) : std::nullopt;
  remember_new({&made, &prefix});
  return made;
}

std::optional<Ban> BanTable::count_banned_in_prefix(const boost::asio::ip::address& address, int delta,
                                                    bool may_ban, std::int64_t now) {
  if (policy_.prefix_threshold == 0) return std::nullopt;
  const AddressKey prefix = prefix_of(AddressKey::of(address));
  PrefixShard& shard = prefix_shard(prefix);
  const std::lock_guard lock(shard.mutex);
  if (delta < 0) {
    const auto it = shard.banned_addresses.find(prefix);
    if (it != shard.banned_addresses.end() && --it->second == 0) shard.banned_addresses.erase(it);
    return std::nullopt;
  }
  const unsigned banned = ++shard.banned_addresses[prefix];
  if (banned < policy_.prefix_threshold || !may_ban) return std::nullopt;
  const auto current = shard.bans.find(prefix);
  if (current != shard.bans.end() && now < current->second.until) return std::nullopt;
  // A prefix banned again soon after its last ban ended escalates like an address.
  Offender previous;
  if (current != shard.bans.end()) {
    previous = Offender{current->second.offences, current->second.until};
  } else if (const auto offender = shard.offenders.find(prefix); offender != shard.offenders.end()) {
    previous = offender->second;
  }
  const bool remembered = previous.offences > 0 && now - previous.until < policy_.offence_memory_seconds;
  const unsigned offences = remembered ? previous.offences + 1 : 1;
  Ban ban{prefix_network(address),
          now,
          now + ban_length(offences),
          offences,
          std::to_string(banned) + " banned addresses in the prefix",
          true};
  shard.offenders.erase(prefix);
  shard.bans.insert_or_assign(prefix, ban);
  shard.publish_ban_count(prefix_bans_);
  return ban;
}

void BanTable::remember_new(std::initializer_list<const std::optional<Ban>*> bans) {
  const std::lock_guard lock(new_bans_->mutex);
  for (const std::optional<Ban>* ban : bans) {
    if (!*ban) continue;
    // Bounded like the rest: when nobody takes them (no data_dir) or the disk falls behind, the
    // oldest go unsaved. They stay in force all the same; only a restart would forget them.
    if (new_bans_->queue.size() >= policy_.max_tracked) new_bans_->queue.pop_front();
    new_bans_->queue.push_back(**ban);
  }
}

std::vector<Ban> BanTable::take_new_bans(std::size_t most) {
  const std::lock_guard lock(new_bans_->mutex);
  const std::size_t count = std::min(most, new_bans_->queue.size());
  std::vector<Ban> taken(
      std::make_move_iterator(new_bans_->queue.begin()),
      std::make_move_iterator(new_bans_->queue.begin() + static_cast<std::ptrdiff_t>(count)));
  new_bans_->queue.erase(new_bans_->queue.begin(),
                         new_bans_->queue.begin() + static_cast<std::ptrdiff_t>(count));
  return taken;
}

std::int64_t BanTable::ban_length(unsigned offences) const {
  const std::int64_t cap = policy_.max_ban_seconds;
  std::int64_t length = std::min(policy_.ban_seconds, cap);
  for (unsigned i = 1; i < offences && length < cap; ++i) {
    length = length > cap / 2 ? cap : length * 2;  // no overflow: doubling stops at the cap
  }
  return length;
}

bool BanTable::ban(Ban ban) {
  ban.offences = std::max(ban.offences, 1u);
  if (ban.prefix) {
    const AddressKey prefix = prefix_of(AddressKey::of(ban.address));
    ban.address = prefix_network(ban.address);
    PrefixShard& shard = prefix_shard(prefix);
    const std::lock_guard lock(shard.mutex);
    shard.bans.insert_or_assign(prefix, std::move(ban));
    shard.publish_ban_count(prefix_bans_);
    return true;
  }
  if (exempt(ban.address)) return false;
  ban.address = canonical_address(ban.address);
  const AddressKey key = AddressKey::of(ban.address);
  const boost::asio::ip::address address = ban.address;
  bool new_entry = false;
  {
    AddressShard& shard = address_shard(key);
    const std::lock_guard lock(shard.mutex);
    shard.offenders.erase(key);
    new_entry = shard.bans.insert_or_assign(key, std::move(ban)).second;
    shard.publish_ban_count();
  }
  // Counted, so that its end is counted off too, but it bans no prefix: its `since` may be long
  // past (a ban loaded at start-up), and the next ban decided here judges the prefix.
  if (new_entry) count_banned_in_prefix(address, 1, false, 0);
  return true;
}

bool BanTable::unban(const boost::asio::ip::address& source) {
  const AddressKey key = AddressKey::of(source);
  bool removed = false;
  {
    AddressShard& shard = address_shard(key);
    const std::lock_guard lock(shard.mutex);
    removed = shard.bans.erase(key) > 0;
    shard.offenders.erase(key);
    shard.failures.erase(key);
    shard.publish_ban_count();
  }
  if (removed) count_banned_in_prefix(source, -1, false, 0);
  return removed;
}

bool BanTable::unban_prefix(const boost::asio::ip::address& network) {
  const AddressKey prefix = prefix_of(AddressKey::of(network));
  PrefixShard& shard = prefix_shard(prefix);
  const std::lock_guard lock(shard.mutex);
  const bool removed = shard.bans.erase(prefix) > 0;
  shard.publish_ban_count(prefix_bans_);
  return removed;
}

std::vector<Ban> BanTable::list(std::int64_t now) const {
  std::vector<Ban> live_bans;
  for (const auto& shard : address_shards_) {
    const std::lock_guard lock(shard->mutex);
    for (const auto& [key, ban] : shard->bans) {
      if (now < ban.until) live_bans.push_back(ban);
    }
  }
  for (const auto& shard : prefix_shards_) {
    const std::lock_guard lock(shard->mutex);
    for (const auto& [key, ban] : shard->bans) {
      if (now < ban.until) live_bans.push_back(ban);
    }
  }
  std::sort(live_bans.begin(), live_bans.end(), [](const Ban& a, const Ban& b) {
    return std::tie(a.address, a.prefix) < std::tie(b.address, b.prefix);
  });
  return live_bans;
}

void BanTable::expire(std::int64_t now) {
  std::vector<boost::asio::ip::address> ended;
  for (const auto& shard : address_shards_) {
    {
      const std::lock_guard lock(shard->mutex);
      std::erase_if(shard->bans, [&](const auto& entry) {
        const auto& [key, ban] = entry;
        if (now < ban.until) return false;
        shard->offenders.touch(key) = Offender{ban.offences, ban.until};
        ended.push_back(ban.address);
        return true;
      });
      shard->offenders.erase_if([&](const AddressKey&, const Offender& offender) {
        return now - offender.until >= policy_.offence_memory_seconds;
      });
      shard->failures.erase_if([&](const AddressKey&, const FailureWindow& window) {
        return window.stale(now, policy_.window_seconds);
      });
      shard->publish_ban_count();
    }
    // After the shard's lock is released: no thread ever holds two.
    for (const auto& address : ended) count_banned_in_prefix(address, -1, false, now);
    ended.clear();
  }
  for (const auto& shard : prefix_shards_) {
    const std::lock_guard lock(shard->mutex);
    std::erase_if(shard->bans, [&](const auto& entry) {
      const auto& [prefix, ban] = entry;
      if (now < ban.until) return false;
      shard->offenders.insert_or_assign(prefix, Offender{ban.offences, ban.until});
      return true;
    });
    std::erase_if(shard->offenders, [&](const auto& entry) {
      return now - entry.second.until >= policy_.offence_memory_seconds;
    });
    shard->publish_ban_count(prefix_bans_);
  }
  for (const auto& shard : user_shards_) {
    const std::lock_guard lock(shard->mutex);
    shard->failures.erase_if([&](const std::string&, const FailureWindow& window) {
      return window.stale(now, policy_.window_seconds);
    });
  }
}

std::size_t BanTable::size() const {
  std::size_t total = 0;
  for (const auto& shard : address_shards_) total += shard->ban_count.load(std::memory_order_acquire);
  return total + prefix_bans();
}

std::size_t BanTable::prefix_bans() const { return prefix_bans_.load(std::memory_order_acquire); }

std::size_t BanTable::tracked_failure_keys() const {
  std::size_t total = 0;
  for (const auto& shard : address_shards_) {
    const std::lock_guard lock(shard->mutex);
    total += shard->failures.size();
  }
  for (const auto& shard : user_shards_) {
    const std::lock_guard lock(shard->mutex);
    total += shard->failures.size();
  }
  return total;
}

}  // namespace osprey::security

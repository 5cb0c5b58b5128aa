#include "security/ban_table.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <list>
#include <mutex>
#include <random>
#include <unordered_map>

#include "security/address_key.hpp"

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

// A hash map that remembers the order its entries were last touched, to forget the least
// recently touched one when full (O(1): a list in recency order plus an index into it). This is
// what bounds every table here against a flood of new keys.
template <typename Key, typename Value, typename Hash>
class RecentMap {
 public:
  RecentMap(std::size_t capacity, Hash hash)
      : capacity_(std::max<std::size_t>(capacity, 1)), index_(16, hash) {}

  // Lookup without touching: readers do not reorder.
  const Value* find(const Key& key) const {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }

  // The entry for `key`, made the most recent; created from `fresh` when absent, after
  // forgetting the least recent entry if the map is full.
  Value& touch(const Key& key, Value fresh = {}) {
    if (const auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return it->second->second;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, std::move(fresh));
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }

  bool erase(const Key& key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  // Erases the entries for which drop(key, value) is true.
  template <typename Drop>
  void erase_if(Drop&& drop) {
    for (auto it = order_.begin(); it != order_.end();) {
      if (drop(it->first, it->second)) {
        index_.erase(it->first);
        it = order_.erase(it);
      } else {
        ++it;
      }
    }
  }

  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const auto& [key, value] : order_) visit(key, value);
  }

  std::size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<Key, Value>;
  std::size_t capacity_;
  std::list<Entry> order_;  // most recently touched first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
};

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

}  // namespace

struct alignas(64) BanTable::AddressShard {
  AddressShard(std::size_t capacity, AddressKeyHash hash)
      : bans(capacity, hash), offenders(capacity, hash), failures(capacity, hash) {}

  // Written under the mutex; read without it by is_banned(), so a table without bans costs no lock.
  void publish_ban_count() { ban_count.store(bans.size(), std::memory_order_release); }

  mutable std::mutex mutex;
  std::atomic<std::size_t> ban_count{0};
  RecentMap<AddressKey, Ban, AddressKeyHash> bans;  // including ended ones until expire()
  RecentMap<AddressKey, Offender, AddressKeyHash> offenders;
  RecentMap<AddressKey, FailureWindow, AddressKeyHash> failures;
};

struct alignas(64) BanTable::UserShard {
  UserShard(std::size_t capacity, UserNameHash hash) : failures(capacity, hash) {}

  mutable std::mutex mutex;
  RecentMap<std::string, FailureWindow, UserNameHash> failures;
};

BanTable::BanTable(BanPolicy policy) : policy_(std::move(policy)), seed_(random_seed()) {
  const std::size_t per_shard = std::max<std::size_t>(policy_.max_tracked / kShards, 1);
  for (std::size_t i = 0; i < kShards; ++i) {
    address_shards_.push_back(std::make_unique<AddressShard>(per_shard, AddressKeyHash{seed_}));
    user_shards_.push_back(std::make_unique<UserShard>(per_shard, UserNameHash{seed_}));
  }
}

BanTable::~BanTable() = default;

BanTable::AddressShard& BanTable::address_shard(const boost::asio::ip::address& source) const {
  return *address_shards_[AddressKeyHash{seed_}(AddressKey::of(source)) >> kShardShift];
}

BanTable::UserShard& BanTable::user_shard(std::string_view user) const {
  return *user_shards_[AddressKeyHash::mix(std::hash<std::string_view>{}(user) ^ seed_) >> kShardShift];
}

bool BanTable::is_banned(const boost::asio::ip::address& source, std::int64_t now) const {
  const AddressShard& shard = address_shard(source);
  if (shard.ban_count.load(std::memory_order_acquire) == 0) return false;
  const std::lock_guard lock(shard.mutex);
  const Ban* ban = shard.bans.find(AddressKey::of(source));
  return ban != nullptr && now < ban->until;
}

std::optional<Ban> BanTable::record_failure(const boost::asio::ip::address& source, std::string_view user,
                                            std::int64_t now) {
  if (policy_.threshold == 0 || policy_.never_ban.contains(source)) return std::nullopt;
  bool user_over_threshold = false;
  const std::string_view name = user.substr(0, kMaxUserName);
  if (!name.empty()) {
    // Its own lock, released before the address shard's: no thread ever holds two.
    UserShard& shard = user_shard(name);
    const std::lock_guard lock(shard.mutex);
    FailureWindow& window = shard.failures.touch(std::string(name));
    user_over_threshold = window.record(now, policy_.window_seconds, policy_.threshold) >= policy_.threshold;
  }
  return count_against_address(source, now, user_over_threshold, name, {});
}

std::optional<Ban> BanTable::record_offence(const boost::asio::ip::address& source, std::string_view reason,
                                            std::int64_t now) {
  if (policy_.threshold == 0 || policy_.never_ban.contains(source)) return std::nullopt;
  // An attack tool announced itself: no doubt is left, so the first request bans (and a tool
  // that gives up after one unanswered probe, as svcrack does, is banned all the same).
  return count_against_address(source, now, true, {}, reason.empty() ? "attack tool" : reason);
}

std::optional<Ban> BanTable::count_against_address(const boost::asio::ip::address& source, std::int64_t now,
                                                   bool user_over_threshold, std::string_view user,
                                                   std::string_view offence_reason) {
  const AddressKey key = AddressKey::of(source);
  AddressShard& shard = address_shard(source);
  const std::lock_guard lock(shard.mutex);
  const Ban* current = shard.bans.find(key);
  // Already banned: its packets are dropped before they get here, except those in flight.
  if (current != nullptr && now < current->until) return std::nullopt;

  const std::size_t count = shard.failures.touch(key).record(now, policy_.window_seconds, policy_.threshold);
  const bool address_over_threshold = count >= policy_.threshold;
  if (!address_over_threshold && !user_over_threshold) return std::nullopt;
  shard.failures.erase(key);  // a fresh count when the ban ends

  // A repeat offence doubles the ban: count the bans that ended less than offence_memory ago,
  // whether expire() has moved them to the offenders yet or not.
  unsigned previous = 0;
  std::int64_t previous_until = 0;
  if (current != nullptr) {
    previous = current->offences;
    previous_until = current->until;
  } else if (const Offender* offender = shard.offenders.find(key)) {
    previous = offender->offences;
    previous_until = offender->until;
  }
  const bool remembered = previous > 0 && now - previous_until < policy_.offence_memory_seconds;
  const unsigned offences = remembered ? previous + 1 : 1;

  Ban ban{canonical_address(source), now, now + ban_length(offences), offences, {}};
  if (!offence_reason.empty()) {
    ban.reason = std::string(offence_reason);
  } else if (address_over_threshold) {
    ban.reason = std::to_string(count) + " failed authentications within " +
                 std::to_string(policy_.window_seconds) + " s";
  } else {
    ban.reason = "failed authentications for user '" + printable(user) + "' from several addresses";
  }
  shard.offenders.erase(key);
  shard.bans.touch(key) = ban;
  shard.publish_ban_count();
  return ban;
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
  if (policy_.never_ban.contains(ban.address)) return false;
  ban.address = canonical_address(ban.address);
  ban.offences = std::max(ban.offences, 1u);
  const AddressKey key = AddressKey::of(ban.address);
  AddressShard& shard = address_shard(ban.address);
  const std::lock_guard lock(shard.mutex);
  shard.offenders.erase(key);
  shard.bans.touch(key) = std::move(ban);
  shard.publish_ban_count();
  return true;
}

bool BanTable::unban(const boost::asio::ip::address& source) {
  const AddressKey key = AddressKey::of(source);
  AddressShard& shard = address_shard(source);
  const std::lock_guard lock(shard.mutex);
  const bool removed = shard.bans.erase(key);
  shard.offenders.erase(key);
  shard.failures.erase(key);
  shard.publish_ban_count();
  return removed;
}

std::vector<Ban> BanTable::list(std::int64_t now) const {
  std::vector<Ban> live;
  for (const auto& shard : address_shards_) {
    const std::lock_guard lock(shard->mutex);
    shard->bans.for_each([&](const AddressKey&, const Ban& ban) {
      if (now < ban.until) live.push_back(ban);
    });
  }
  std::sort(live.begin(), live.end(), [](const Ban& a, const Ban& b) { return a.address < b.address; });
  return live;
}

void BanTable::expire(std::int64_t now) {
  for (const auto& shard : address_shards_) {
    const std::lock_guard lock(shard->mutex);
    shard->bans.erase_if([&](const AddressKey& key, const Ban& ban) {
      if (now < ban.until) return false;
      shard->offenders.touch(key) = Offender{ban.offences, ban.until};
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
  return total;
}

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

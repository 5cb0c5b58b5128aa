#pragma once
// A bounded map that forgets its least recently touched entry when full: what keeps the ban
// table's per-key state (failure windows, offenders) at a fixed size under a flood of new keys.

#include <algorithm>
#include <cstddef>
#include <list>
#include <unordered_map>
#include <utility>

namespace osprey::security {

// A hash map that remembers the order its entries were last touched, to forget the least
// recently touched one when full (O(1): a list in recency order plus an index into it). This is
// what bounds the failure windows and offenders against a flood of new keys; never the bans,
// which a flood must not be able to push out.
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
  bool contains(const Key& key) const { return index_.contains(key); }

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

}  // namespace osprey::security

#include "net/connection_counter.hpp"

namespace osprey::net {

std::string ConnectionCounter::key_of(const boost::asio::ip::address& peer) {
  const auto v6 = peer.is_v4() ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, peer.to_v4())
                               : peer.to_v6();
  const auto bytes = v6.to_bytes();
  return std::string(bytes.begin(), bytes.end());
}

bool ConnectionCounter::try_acquire(const boost::asio::ip::address& peer) {
  std::lock_guard lock(mutex_);
  if (total_ >= max_total_) return false;
  std::size_t& count = per_ip_[key_of(peer)];
  if (count >= max_per_ip_) {
    if (count == 0) per_ip_.erase(key_of(peer));
    return false;
  }
  ++count;
  ++total_;
  return true;
}

void ConnectionCounter::release(const boost::asio::ip::address& peer) {
  std::lock_guard lock(mutex_);
  auto it = per_ip_.find(key_of(peer));
  if (it == per_ip_.end()) return;  // a release without acquire is a programmer error; stay consistent
  if (--it->second == 0) per_ip_.erase(it);
  --total_;
}

std::size_t ConnectionCounter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConnectionCounter::for_address(const boost::asio::ip::address& peer) const {
  std::lock_guard lock(mutex_);
  auto it = per_ip_.find(key_of(peer));
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace osprey::net

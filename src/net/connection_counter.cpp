#include "net/connection_counter.hpp"

namespace osprey::net {

namespace {

std::array<unsigned char, 16> bytes_of(const boost::asio::ip::address& peer) {
  const auto v6 = peer.is_v4() ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, peer.to_v4())
                               : peer.to_v6();
  return v6.to_bytes();
}

bool is_v4(const boost::asio::ip::address& peer) { return peer.is_v4() || peer.to_v6().is_v4_mapped(); }

// Decrements a count, dropping the entry at zero so the maps hold only live peers.
void decrement(std::unordered_map<std::string, std::size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) counts.erase(it);
}

std::size_t count_of(const std::unordered_map<std::string, std::size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

ConnectionCounter::ConnectionCounter(ConnectionCaps caps)
    : caps_(caps), shed_above_(caps.total - caps.total / 10) {}

std::string ConnectionCounter::address_key(const boost::asio::ip::address& peer) {
  const auto bytes = bytes_of(peer);
  return std::string(bytes.begin(), bytes.end());
}

std::string ConnectionCounter::network_key(const boost::asio::ip::address& peer) {
  const auto bytes = bytes_of(peer);
  return std::string(bytes.begin(), bytes.begin() + (is_v4(peer) ? 15 : 8));
}

ConnectionCounter::Admission ConnectionCounter::try_admit(const boost::asio::ip::address& peer) {
  const std::string address = address_key(peer);
  const std::string network = network_key(peer);
  std::lock_guard lock(mutex_);
  if (count_of(per_address_, address) >= caps_.per_address) return Admission::address_full;
  if (count_of(per_network_, network) >= caps_.per_network) return Admission::network_full;
  if (total_ >= caps_.total) return Admission::all_full;
  ++per_address_[address];
  ++per_network_[network];
  ++total_;
  return total_ > shed_above_ ? Admission::admitted_near_full : Admission::admitted;
}

bool ConnectionCounter::try_acquire(const boost::asio::ip::address& peer) {
  return admitted(try_admit(peer));
}

void ConnectionCounter::release(const boost::asio::ip::address& peer) {
  const std::string address = address_key(peer);
  std::lock_guard lock(mutex_);
  if (!per_address_.contains(address))
    return;  // a release without acquire is a programmer error; stay consistent
  decrement(per_address_, address);
  decrement(per_network_, network_key(peer));
  --total_;
}

std::size_t ConnectionCounter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConnectionCounter::for_address(const boost::asio::ip::address& peer) const {
  const std::string key = address_key(peer);
  std::lock_guard lock(mutex_);
  return count_of(per_address_, key);
}

std::size_t ConnectionCounter::for_network(const boost::asio::ip::address& peer) const {
  const std::string key = network_key(peer);
  std::lock_guard lock(mutex_);
  return count_of(per_network_, key);
}

}  // namespace osprey::net

#include "net/unproven_connections.hpp"

namespace osprey::net {

unsigned UnprovenConnections::join(ShedRequest request) {
  std::lock_guard lock(mutex_);
  members_.push_back(std::move(request));
  return static_cast<unsigned>(members_.size() - 1);
}

void UnprovenConnections::leave(unsigned member) {
  std::lock_guard lock(mutex_);
  if (member < members_.size()) members_[member] = nullptr;
  std::erase_if(oldest_first_, [member](const auto& item) { return item.second.member == member; });
}

UnprovenConnections::Ticket UnprovenConnections::add(unsigned member, ConnectionId connection) {
  std::lock_guard lock(mutex_);
  const Ticket ticket = next_ticket_++;
  oldest_first_.emplace_hint(oldest_first_.end(), ticket, Entry{member, connection});
  return ticket;
}

void UnprovenConnections::remove(Ticket ticket) {
  std::lock_guard lock(mutex_);
  oldest_first_.erase(ticket);
}

std::optional<UnprovenConnections::Entry> UnprovenConnections::take_oldest() {
  std::lock_guard lock(mutex_);
  if (oldest_first_.empty()) return std::nullopt;
  const Entry entry = oldest_first_.begin()->second;
  oldest_first_.erase(oldest_first_.begin());
  return entry;
}

bool UnprovenConnections::request_shed(const Entry& entry) {
  std::lock_guard lock(mutex_);
  if (entry.member >= members_.size() || !members_[entry.member]) return false;
  members_[entry.member](entry.connection);
  return true;
}

std::size_t UnprovenConnections::size() const {
  std::lock_guard lock(mutex_);
  return oldest_first_.size();
}

}  // namespace osprey::net

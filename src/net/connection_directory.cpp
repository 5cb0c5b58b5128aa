#include "net/connection_directory.hpp"

namespace osprey::net {

unsigned ConnectionDirectory::join(Member& member) {
  std::lock_guard lock(mutex_);
  members_.push_back(&member);
  return static_cast<unsigned>(members_.size() - 1);
}

void ConnectionDirectory::leave(unsigned member) {
  std::lock_guard lock(mutex_);
  if (member < members_.size()) members_[member] = nullptr;
}

void ConnectionDirectory::publish(const Flow& flow, ConnectionRole role) {
  std::lock_guard lock(mutex_);
  auto& index = role == ConnectionRole::accepted ? accepted_ : outbound_;
  index[{flow.protocol, flow.remote.address, flow.remote.port}] = flow;
}

void ConnectionDirectory::withdraw(const Flow& flow) {
  std::lock_guard lock(mutex_);
  const RemoteKey key{flow.protocol, flow.remote.address, flow.remote.port};
  for (auto* index : {&accepted_, &outbound_}) {
    const auto it = index->find(key);
    if (it != index->end() && it->second.connection == flow.connection) index->erase(it);
  }
}

std::optional<Flow> ConnectionDirectory::find(Protocol protocol, const Endpoint& remote,
                                              ConnectionRole role) const {
  std::lock_guard lock(mutex_);
  const auto& index = role == ConnectionRole::accepted ? accepted_ : outbound_;
  const auto it = index.find({protocol, remote.address, remote.port});
  if (it == index.end()) return std::nullopt;
  const unsigned member = member_of(it->second.connection);
  if (member >= members_.size() || members_[member] == nullptr) return std::nullopt;
  return it->second;
}

bool ConnectionDirectory::hand_over(StreamDelivery delivery) {
  // Under the lock: leave() cannot complete while the post is under way, so a member that
  // left is never posted to (its io_context may be about to go away).
  std::lock_guard lock(mutex_);
  const unsigned member = member_of(delivery.flow.connection);
  if (member >= members_.size() || members_[member] == nullptr) return false;
  members_[member]->deliver(std::move(delivery));
  return true;
}

}  // namespace osprey::net

#include "txn/timer_wheel.hpp"

namespace osprey::txn {

TimerWheel::TimerWheel(TimePoint start, Milliseconds tick, std::uint32_t slots)
    : tick_(tick.count() > 0 ? tick : Milliseconds(1)),
      current_(start),
      heads_(slots == 0 ? 1 : slots, kNone) {}

TimerId TimerWheel::schedule(Milliseconds delay, std::uint64_t cookie) {
  std::uint32_t node;
  if (!free_.empty()) {
    node = free_.back();
    free_.pop_back();
  } else {
    node = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  // Round up to whole ticks, at least one: a timer never fires in the tick it was set in.
  auto ticks = static_cast<std::uint64_t>((delay.count() + tick_.count() - 1) / tick_.count());
  if (ticks == 0) ticks = 1;
  auto slot_count = static_cast<std::uint64_t>(heads_.size());
  Node& n = nodes_[node];
  n.cookie = cookie;
  n.rounds = (ticks - 1) / slot_count;
  link(node, static_cast<std::uint32_t>((cursor_ + ticks) % slot_count));
  ++active_;
  return TimerId{node, n.generation};
}

bool TimerWheel::cancel(TimerId id) {
  if (!id.valid() || id.index >= nodes_.size()) return false;
  Node& n = nodes_[id.index];
  if (n.generation != id.generation || n.slot == kNone) return false;
  unlink(id.index);
  release(id.index);
  return true;
}

void TimerWheel::link(std::uint32_t node, std::uint32_t slot) {
  Node& n = nodes_[node];
  std::uint32_t& head = head_of(slot);
  n.slot = slot;
  n.prev = kNone;
  n.next = head;
  if (head != kNone) nodes_[head].prev = node;
  head = node;
}

void TimerWheel::unlink(std::uint32_t node) {
  Node& n = nodes_[node];
  if (n.prev != kNone) {
    nodes_[n.prev].next = n.next;
  } else {
    head_of(n.slot) = n.next;
  }
  if (n.next != kNone) nodes_[n.next].prev = n.prev;
  n.prev = n.next = kNone;
}

void TimerWheel::release(std::uint32_t node) {
  Node& n = nodes_[node];
  n.slot = kNone;
  ++n.generation;  // stale ids can no longer cancel the node's next user
  free_.push_back(node);
  --active_;
}

void TimerWheel::collect_due() {
  std::uint32_t node = heads_[cursor_];
  while (node != kNone) {
    std::uint32_t next = nodes_[node].next;
    if (nodes_[node].rounds == 0) {
      unlink(node);
      link(node, kReady);
    } else {
      --nodes_[node].rounds;
    }
    node = next;
  }
}

}  // namespace osprey::txn

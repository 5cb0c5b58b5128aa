// The table's timers: every transaction's run on one wheel, named by a cookie (slot, timer name,
// side, generation); the table's own, Timer C (§16.6 step 11) and the §9.1 CANCEL guard, beside
// the machines' (§17).
#include "txn/transaction_table_impl.hpp"

#include <type_traits>
#include <variant>

namespace osprey::txn {

void TransactionTable::Impl::advance(TimePoint now) {
  Scope scope(*this);
  wheel_.advance(now, [this](std::uint64_t cookie) { fire(cookie); });
  completed_.expire(wheel_.now());
}

void TransactionTable::Impl::fire(std::uint64_t cookie) {
  const auto index = static_cast<std::uint32_t>(cookie & 0xffffffffu);
  const auto name = static_cast<std::uint8_t>((cookie >> 32) & 0xfu);
  const bool client = ((cookie >> 36) & 1u) != 0;
  const std::uint64_t generation = cookie >> 37;
  auto& slots = client ? client_slots_ : server_slots_;
  if (index >= slots.size()) return;
  Transaction* t = slots[index].transaction.get();
  if (t == nullptr || t->ended || (t->generation & kGenerationMask) != generation) return;
  t->timers[name] = {};
  if (name == kTimerC) {
    // §16.8: with a provisional response, the branch is CANCELled (and the §9.1 guard bounds the
    // wait for its final response); without one, Timer B has already ended it as a 408.
    if (auto* invite = std::get_if<ClientInvite>(&t->machine);
        invite != nullptr && invite->state() == ClientInvite::State::proceeding) {
      (void)send_cancel(t->client_id());
    }
    return;
  }
  if (name == kCancelGuard) {
    // §9.1: no final response 64*T1 after the CANCEL: the INVITE is considered cancelled. The
    // TU hears it as a timeout, like Timer B.
    if (auto* invite = std::get_if<ClientInvite>(&t->machine);
        invite != nullptr && (invite->state() == ClientInvite::State::calling ||
                              invite->state() == ClientInvite::State::proceeding)) {
      const ClientTransactionId id = t->client_id();
      end(*t);
      user_.on_client_failure(id, 408);
    }
    return;
  }
  std::visit(
      [name](auto& machine) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(machine)>, std::monostate>) {
          machine.on_timer(static_cast<TimerName>(name));
        }
      },
      t->machine);
}

}  // namespace osprey::txn

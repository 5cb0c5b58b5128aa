// CANCEL both ways (RFC 3261 §9): one received for a server INVITE transaction (§9.2), and the
// CANCEL of one of our client INVITE transactions (§9.1), held back until a provisional.
#include "txn/transaction_table_impl.hpp"

#include <utility>

#include "sip/builder.hpp"
#include "txn/cancel_builder.hpp"
#include "txn/transaction_key.hpp"

namespace osprey::txn {

void TransactionTable::Impl::receive_cancel(sip::Message cancel, const net::Flow& flow, std::string key) {
  // §9.2: the CANCEL's own key with method INVITE finds the transaction to cancel.
  Transaction* invite_transaction = find(server_keys_, false, invite_key_for_cancel(cancel));
  auto* invite =
      invite_transaction != nullptr ? std::get_if<ServerInvite>(&invite_transaction->machine) : nullptr;
  if (invite == nullptr) {
    // Another worker may hold the INVITE (the CANCEL came from another source port, or on
    // another connection): the TU passes it on.
    if (user_.on_unmatched_cancel(cancel, flow)) return;
    if (options_.forward_unmatched_cancels) {
      // §16.10: no response context; the TU judges and forwards it as a request of its own.
      Transaction& t = open_server(cancel, flow, std::move(key));
      user_.on_request(t.server_id(), cancel, flow);
      return;
    }
    // §9.2: "the UAS SHOULD respond to the CANCEL with a 481".
    ++counters_.cancels_unmatched;
    answer_alone(std::move(cancel), flow, std::move(key), 481);
    return;
  }
  // §9.2: the CANCEL gets its 200 in any case; only an INVITE without a final response yet is
  // the TU's to cancel. The CANCEL's own server transaction absorbs its retransmissions.
  const bool pending = invite->state() == ServerInvite::State::proceeding;
  const ServerTransactionId invite_id = invite_transaction->server_id();
  // §9.2: the To tag of the 200 SHOULD equal the one of the INVITE's responses.
  std::string tag = invite_transaction->to_tag.empty() ? random_hex() : invite_transaction->to_tag;
  std::string ok = sip::MessageBuilder::response_to(cancel, 200, {}, tag).serialize();
  Transaction& t = open_server(cancel, flow, std::move(key));
  if (auto* machine = std::get_if<ServerNonInvite>(&t.machine);
      machine && machine->respond(std::move(ok), 200)) {
    compact_if_completed(t, *machine);
  }
  if (pending && live(false, invite_id.index, invite_id.generation) != nullptr)
    user_.on_cancel(invite_id, cancel);
}

std::optional<ClientTransactionId> TransactionTable::Impl::send_cancel(ClientTransactionId invite_id) {
  Scope scope(*this);
  Transaction* invite_transaction = live(true, invite_id.index, invite_id.generation);
  if (invite_transaction == nullptr) return std::nullopt;
  auto* machine = std::get_if<ClientInvite>(&invite_transaction->machine);
  if (machine == nullptr) return std::nullopt;
  const auto state = machine->state();
  if (state != ClientInvite::State::calling && state != ClientInvite::State::proceeding) return std::nullopt;
  if (invite_transaction->cancel) {
    if (live(true, invite_transaction->cancel->index, invite_transaction->cancel->generation) != nullptr) {
      return invite_transaction->cancel;
    }
    return std::nullopt;  // sent once, and over: a CANCEL has no second chance (§9.1)
  }

  // §9.1: the CANCEL is built from the INVITE as sent.
  if (machine->invite() == nullptr) return std::nullopt;  // not in Calling or Proceeding
  std::string bytes = build_cancel(*machine->invite());
  auto parsed = sip::Message::parse(bytes);
  if (!parsed) return std::nullopt;
  std::string key = client_key(*parsed);
  if (key.empty() || client_keys_.count(key) != 0) return std::nullopt;

  Transaction& t = allocate(true);
  t.key = std::move(key);
  // §9.1: the CANCEL goes where the INVITE went: same destination, same connection.
  t.target = invite_transaction->target;
  t.flow = invite_transaction->flow;
  t.held_cancel = std::move(bytes);
  t.cancels = invite_id;
  index(client_keys_, t.key, t.index);
  invite_transaction->cancel = t.client_id();
  const ClientTransactionId id = t.client_id();
  if (state == ClientInvite::State::proceeding) {
    t.starting = true;
    start_cancel(t);
    t.starting = false;
    if (t.start_failed) return std::nullopt;
  }
  // Calling: §9.1 says wait for a provisional response; deliver_response starts it then.
  return id;
}

void TransactionTable::Impl::start_cancel(Transaction& cancel) {
  std::string bytes = std::move(*cancel.held_cancel);
  cancel.held_cancel.reset();
  const TransportKind kind =
      net::is_reliable(cancel.target.protocol) ? TransportKind::reliable : TransportKind::unreliable;
  cancel.machine.emplace<ClientNonInvite>(cancel, settings_).start(std::move(bytes), kind);
  // §9.1: if the INVITE has no final response 64*T1 after the CANCEL, it is considered
  // cancelled: Timer B no longer runs in Proceeding, so without this guard a silent peer
  // would keep the transaction forever.
  if (cancel.cancels) {
    if (Transaction* invite = live(true, cancel.cancels->index, cancel.cancels->generation)) {
      start_timer(*invite, kCancelGuard, 64 * settings_.t1);
    }
  }
}

}  // namespace osprey::txn

// The TU's requests (§17.1): osprey's Via on top, the transport of §18.1.1, a client
// transaction for each; the ACK for a 2xx without one (§13.2.2.4); and client transactions that
// lose their connection (§17.1.4).
#include "txn/transaction_table_impl.hpp"

#include <cstdio>
#include <utility>

#include "txn/transaction_key.hpp"

namespace osprey::txn {

std::string TransactionTable::Impl::random_hex() {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(rng_()));
  return std::string(text, 16);
}

std::optional<TransactionTable::Impl::Prepared> TransactionTable::Impl::prepare(sip::Message& request,
                                                                                Target target) {
  auto sent_by = transport_.sent_by(target.protocol, target.destination);
  if (!sent_by) return std::nullopt;
  // §8.1.1.7: a branch unique across space and time, starting with the magic cookie. §18.1.1:
  // the Via names the transport and the address where responses are expected; RFC 3581 §3:
  // rport asks for them at the source port, which gets through NATs.
  const std::string branch = std::string(sip::kMagicCookie) + options_.branch_prefix + random_hex();
  const auto via = [&branch](net::Protocol protocol, const net::Endpoint& at) {
    return "SIP/2.0/" + std::string(net::via_token(protocol)) + " " + net::to_string(at) +
           ";branch=" + branch + ";rport";
  };
  request.prepend_via(via(target.protocol, *sent_by));
  std::string bytes = request.serialize();
  if (target.protocol == net::Protocol::udp && !target.keep_udp && bytes.size() > kUdpSizeLimit) {
    // §18.1.1: larger than 1300 bytes with the path MTU unknown: TCP, if osprey listens on it
    // for this address family; otherwise UDP is all there is.
    if (auto tcp = transport_.sent_by(net::Protocol::tcp, target.destination)) {
      request.remove_first_element(sip::HeaderId::via);
      target.protocol = net::Protocol::tcp;
      target.peer_flow = false;  // osprey's own choice of transport: no peer's connection
      request.prepend_via(via(target.protocol, *tcp));
      bytes = request.serialize();
    }
  }
  return Prepared{std::move(bytes), std::move(target), branch};
}

void TransactionTable::Impl::start_client(Transaction& t, std::optional<sip::Message> invite,
                                          std::string bytes) {
  const TransportKind kind =
      net::is_reliable(t.target.protocol) ? TransportKind::reliable : TransportKind::unreliable;
  t.starting = true;
  if (invite) {
    t.machine.emplace<ClientInvite>(t, settings_, std::move(*invite)).start(kind);
  } else {
    t.machine.emplace<ClientNonInvite>(t, settings_).start(std::move(bytes), kind);
  }
  t.starting = false;
}

std::optional<ClientTransactionId> TransactionTable::Impl::send_request(sip::Message request,
                                                                        const Target& target) {
  Scope scope(*this);
  if (!request.is_request() || request.method() == sip::Method::ack) return std::nullopt;
  auto prepared = prepare(request, target);
  if (!prepared) return std::nullopt;
  std::optional<sip::Message> invite;
  std::string key;
  if (request.method() == sip::Method::invite) {
    // The INVITE machine needs the message as it goes on the wire (our Via on top), and the
    // parsed fields of an edited Message describe it as it was: parse the bytes once.
    auto sent = sip::Message::parse(prepared->bytes);
    if (!sent) return std::nullopt;
    key = client_key(*sent);
    invite = std::move(*sent);
  } else {
    // The others keep only bytes, and their key is the branch just made and the CSeq method,
    // which no edit changes: no second parse (it cost as much as the forwarding, callgrind).
    if (!request.cseq()) return std::nullopt;
    key = client_key(prepared->branch, request.cseq()->method_text);
  }
  // A 64-bit random branch repeating while the first is alive is not going to happen; should it,
  // the new request must not take over the old one's responses.
  if (key.empty() || client_keys_.count(key) != 0) return std::nullopt;

  Transaction& t = allocate(true);
  t.key = std::move(key);
  t.target = std::move(prepared->target);
  index(client_keys_, t.key, t.index);
  start_client(t, std::move(invite), std::move(prepared->bytes));
  // A failed first send already ended the machine; it is freed when this call returns.
  if (t.start_failed) return std::nullopt;
  if (settings_.timer_c.count() > 0 && std::holds_alternative<ClientInvite>(t.machine)) {
    start_timer(t, kTimerC, settings_.timer_c);  // §16.6 step 11
  }
  return t.client_id();
}

bool TransactionTable::Impl::send_ack(sip::Message ack, const Target& target) {
  Scope scope(*this);
  if (!ack.is_request() || ack.method() != sip::Method::ack) return false;
  auto prepared = prepare(ack, target);
  if (!prepared) return false;
  const Target& to = prepared->target;
  return transport_.send_to(to.protocol, to.destination, prepared->bytes, to.server_name, reuse_for(to))
      .has_value();
}

void TransactionTable::Impl::on_connection_closed(net::ConnectionId connection) {
  Scope scope(*this);
  if (connection == 0) return;  // UDP has no connection to lose
  // A linear pass: connections close far less often than messages arrive, and a per-connection
  // index would have to follow every flow change.
  std::vector<Transaction*> affected;
  for (Slot& slot : client_slots_) {
    Transaction* t = slot.transaction.get();
    if (t != nullptr && !t->ended && t->flow && t->flow->connection == connection) affected.push_back(t);
  }
  // Pointers stay valid: nothing is freed before this Scope closes.
  for (Transaction* t : affected) {
    if (t->ended) continue;
    if (t->held_cancel) {
      end(*t);  // never sent; its INVITE fails on the same connection and is reported
    } else if (auto* invite = std::get_if<ClientInvite>(&t->machine)) {
      invite->on_transport_error();
    } else if (auto* other = std::get_if<ClientNonInvite>(&t->machine)) {
      other->on_transport_error();
    }
  }
}

}  // namespace osprey::txn

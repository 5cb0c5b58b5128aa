#pragma once
// The transaction layer of one worker (RFC 3261 §17): a hash table from transaction key to the
// state machines, one timer wheel driving all their timers, and the clean interface the layer
// above (the TU: proxy, registrar, local services) uses. Nothing here is shared between
// workers: a transaction never crosses threads.
//
// Inbound requests either match a server transaction (retransmissions are absorbed and the last
// response re-sent; ACK for a non-2xx ends its INVITE transaction) or start a new one that is
// handed to the TU. Inbound responses go to the matching client transaction, whose machine
// passes them to the TU. The TU answers server transactions with respond() and starts client
// transactions with send_request().

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/flow.hpp"
#include "net/transport.hpp"
#include "sip/message.hpp"
#include "txn/timer_wheel.hpp"
#include "txn/transaction_env.hpp"

namespace osprey::txn {

// Handles stay valid while the transaction lives; a stale handle is refused, never reused.
struct ServerTransactionId {
  std::uint32_t index = UINT32_MAX;
  std::uint32_t generation = 0;
  friend bool operator==(const ServerTransactionId&, const ServerTransactionId&) = default;
};
struct ClientTransactionId {
  std::uint32_t index = UINT32_MAX;
  std::uint32_t generation = 0;
  friend bool operator==(const ClientTransactionId&, const ClientTransactionId&) = default;
};

// The transaction user: everything the table reports upward, on the worker's thread.
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A new request with its server transaction (never a retransmission, never an ACK or a CANCEL
  // that the table handled). `flow` is where it came from. The TU answers with respond().
  virtual void on_request(ServerTransactionId transaction, const sip::Message& request,
                          const net::Flow& flow) = 0;
  // An ACK that matches no INVITE server transaction: the ACK for a 2xx, which is its own
  // end-to-end request (RFC 3261 §17.2.3, RFC 6026 §7.1), or a stray one.
  virtual void on_ack(const sip::Message& ack, const net::Flow& flow) = 0;
  // RFC 3261 §9.2: a CANCEL matched INVITE server transaction `invite`, which has not sent a
  // final response yet. The table has already answered the CANCEL with 200; the TU decides
  // what happens to the INVITE (a UAS answers it 487, a proxy cancels its branches).
  virtual void on_cancel(ServerTransactionId invite, const sip::Message& cancel) = 0;
  // A CANCEL that matches no INVITE server transaction of this table (§9.2). The TU may take it
  // (true; it may move from `cancel`): another worker may hold its INVITE. False: the table goes
  // on as TableOptions::forward_unmatched_cancels says.
  virtual bool on_unmatched_cancel(sip::Message& /*cancel*/, const net::Flow& /*flow*/) { return false; }
  // A provisional or final response for a client transaction.
  virtual void on_response(ClientTransactionId transaction, const sip::Message& response) = 0;
  // A client transaction ended without a response: 408 after Timer B/F (§17.1.1.2, §17.1.2.2)
  // or 503 after a transport error (§17.1.4, §8.1.3.1). The TU acts as if it got that status.
  virtual void on_client_failure(ClientTransactionId transaction, int status) = 0;
  // A response matching no client transaction (for instance a retransmitted 2xx to an INVITE
  // whose transaction ended): a proxy forwards it statelessly (RFC 3261 §16.7, RFC 6026 §8.2).
  virtual void on_stray_response(const sip::Message& response, const net::Flow& flow) = 0;
};

// Where the table sends a request of the TU.
struct Target {
  net::Protocol protocol = net::Protocol::udp;
  net::Endpoint destination;
  std::string server_name;  // TLS: the name the peer certificate must carry
  // UDP even above §18.1.1's 1300 bytes: the TU tried TCP and the peer refused the connection
  // (a UA with no TCP listener), so the datagram is the only way left.
  bool keep_udp = false;
  // The destination is a peer's own flow, chosen deliberately (RFC 5626 §5.3: the connection a
  // registered UA's REGISTER came on; a dialog's signed flow): a connection that peer opened may
  // carry the request. False: only a connection osprey opened is reused, else a new one is
  // opened (RFC 5923 §5, §11), so that a Contact naming another party's connection cannot
  // steer requests into it.
  bool peer_flow = false;
};

struct TableCounters {
  std::uint64_t retransmissions_absorbed = 0;  // requests that matched a server transaction
  std::uint64_t merged_rejected = 0;           // 482 for merged requests (§8.2.2.2)
  std::uint64_t cancels_unmatched = 0;         // 481 for a CANCEL with no INVITE (§9.2)
  std::uint64_t stray_responses = 0;
};

struct TableOptions {
  // RFC 3261 §8.2.2.2: a UAS answers 482 to a request that forked and reached it twice. A proxy
  // must not (§16.3 step 4: a spiral comes back with a new Request-URI and is forwarded), so a
  // server whose transaction user proxies turns this off and detects loops itself.
  bool reject_merged_requests = true;
  // RFC 3261 §16.10: a proxy with no response context for a CANCEL forwards it. True: a CANCEL
  // matching nothing (and not taken by on_unmatched_cancel) opens a server transaction of its
  // own and goes to TransactionUser::on_request like any new request, for the TU to judge and
  // forward; false: 481 (§9.2, a UAS).
  bool forward_unmatched_cancels = false;
  // Goes after the magic cookie in the branch of every request this table sends, so that a
  // response arriving at another worker can be handed to the one holding the transaction.
  std::string branch_prefix;
};

class TransactionTable {
 public:
  TransactionTable(net::Transport& transport, TransactionUser& user, TimerSettings settings, TimePoint now);
  ~TransactionTable();
  TransactionTable(const TransactionTable&) = delete;
  TransactionTable& operator=(const TransactionTable&) = delete;

  // A parsed message from the network, already through the sanity checks (a request has a top
  // Via, CSeq, Call-ID, From and To; a malformed one got its 400 before this). For a request,
  // the caller has added received/rport to its top Via (§18.2.1, RFC 3581) when needed.
  //  - request matching a server transaction: absorbed, the last response re-sent (§17.2.1/2);
  //  - ACK: ends a non-2xx INVITE transaction (§17.2.1), else goes to TransactionUser::on_ack;
  //  - CANCEL (§9.2): 200 and on_cancel when it matches a pending INVITE transaction, 200 alone
  //    when the INVITE already has a final response; when nothing matches, on_unmatched_cancel,
  //    then 481 or (TableOptions::forward_unmatched_cancels) on_request;
  //  - a request without To tag whose merge key matches a live transaction with another key:
  //    482 Loop Detected (§8.2.2.2);
  //  - anything else: a new server transaction and TransactionUser::on_request.
  //  - response: to its client transaction, or on_stray_response.
  void receive(sip::Message message, const net::Flow& flow);

  // The TU's response for a server transaction, sent where §18.2.2 says (the table computed the
  // destination from the request's top Via and flow). False when the transaction is gone, takes
  // no more responses (a final was sent) or the transport failed.
  bool respond(ServerTransactionId transaction, const sip::Message& response);
  // The same with the response already serialized (MessageBuilder::serialize), which spares a
  // parse on the hot path; `to_tag` is the tag the TU put in its To (for a later CANCEL's 200).
  bool respond(ServerTransactionId transaction, std::string response, int status, std::string_view to_tag);

  // RFC 4320 §4.2: the TU gives up on non-INVITE server transaction `transaction` without a
  // final response (ServerNonInvite::abandon). False when it is gone, answered or an INVITE.
  bool abandon(ServerTransactionId transaction);

  // Sends a request of the TU as a client transaction (§17.1). The table puts osprey's Via on
  // top (new branch with the magic cookie, rport; transport and sent-by of the flow actually
  // used, §18.1.1: a UDP request larger than 1300 bytes goes over TCP when osprey has a TCP
  // listener, unless Target::keep_udp) and keeps the request for retransmission. nullopt when it
  // could not be sent at all; the TU treats that as 503 (no on_client_failure follows). ACK is
  // refused (nullopt): it is no transaction of its own, see send_ack. A CANCEL sent here is a
  // forwarded one that cancels nothing of ours (§16.10, no response context), a non-INVITE
  // transaction; the CANCEL of one of our INVITEs is send_cancel's.
  std::optional<ClientTransactionId> send_request(sip::Message request, const Target& target);

  // RFC 3261 §13.2.2.4, §17.1.1.3: the ACK for a 2xx is the TU's own request, sent without a
  // transaction: osprey's Via (new branch) goes on top and it is sent once. False when it could
  // not be sent or is no ACK.
  bool send_ack(sip::Message ack, const Target& target);

  // RFC 3261 §9.1: cancels client INVITE transaction `invite`. The CANCEL copies the INVITE's
  // Request-URI, top Via (same branch), Route, From, To, Call-ID and CSeq number, and goes the
  // INVITE's way (same flow) as a non-INVITE client transaction of its own. It is held back
  // until the INVITE has a provisional response, and never sent if a final one comes first
  // (that transaction then ends without an upcall). If the INVITE still has no final response
  // 64*T1 after the CANCEL went out, the INVITE transaction ends with on_client_failure(408).
  // Calling it again returns the same CANCEL; nullopt when the INVITE is gone or has its final.
  std::optional<ClientTransactionId> send_cancel(ClientTransactionId invite);

  // A stream connection closed: client transactions sending on it fail as transport errors
  // (§17.1.4, on_client_failure 503). Server transactions stay: §18.2.2 has their responses try
  // a new connection to the source address and sent-by port when the old one is gone.
  void on_connection_closed(net::ConnectionId connection);
  // Fires due timers. Call often (every tick of the wheel, 10 ms).
  void advance(TimePoint now);

  // Set before traffic.
  void set_options(TableOptions options);

  std::size_t server_count() const;
  std::size_t client_count() const;
  const TableCounters& counters() const { return counters_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  TableCounters counters_;
};

// RFC 3261 §18.2.2 and RFC 3581 §4: where the responses to a request go, from the request's
// top Via and the flow it came on. Streams: the same connection. UDP: with rport, the source
// address and port; without, the `received` address (that is, the source address) and the
// sent-by port (5060 by default). maddr is not supported (multicast) and is ignored.
net::Flow response_flow(const sip::Message& request, const net::Flow& arrival);

// RFC 3261 §18.2.1 and RFC 3581 §4: on receipt, add `received=<source address>` to the top Via
// when its sent-by host differs from the source address, and fill a bare `rport` with the
// source port (adding `received` too, as RFC 3581 requires). No change, and false, when nothing
// is needed; the message is edited otherwise.
bool stamp_received(sip::Message& request, const net::Flow& arrival);

}  // namespace osprey::txn

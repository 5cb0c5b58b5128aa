#pragma once
// The transaction user of a worker: it answers OPTIONS addressed to osprey itself (RFC 3261
// §11.2), hands REGISTER to the registrar, and every other request to the proxy core (RFC 3261
// §16), whose client transactions' upcalls it passes on too. Without a proxy attached, requests
// for users get 404 (DESIGN.md: local services | routing).

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "im/offline_delivery.hpp"
#include "proxy/proxy_core.hpp"
#include "registrar/registrar_service.hpp"
#include "security/access_control.hpp"
#include "sip/local_reply.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::server {

struct ResponderCounters {
  std::uint64_t options_answered = 0;
  std::uint64_t requests_refused = 0;  // answered with an error status
  std::uint64_t stray_responses = 0;
  std::uint64_t proxied = 0;  // handed to the proxy core
};

class LocalResponder final : public txn::TransactionUser {
 public:
  // The methods osprey implements today (the Allow header of OPTIONS, §20.5).
  static constexpr std::string_view kAllow = "OPTIONS, REGISTER, ACK, CANCEL";
  // The option tags osprey implements as a UAS and registrar (RFC 3261 §19.2, §20.37): Path
  // (RFC 3327: stored with the binding, used as Route toward it). Not outbound (RFC 5626: no
  // flow tokens or reg-id) nor gruu (RFC 5627): listing them would be a promise not kept.
  static constexpr std::string_view kSupported = "path";

  LocalResponder();
  // The table answers go through, and the registrar REGISTERs go to (none: 501); set once,
  // before traffic.
  void attach(txn::TransactionTable& table, registrar::RegistrarService* registrar = nullptr) {
    table_ = &table;
    registrar_ = registrar;
  }
  // The proxy the requests go to that osprey does not answer itself; set once, before traffic.
  void attach_proxy(proxy::ProxyCore* proxy) { proxy_ = proxy; }
  // Authentication, identity and dial policy for new requests ; none: everything is
  // let through. Set once, before traffic.
  void attach_access(security::AccessControl* access) { access_ = access; }
  // The delivery of stored MESSAGEs, whose client transactions' upcalls go to it; set once.
  void attach_delivery(im::OfflineDelivery* delivery) { delivery_ = delivery; }

  // Where a CANCEL matching no INVITE here goes first: the worker hands it to the next worker,
  // which may hold the INVITE (true: taken). Set once, before traffic; none: nowhere.
  using CancelRelay = std::function<bool(sip::Message& cancel, const net::Flow& flow)>;
  void attach_cancel_relay(CancelRelay relay) { cancel_relay_ = std::move(relay); }

  void on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                  const net::Flow& flow) override;
  void on_ack(const sip::Message& ack, const net::Flow& flow) override;
  void on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) override;
  bool on_unmatched_cancel(sip::Message& cancel, const net::Flow& flow) override;
  void on_response(txn::ClientTransactionId transaction, const sip::Message& response) override;
  void on_client_failure(txn::ClientTransactionId transaction, int status) override;
  void on_stray_response(const sip::Message& response, const net::Flow& flow) override;

  const ResponderCounters& counters() const { return counters_; }

 private:
  // After route processing: the request is for osprey itself (no Route left, a Request-URI of
  // ours without a user part).
  bool addressed_to_us(const sip::Message& request, const sip::RouteDecision& route) const;
  void answer(txn::ServerTransactionId transaction, const sip::Message& request,
              const sip::LocalReply& reply);

 public:
  // A fresh To tag (RFC 3261 §19.3).
  std::string new_tag();

 private:
  txn::TransactionTable* table_ = nullptr;
  registrar::RegistrarService* registrar_ = nullptr;
  proxy::ProxyCore* proxy_ = nullptr;
  im::OfflineDelivery* delivery_ = nullptr;
  security::AccessControl* access_ = nullptr;
  CancelRelay cancel_relay_;
  std::mt19937_64 random_;
  ResponderCounters counters_;
};

}  // namespace osprey::server

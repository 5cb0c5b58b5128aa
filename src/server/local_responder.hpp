#pragma once
// The transaction user of a worker: every new request goes down the request pipeline
// (proxy/request_pipeline.hpp: route processing, sanity, access control, local services, the
// proxy), and the upcalls of client transactions go to whoever sent them (the proxy core, RFC
// 3261 §16, or the delivery of stored MESSAGEs). Without a proxy attached, requests for users
// get 404 (DESIGN.md: local services | routing).

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "im/offline_delivery.hpp"
#include "net/random_tags.hpp"
#include "proxy/proxy_core.hpp"
#include "proxy/request_pipeline.hpp"
#include "registrar/registrar_service.hpp"
#include "sbc/b2bua.hpp"
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
  static constexpr std::string_view kAllow = proxy::SanityStage::kAllow;

  LocalResponder();
  // The table answers go through, and the registrar REGISTERs go to (none: 501); set once,
  // before traffic.
  void attach(txn::TransactionTable& table, registrar::RegistrarService* registrar = nullptr) {
    table_ = &table;
    pipeline_.attach(table, registrar);
  }
  // The proxy the requests go to that osprey does not answer itself; set once, before traffic.
  void attach_proxy(proxy::ProxyCore* proxy) {
    proxy_ = proxy;
    pipeline_.attach_proxy(proxy);
  }
  // Authentication, identity and dial policy for new requests; none: everything is
  // let through. Set once, before traffic.
  void attach_access(security::AccessControl* access) {
    access_ = access;
    pipeline_.attach_access(access);
  }
  // The worker screens requests before the transaction layer (the scanner filter) here.
  proxy::RequestPipeline& pipeline() { return pipeline_; }
  // SBC mode: the B2BUA takes calls toward trunks and from trunks (offered by the routing
  // stage after access control), the in-dialog requests at its legs' Contacts (before the
  // pipeline: the leg id is their credential) and the upcalls of its transactions. Set once,
  // before traffic; none: no SBC mode.
  void attach_b2bua(sbc::B2bua* b2bua) {
    b2bua_ = b2bua;
    pipeline_.routing().attach_border(b2bua);
  }
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

  ResponderCounters counters() const;

  // A fresh To tag (RFC 3261 §19.3).
  std::string new_tag();

 private:
  txn::TransactionTable* table_ = nullptr;
  proxy::ProxyCore* proxy_ = nullptr;
  im::OfflineDelivery* delivery_ = nullptr;
  security::AccessControl* access_ = nullptr;
  sbc::B2bua* b2bua_ = nullptr;
  CancelRelay cancel_relay_;
  net::RandomTags tags_;
  proxy::RequestPipeline pipeline_;
  std::uint64_t stray_responses_ = 0;
  std::uint64_t cancels_answered_ = 0;  // 487 to a cancelled INVITE without a proxy
};

}  // namespace osprey::server

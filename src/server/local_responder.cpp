#include "server/local_responder.hpp"

#include "sip/builder.hpp"
#include "txn/cancel_builder.hpp"

namespace osprey::server {

LocalResponder::LocalResponder() : pipeline_([this] { return new_tag(); }) {}

std::string LocalResponder::new_tag() { return tags_.tag(); }

ResponderCounters LocalResponder::counters() const {
  return {.options_answered = pipeline_.options_answered(),
          .requests_refused = pipeline_.counters().refused + cancels_answered_,
          .stray_responses = stray_responses_,
          .proxied = pipeline_.proxied()};
}

void LocalResponder::on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                                const net::Flow& flow) {
  if (b2bua_ != nullptr && b2bua_->claims(request)) {
    b2bua_->on_leg_request(transaction, request, flow);
    return;
  }
  pipeline_.run(transaction, request, flow);
}

void LocalResponder::on_ack(const sip::Message& ack, const net::Flow& flow) {
  // An ACK for a 2xx (§13.2.2.4): the proxy forwards it along its route; without one it is
  // stray, and ACKs get no answer (§17). One at a B2BUA leg is that leg's.
  if (b2bua_ != nullptr && b2bua_->on_ack(ack, flow)) return;
  if (proxy_ == nullptr) return;
  bool may_reach_gateway = true;
  std::optional<security::DialogFlow> dialog_flow;
  if (access_ != nullptr) {
    auto route = sip::decide_route(ack, proxy_->identity());
    if (!route || !access_->ack_allowed(ack, flow, *route, &dialog_flow, &may_reach_gateway))
      return;  // a relay attempt
  }
  proxy_->on_ack(ack, flow, may_reach_gateway, dialog_flow);
}

void LocalResponder::on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) {
  if (b2bua_ != nullptr && b2bua_->on_cancel(invite, cancel)) return;
  if (proxy_ != nullptr) {
    proxy_->on_cancel(invite, cancel);  // §16.10: the proxy cancels its branches
    return;
  }
  // §9.2: the UAS answers the cancelled INVITE 487.
  ++cancels_answered_;
  auto response = txn::response_to_cancelled_invite(cancel, new_tag());
  if (response && table_ != nullptr) table_->respond(invite, *response);
}

bool LocalResponder::on_unmatched_cancel(sip::Message& cancel, const net::Flow& flow) {
  return cancel_relay_ && cancel_relay_(cancel, flow);
}

void LocalResponder::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  // Requests are sent by the offline delivery (stored MESSAGEs) and by the proxy (its branches,
  // and the CANCELs of them, which need nothing).
  if (delivery_ != nullptr && delivery_->on_response(transaction, response)) return;
  if (b2bua_ != nullptr && b2bua_->on_response(transaction, response)) return;
  if (proxy_ != nullptr) proxy_->on_response(transaction, response);
}

void LocalResponder::on_client_failure(txn::ClientTransactionId transaction, int status) {
  if (delivery_ != nullptr && delivery_->on_client_failure(transaction, status)) return;
  if (b2bua_ != nullptr && b2bua_->on_client_failure(transaction, status)) return;
  if (proxy_ != nullptr) proxy_->on_client_failure(transaction, status);
}

void LocalResponder::on_stray_response(const sip::Message& response, const net::Flow& flow) {
  // §18.1.2: a response that matches nothing is discarded; a transaction-stateful proxy does
  // not forward it either (RFC 6026 §7.3). The proxy counts it.
  ++stray_responses_;
  if (proxy_ != nullptr) proxy_->on_stray_response(response, flow);
}

}  // namespace osprey::server

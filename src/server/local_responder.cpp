#include "server/local_responder.hpp"

#include <random>

#include "sip/builder.hpp"
#include "sip/validation.hpp"

namespace osprey::server {

LocalResponder::LocalResponder() : random_(std::random_device{}()) {}

std::string LocalResponder::new_tag() {
  // RFC 3261 §19.3: a tag is globally unique and cryptographically random enough (32 bits at least).
  // 15 hex digits, 60 bits: one more would outgrow std::string's inline buffer, and every
  // response osprey makes itself would allocate for its tag.
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t bits = random_();
  std::string tag(15, '0');
  for (char& c : tag) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return tag;
}

void LocalResponder::answer(txn::ServerTransactionId transaction, const sip::Message& request, int status,
                            std::string_view reason, const HeaderList& headers) {
  // §8.2.6.2: a To tag on every response but 100.
  const std::string tag = new_tag();
  auto builder = sip::MessageBuilder::response_to(request, status, reason, tag);
  for (const auto& [name, value] : headers) builder.header(name, value);
  if (table_ != nullptr) table_->respond(transaction, std::move(builder).serialize(), status, tag);
}

void LocalResponder::on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                                const net::Flow& flow) {
  // osprey answers itself what is addressed to it: REGISTER (the registrar), and requests whose
  // Request-URI names osprey without a user (unknown methods: 501) unless they carry a Route,
  // which makes a Request-URI of ours a strict router's (RFC 3261 §16.4, the proxy's).
  // OPTIONS pings match on the host alone: some clients mangle the port (sipsak 0.9.8 writes
  // sip:127.0.0.1:4599 for port 45991). Everything else is the proxy's when there is one.
  const sip::Uri& uri = request.request_uri();
  const auto addressed_to_us = [&] {
    if (uri.has_user || request.count(sip::HeaderId::route) != 0) return false;
    if (!uri.is_sip() || proxy_ == nullptr) return true;
    const proxy::LocalIdentity& identity = proxy_->identity();
    if (request.method() == sip::Method::options) return identity.is_our_host(uri.host);
    return identity.serves_uri(uri) || identity.is_ours(uri);
  };
  const bool for_us = request.method() == sip::Method::register_ || addressed_to_us();
  // Decide, then authorise: §16.4 route processing first, so access control judges the target
  // and next hop the proxy will use, never the raw Request-URI. REGISTER and every request the
  // proxy would route pass the access control; what osprey answers about itself (OPTIONS
  // pings) needs no account.
  std::optional<proxy::RouteDecision> route;
  if (proxy_ != nullptr && !for_us) {
    route = proxy::decide_route(request, proxy_->identity());
    if (!route) {
      ++counters_.requests_refused;
      answer(transaction, request, 400, "Bad Route");
      return;
    }
  }
  AccessDecision access;
  if (access_ != nullptr && (!for_us || request.method() == sip::Method::register_)) {
    access = access_->admit(request, flow, route ? *route : proxy::RouteDecision{});
    if (access.status != 0) {
      ++counters_.requests_refused;
      answer(transaction, request, access.status, access.reason, access.headers);
      return;
    }
  }
  if (route && table_ != nullptr) {
    ++counters_.proxied;
    proxy_->handle_request(transaction, request, flow, *route,
                           proxy::Originator{std::move(access.identity), access.trusted_source,
                                             access.may_reach_gateway, std::move(access.verified_realm)});
    return;
  }
  // §8.2.2: the UAS checks (version, mandatory headers, Require...) before anything else. The
  // intake answered the malformed requests already; what is left here are 416 and 420.
  if (auto rejection = sip::check_request(request, {sip::Role::uas, {}})) {
    ++counters_.requests_refused;
    auto builder = sip::MessageBuilder::response_to(request, rejection->status, rejection->reason, new_tag());
    for (const auto& [name, value] : rejection->headers) builder.header(name, value);
    if (auto response = builder.build(); response && table_ != nullptr)
      table_->respond(transaction, *response);
    return;
  }
  switch (request.method()) {
    case sip::Method::options: {
      // §11.2: what osprey implements. It takes no message bodies yet; application/sdp is the
      // value §11.2 assumes when Accept is absent, stated here so clients need not guess.
      ++counters_.options_answered;
      answer(transaction, request, 200, {},
             {{"Allow", std::string(kAllow)}, {"Accept", "application/sdp"}, {"Supported", ""}});
      return;
    }
    case sip::Method::unknown: {
      // §8.2.1: an unrecognised method gets 501 (and the Allow of what is implemented).
      ++counters_.requests_refused;
      answer(transaction, request, 501, {}, {{"Allow", std::string(kAllow)}});
      return;
    }
    case sip::Method::register_:
      if (registrar_ != nullptr && table_ != nullptr) {
        registrar_->handle(*table_, transaction, request, flow);
        return;
      }
      ++counters_.requests_refused;
      answer(transaction, request, 501, "Registrar Not Enabled");
      return;
    default:
      // For a user without a proxy, or for osprey itself: nothing is served there (§21.4.5).
      ++counters_.requests_refused;
      answer(transaction, request, 404, {});
      return;
  }
}

void LocalResponder::on_ack(const sip::Message& ack, const net::Flow& flow) {
  // An ACK for a 2xx (§13.2.2.4): the proxy forwards it along its route; without one it is
  // stray, and ACKs get no answer (§17).
  if (proxy_ == nullptr) return;
  bool may_reach_gateway = true;
  if (access_ != nullptr) {
    auto route = proxy::decide_route(ack, proxy_->identity());
    if (!route || !access_->ack_allowed(ack, flow, *route)) return;  // a relay attempt
    may_reach_gateway = access_->ack_may_reach_gateway(ack, flow, *route);
  }
  proxy_->on_ack(ack, flow, may_reach_gateway);
}

void LocalResponder::on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) {
  if (proxy_ != nullptr) {
    proxy_->on_cancel(invite, cancel);  // §16.10: the proxy cancels its branches
    return;
  }
  // §9.2: the UAS answers the cancelled INVITE 487. The response copies the CANCEL's Via,
  // From, To and Call-ID, which equal the INVITE's (§9.1), with the INVITE's CSeq method.
  ++counters_.requests_refused;
  auto builder = sip::MessageBuilder::response_to(cancel, 487, {}, new_tag());
  auto response = builder.build();
  if (!response || !cancel.cseq()) return;
  response->replace_header(sip::HeaderId::cseq, std::to_string(cancel.cseq()->number) + " INVITE");
  if (table_ != nullptr) table_->respond(invite, *response);
}

void LocalResponder::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  // Requests are sent by the offline delivery (stored MESSAGEs) and by the proxy (its branches,
  // and the CANCELs of them, which need nothing).
  if (delivery_ != nullptr && delivery_->on_response(transaction, response)) return;
  if (proxy_ != nullptr) proxy_->on_response(transaction, response);
}

void LocalResponder::on_client_failure(txn::ClientTransactionId transaction, int status) {
  if (delivery_ != nullptr && delivery_->on_client_failure(transaction, status)) return;
  if (proxy_ != nullptr) proxy_->on_client_failure(transaction, status);
}

void LocalResponder::on_stray_response(const sip::Message& response, const net::Flow& flow) {
  // §18.1.2: a response that matches nothing is discarded; a transaction-stateful proxy does
  // not forward it either (RFC 6026 §7.3). The proxy counts it.
  ++counters_.stray_responses;
  if (proxy_ != nullptr) proxy_->on_stray_response(response, flow);
}

}  // namespace osprey::server

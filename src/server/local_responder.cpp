#include "server/local_responder.hpp"

#include <random>

#include "sip/builder.hpp"
#include "sip/validation.hpp"
#include "txn/cancel_builder.hpp"

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

void LocalResponder::answer(txn::ServerTransactionId transaction, const sip::Message& request,
                            const sip::LocalReply& reply) {
  // §8.2.6.2: a To tag on every response but 100.
  const std::string tag = new_tag();
  if (table_ != nullptr)
    table_->respond(transaction, sip::serialize_reply(request, reply, tag), reply.status, tag);
}

bool LocalResponder::addressed_to_us(const sip::Message& request, const sip::RouteDecision& route) const {
  // A Route left after ours goes on to its next hop.
  if (!route.routes.empty()) return false;
  const bool rewritten = route.request_uri != request.request_uri().text;
  auto parsed = rewritten ? sip::parse_uri(route.request_uri) : tl::expected<sip::Uri, sip::ParseError>{};
  if (rewritten && !parsed) return false;
  const sip::Uri& uri = rewritten ? *parsed : request.request_uri();
  if (uri.has_user) return false;
  // Not sip/sips (416 from the UAS checks) only when nothing routed it here.
  if (!uri.is_sip()) return !rewritten && request.count(sip::HeaderId::route) == 0;
  const net::LocalIdentity& identity = proxy_->identity();
  // OPTIONS pings match on the host alone: some clients mangle the port (sipsak 0.9.8 writes
  // sip:127.0.0.1:4599 for port 45991).
  if (request.method() == sip::Method::options) return identity.is_our_host(uri.host);
  return identity.serves_uri(uri) || identity.is_ours(uri);
}

void LocalResponder::on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                                const net::Flow& flow) {
  // osprey answers itself what is addressed to it: REGISTER (the registrar), and requests whose
  // Request-URI names osprey without a user (unknown methods: 501) once §16.4 route processing
  // consumed every Route of ours: a phone's keep-alive "OPTIONS sip:osprey" with
  // "Route: <sip:osprey;lr>" (its outbound proxy) is for osprey, while a Request-URI osprey put
  // in a Record-Route is a strict router's and gets the last Route instead (sip/route_decision.hpp).
  // Everything else is the proxy's when there is one.
  //
  // Decide, then authorise: route processing first, so access control judges the target and
  // next hop the proxy will use, never the raw Request-URI. REGISTER and every request the
  // proxy would route pass the access control; what osprey answers about itself (OPTIONS
  // pings, 404, 501) needs no account, and none of it is forwarded anywhere.
  std::optional<sip::RouteDecision> route;
  if (proxy_ != nullptr && request.method() != sip::Method::register_) {
    route = sip::decide_route(request, proxy_->identity());
    if (!route) {
      ++counters_.requests_refused;
      answer(transaction, request, {400, "Bad Route", {}});
      return;
    }
    if (addressed_to_us(request, *route)) route.reset();
  }
  const bool for_us = proxy_ == nullptr || !route;
  if (for_us && request.method() == sip::Method::cancel) {
    // A CANCEL that matched no INVITE, addressed to osprey itself: nothing to cancel (§9.2).
    ++counters_.requests_refused;
    answer(transaction, request, {481, {}, {}});
    return;
  }
  if (for_us) {
    // §8.2.1 before §8.2.2 (and §10.3 step 2 before step 3): the method is inspected first, so an unknown
    // method gets 501 whatever it requires (a Require check first would answer 420 for a method osprey has no
    // part of).
    if (request.method() == sip::Method::unknown) {
      ++counters_.requests_refused;
      answer(transaction, request, {501, {}, {{"Allow", std::string(kAllow)}}});
      return;
    }
    // §8.2.2: the UAS checks (scheme, Require...). The intake answered the malformed requests
    // already; what is left here are 416 and 420 (with Unsupported, §8.2.2.3).
    if (auto rejection = sip::check_request(request, {sip::Role::uas, {std::string(kSupported)}})) {
      ++counters_.requests_refused;
      answer(transaction, request, *rejection);
      return;
    }
  }
  security::AccessDecision access;
  if (access_ != nullptr && (!for_us || request.method() == sip::Method::register_)) {
    access = access_->admit(request, flow, route ? *route : sip::RouteDecision{});
    if (access.answer) {
      ++counters_.requests_refused;
      answer(transaction, request, *access.answer);
      return;
    }
  }
  if (route && table_ != nullptr) {
    ++counters_.proxied;
    proxy_->handle_request(
        transaction, request, flow, *route,
        proxy::Originator{std::move(access.identity), access.trusted_source, access.may_reach_gateway,
                          std::move(access.verified_realm), access.dialog_flow});
    return;
  }
  switch (request.method()) {
    case sip::Method::options: {
      // §11.2: Allow, Accept, Accept-Encoding, Accept-Language and Supported, each as true as
      // osprey can make it. osprey reads no message body addressed to itself (it relays bodies,
      // it does not consume them): an empty Accept says so (§20.1: "no formats are acceptable"),
      // where leaving it out would promise application/sdp (§11.2's default). Bodies are taken
      // unencoded only (§20.2: identity), and osprey's reason phrases are English (§20.3).
      ++counters_.options_answered;
      answer(transaction, request,
             {200,
              {},
              {{"Allow", std::string(kAllow)},
               {"Accept", ""},
               {"Accept-Encoding", "identity"},
               {"Accept-Language", "en"},
               {"Supported", std::string(kSupported)}}});
      return;
    }
    case sip::Method::register_:
      if (registrar_ != nullptr && table_ != nullptr) {
        registrar_->handle(*table_, transaction, request, flow);
        return;
      }
      ++counters_.requests_refused;
      answer(transaction, request, {501, "Registrar Not Enabled", {}});
      return;
    default:
      // For a user without a proxy, or for osprey itself: nothing is served there (§21.4.5).
      ++counters_.requests_refused;
      answer(transaction, request, {404, {}, {}});
      return;
  }
}

void LocalResponder::on_ack(const sip::Message& ack, const net::Flow& flow) {
  // An ACK for a 2xx (§13.2.2.4): the proxy forwards it along its route; without one it is
  // stray, and ACKs get no answer (§17).
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
  if (proxy_ != nullptr) {
    proxy_->on_cancel(invite, cancel);  // §16.10: the proxy cancels its branches
    return;
  }
  // §9.2: the UAS answers the cancelled INVITE 487.
  ++counters_.requests_refused;
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

#include "proxy/request_pipeline.hpp"

namespace osprey::proxy {

RequestPipeline::RequestPipeline(NewTag new_tag) : new_tag_(std::move(new_tag)), chain_(stages()) {}

std::array<RequestStage*, RequestPipeline::kStages> RequestPipeline::stages() {
  // Before this chain, for cost, in the worker (server/worker.cpp): the ban table and the
  // per-source rate limit (before parsing: the cheapest way to shed a flood), the parse and the
  // stateless answers to what is too broken for a transaction (server/intake.cpp), then
  // screen(): the scanner filter (scanner_), before the transaction layer so that a dropped
  // request opens no transaction. Then the transaction layer absorbs retransmissions, and each
  // new request comes here, down this list.
  // Shorter paths, each behaviour of its own:
  //  - ACK for a 2xx (no transaction, §13.2.2.4; no answer possible, §17): route processing and
  //    AccessControl::ack_allowed, then ProxyCore::on_ack forwards it or it is dropped
  //    (server/local_responder.cpp on_ack). No stage may answer it, so it does not run the chain.
  //  - CANCEL matching an INVITE: the transaction layer and ProxyCore::on_cancel (§9.2, §16.10).
  //    One matching nothing is first looked for on the other workers; where none holds its
  //    INVITE, it runs this chain (access control lets it go only on the terms of an ACK).
  //  - The identity edits (RFC 3325 P-Asserted-Identity, §22.3 consumed credentials) are made by
  //    the proxy on the copy it forwards (§16.6 step 1), from what the access stage put in the
  //    context: the received request is the transaction's, and is never edited.
  return {
      &route_,          // §16.4 route processing, once: decide, then authorise (400 Bad Route)
      &sanity_for_us_,  // for osprey itself: §8.2 (481 CANCEL, 501, 416, 420), before any challenge
      &access_,  // authorise the decision: digest, ownership, dial policy, tokens, trust (401/403/407/481)
      &sanity_proxied_,  // for the proxy: §16.3 (416, 483, 420), after the challenge, as a proxy answers
      &local_services_,  // for osprey itself: OPTIONS 200, REGISTER (registrar), 404
      &routing_,         // the proxy: loops, identity on the forwarded copy, targets, MESSAGE storage
  };
}

void RequestPipeline::attach(txn::TransactionTable& table, registrar::RegistrarService* registrar) {
  table_ = &table;
  local_services_.attach(&table, registrar);
}

void RequestPipeline::attach_proxy(ProxyCore* proxy) {
  route_.attach(proxy != nullptr ? &proxy->identity() : nullptr);
  routing_.attach(proxy);
}

void RequestPipeline::attach_access(security::AccessControl* access) { access_.attach(access); }

Verdict RequestPipeline::screen(const sip::Message& request, const net::Flow& flow) {
  if (!scanner_.active()) return Verdict::pass_on;
  RequestContext context({}, request, flow);
  return scanner_.run(context);
}

Verdict RequestPipeline::run(txn::ServerTransactionId transaction, const sip::Message& request,
                             const net::Flow& flow) {
  RequestContext context(transaction, request, flow);
  return run(context);
}

Verdict RequestPipeline::run(RequestContext& context) {
  for (RequestStage* stage : chain_) {
    const Verdict verdict = stage->run(context);
    if (verdict == Verdict::pass_on) continue;
    if (context.reply) send(context);
    return verdict;
  }
  return Verdict::pass_on;  // cannot happen: the local services or the proxy take every request
}

void RequestPipeline::send(const RequestContext& context) {
  ++counters_.answered;
  const int status = context.reply->status;
  if (status >= 300) ++counters_.refused;
  // §8.2.6.2: a To tag on every response but 100.
  const std::string tag = new_tag_();
  if (table_ != nullptr)
    table_->respond(context.transaction, sip::serialize_reply(context.request, *context.reply, tag), status,
                    tag);
}

}  // namespace osprey::proxy

#pragma once
// One step of the request pipeline (DESIGN.md: "a pipeline stage is a small class with one entry
// point that returns what happens next"). The stages of a request and their order are listed in
// one place: RequestPipeline::stages() (proxy/request_pipeline.cpp).

#include <cstdint>
#include <optional>

#include "net/flow.hpp"
#include "proxy/proxy_core.hpp"
#include "sip/local_reply.hpp"
#include "sip/message.hpp"
#include "sip/route_decision.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {

enum class Verdict : std::uint8_t {
  pass_on,   // the next stage takes the request
  answered,  // a final response is sent or on its way (RequestContext::reply, or the stage's own)
  dropped,   // no answer at all (an attack tool: silence tells it nothing)
};

// What the stages learn of one request as it goes down the chain. It lives on the worker's stack
// for the one call that runs the chain: nothing of it is allocated per request but the strings
// a stage fills in.
struct RequestContext {
  RequestContext(txn::ServerTransactionId server, const sip::Message& received, const net::Flow& arrival)
      : transaction(server), request(received), flow(arrival) {}

  txn::ServerTransactionId transaction;
  const sip::Message& request;
  const net::Flow& flow;
  // §16.4 route processing (the effective Request-URI, the Routes left, the next hop, the dialog
  // tokens consumed); nullopt: the request is for osprey itself (local services answer it).
  std::optional<sip::RouteDecision> route;
  // What access control found: the authenticated user (asserted identity, RFC 3325), the
  // verified realm (RFC 3261 §22.3), a trusted source, may_reach_gateway, the dialog's flow.
  Originator originator;
  // Set by a stage that answers with a response of osprey's own; the pipeline sends it.
  std::optional<sip::LocalReply> reply;

  // Answers with `local_reply` (a convenience for stages: `return context.answer({...});`).
  Verdict answer(sip::LocalReply local_reply) {
    reply = std::move(local_reply);
    return Verdict::answered;
  }
  bool for_us() const { return !route.has_value(); }
};

class RequestStage {
 public:
  virtual Verdict run(RequestContext& context) = 0;

 protected:
  RequestStage() = default;
  RequestStage(const RequestStage&) = default;
  RequestStage& operator=(const RequestStage&) = default;
  ~RequestStage() = default;
};

}  // namespace osprey::proxy

#pragma once
// The path of a new request through osprey, as one chain of stages (DESIGN.md: "one pipeline,
// layers that only look down"). The order is in one place, RequestPipeline::stages(), with what
// runs before the chain and which requests take a shorter path.
//
// Cost: the stages are members, made once per worker; a request's RequestContext lives on the
// stack; running the chain is a loop over a fixed array of pointers. Nothing is allocated per
// request that the stages did not allocate before.

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "proxy/request_stage.hpp"
#include "proxy/stage_access.hpp"
#include "proxy/stage_local_services.hpp"
#include "proxy/stage_route.hpp"
#include "proxy/stage_routing.hpp"
#include "proxy/stage_sanity.hpp"
#include "proxy/stage_scanner.hpp"

namespace osprey::proxy {

struct PipelineCounters {
  std::uint64_t answered = 0;  // answered by a stage with a response of osprey's own (any status)
  std::uint64_t refused = 0;   // of which an error status
};

class RequestPipeline {
 public:
  using NewTag = std::function<std::string()>;
  static constexpr std::size_t kStages = 6;

  // `new_tag`: the To tag of osprey's own answers (RFC 3261 §19.3).
  explicit RequestPipeline(NewTag new_tag);
  RequestPipeline(const RequestPipeline&) = delete;
  RequestPipeline& operator=(const RequestPipeline&) = delete;

  // The services the stages use, set once before traffic (see each stage). Without a proxy,
  // every request is for osprey itself.
  void attach(txn::TransactionTable& table, registrar::RegistrarService* registrar);
  void attach_proxy(ProxyCore* proxy);
  void attach_access(security::AccessControl* access);
  ScannerStage& scanner() { return scanner_; }
  RouteStage& route() { return route_; }
  RoutingStage& routing() { return routing_; }

  // Before the transaction layer, for every parsed request: dropped or passed on.
  Verdict screen(const sip::Message& request, const net::Flow& flow);
  // A new request of server transaction `transaction`, down the chain until a stage answers or
  // drops it. An answer in the context is sent here.
  Verdict run(txn::ServerTransactionId transaction, const sip::Message& request, const net::Flow& flow);
  // The same with a context the caller made (tests look at what the stages learnt).
  Verdict run(RequestContext& context);

  const PipelineCounters& counters() const { return counters_; }
  std::uint64_t options_answered() const { return local_services_.options_answered(); }
  std::uint64_t proxied() const { return routing_.proxied(); }

  // The stages, in the order they run (the list, with why each is where it is, is in the .cpp).
  std::array<RequestStage*, kStages> stages();

 private:
  void send(const RequestContext& context);

  NewTag new_tag_;
  txn::TransactionTable* table_ = nullptr;
  ScannerStage scanner_;
  RouteStage route_;
  SanityStage sanity_for_us_{SanityStage::Scope::for_us};
  AccessStage access_;
  SanityStage sanity_proxied_{SanityStage::Scope::proxied};
  LocalServicesStage local_services_;
  RoutingStage routing_;
  std::array<RequestStage*, kStages> chain_;
  PipelineCounters counters_;
};

}  // namespace osprey::proxy

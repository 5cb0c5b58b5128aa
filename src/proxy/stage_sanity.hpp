#pragma once
// Sanity: what a request must be before osprey acts on it. One class, two places in the chain
// (RequestPipeline::stages()):
//  - for osprey itself (RFC 3261 §8.2, as a UAS), before access control: a CANCEL that matched
//    nothing has nothing to cancel (481, §9.2); an unknown method gets 501 whatever it requires
//    (§8.2.1 before §8.2.2); then the scheme and Require (416, 420 with Unsupported). The intake
//    answered the malformed requests already.
//  - for the proxy (§16.3 steps 1-3 and 5), after access control, so an unauthenticated request
//    is challenged before anything else is said about it: a URI scheme we route, Max-Forwards
//    above 0 (483), Proxy-Require (420).
// Each instance passes on what is not its own (a proxied request, or one for osprey).

#include <string>

#include "proxy/request_stage.hpp"

namespace osprey::proxy {

class SanityStage final : public RequestStage {
 public:
  enum class Scope : std::uint8_t { for_us, proxied };
  explicit SanityStage(Scope scope) : scope_(scope) {}

  Verdict run(RequestContext& context) override;

  // The methods osprey implements as a UAS (the Allow header of 501 and OPTIONS, §20.5).
  static constexpr std::string_view kAllow = "OPTIONS, REGISTER, ACK, CANCEL";
  // The option tags osprey implements as a UAS and registrar (RFC 3261 §19.2, §20.37):
  // outbound (RFC 5626: reg-id flows, 430, STUN and CRLF keep-alives, Flow-Timer) and Path (RFC
  // 3327: stored with the binding, used as Route toward it; added to REGISTERs it forwards).
  // Not gruu (RFC 5627): listing it would be a promise not kept.
  static constexpr std::string_view kSupportedOutbound = "outbound";
  static constexpr std::string_view kSupportedPath = "path";
  static constexpr std::string_view kSupported = "outbound, path";

 private:
  Scope scope_;
};

}  // namespace osprey::proxy

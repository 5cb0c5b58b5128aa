#include "proxy/stage_local_services.hpp"

#include "proxy/stage_sanity.hpp"

namespace osprey::proxy {

Verdict LocalServicesStage::run(RequestContext& context) {
  if (!context.for_us()) return Verdict::pass_on;
  switch (context.request.method()) {
    case sip::Method::options:
      // §11.2: Allow, Accept, Accept-Encoding, Accept-Language and Supported, each as true as
      // osprey can make it. osprey reads no message body addressed to itself (it relays bodies,
      // it does not consume them): an empty Accept says so (§20.1: "no formats are acceptable"),
      // where leaving it out would promise application/sdp (§11.2's default). Bodies are taken
      // unencoded only (§20.2: identity), and osprey's reason phrases are English (§20.3).
      ++options_answered_;
      return context.answer({200,
                             {},
                             {{"Allow", std::string(SanityStage::kAllow)},
                              {"Accept", ""},
                              {"Accept-Encoding", "identity"},
                              {"Accept-Language", "en"},
                              {"Supported", std::string(SanityStage::kSupported)}}});
    case sip::Method::register_:
      if (registrar_ != nullptr && table_ != nullptr) {
        registrar_->handle(*table_, context.transaction, context.request, context.flow);
        return Verdict::answered;  // now, or once the change is durable
      }
      return context.answer({501, "Registrar Not Enabled", {}});
    default:
      // For a user without a proxy, or for osprey itself: nothing is served there (§21.4.5).
      return context.answer({404, {}, {}});
  }
}

}  // namespace osprey::proxy

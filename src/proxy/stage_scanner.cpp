#include "proxy/stage_scanner.hpp"

#include <spdlog/spdlog.h>

namespace osprey::proxy {

Verdict ScannerStage::run(RequestContext& context) {
  if (scanners_ == nullptr || !scanners_->is_scanner(context.request)) return Verdict::pass_on;
  if (bans_ != nullptr) {
    const net::Flow& flow = context.flow;
    const auto proof = flow.protocol == net::Protocol::udp ? security::SourceProof::unverified
                                                           : security::SourceProof::handshake;
    if (auto ban = bans_->record_offence(flow.remote.address, "scanner User-Agent", proof, clock_());
        ban && logger_ != nullptr) {
      logger_->warn("banned {} for {} s: requests from a known attack tool",
                    net::host_text(flow.remote.address), ban->until - ban->since);
    }
  }
  return Verdict::dropped;
}

}  // namespace osprey::proxy

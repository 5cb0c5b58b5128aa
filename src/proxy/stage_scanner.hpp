#pragma once
// Attack tools announce themselves (security/scanner_filter.hpp: their User-Agent): their
// requests are dropped unanswered, since no answer tells them a SIP server is here, and the
// source is on its way to a ban. Only on its way when the request came in a datagram: its source
// address may be forged, and one forged datagram must not ban somebody else.
//
// It runs before the transaction layer (RequestPipeline::screen): a dropped request must open no
// server transaction, and each retransmission counts as the offence it is. Cheap: one
// case-insensitive prefix test of the User-Agent.

#include <cstdint>
#include <functional>

#include "proxy/request_stage.hpp"
#include "security/ban_table.hpp"
#include "security/scanner_filter.hpp"

namespace spdlog {
class logger;
}

namespace osprey::proxy {

class ScannerStage final : public RequestStage {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch

  // `scanners` none: nothing is filtered; `bans` none: nobody is banned. Everything passed
  // outlives the stage. Set once, before traffic.
  void attach(const security::ScannerFilter* scanners, security::BanTable* bans, Clock clock,
              spdlog::logger* logger) {
    scanners_ = scanners;
    bans_ = bans;
    clock_ = std::move(clock);
    logger_ = logger;
  }

  Verdict run(RequestContext& context) override;
  // Whether there is anything to filter (without it, screening costs nothing).
  bool active() const { return scanners_ != nullptr; }

 private:
  const security::ScannerFilter* scanners_ = nullptr;
  security::BanTable* bans_ = nullptr;
  Clock clock_;
  spdlog::logger* logger_ = nullptr;
};

}  // namespace osprey::proxy

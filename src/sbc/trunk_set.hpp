#pragma once
// One configuration's trunks and routes, as the B2BUA uses them. A reload (SIGHUP) makes a new
// set for new calls; each call holds the set it started with, so the Trunk objects it points
// to (their rules, limits, identity policy) stay alive and unchanged until it ends.

#include <memory>
#include <vector>

#include "sbc/trunk.hpp"
#include "sbc/trunk_directory.hpp"

namespace osprey::sbc {

struct TrunkSet {
  explicit TrunkSet(const SbcSettings& settings) : directory(settings.trunks), routes(settings.routes) {}
  TrunkDirectory directory;
  std::vector<TrunkRoute> routes;
};

}  // namespace osprey::sbc
